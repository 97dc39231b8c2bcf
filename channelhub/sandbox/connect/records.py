"""Lookups and writes the Connect actions, life and routes share: the seeded world, templates,
conversations, users, fresh ids and conversation messages.

It sits below actions.py, life.py and routes.py (they import it; it imports none of them), so
the dependency runs one way: routes -> actions / life -> records -> shapes.
"""

from __future__ import annotations

import json
import random

from ..common import bad_request, now_iso
from . import shapes

_rng = random.SystemRandom()


def world_of(session) -> dict:
    """The seeded world (products, marketplaces, users, ...) kept in the meta table."""
    return session.meta("connect.world", {})


def product_of(world: dict, pid: str) -> dict:
    """The world's product `pid`; 400 if there is none."""
    for product in world.get("products", []):
        if product["id"] == pid:
            return product
    raise bad_request(f"Product {pid} is unknown.")


def find_template(session, pid: str, tid: str) -> dict | None:
    """Template `tid` of product `pid`, or None."""
    row = session.conn.execute(
        "SELECT doc FROM templates WHERE id = ? AND product_id = ?", (tid, pid)
    ).fetchone()
    if row is None:
        return None
    return json.loads(row[0])


def user_for(world: dict, body: dict) -> dict:
    """The user an assign body names by id or email: a seeded user, else one made up from the email (or the
    id)."""
    ident, email = body.get("id"), body.get("email")
    if not ident and not email:
        raise bad_request("Either id or email of the user is required.")
    for user in world.get("users", []):
        if (ident and user["id"] == ident) or (email and user["email"].lower() == str(email).lower()):
            return dict(user)
    if email:
        digits = f"{abs(hash(str(email).lower())) % 10**9:09d}"
        return {
            "id": f"UR-{digits[:3]}-{digits[3:6]}-{digits[6:]}",
            "name": str(email).split("@")[0],
            "email": email,
        }
    return {"id": str(ident), "name": str(ident), "email": ""}


def new_unique_id(session, collection: str, prefix: str, sizes: tuple[int, ...], rng=_rng) -> str:
    """A fresh id with `prefix` that `collection` does not hold yet."""
    while True:
        ident = shapes.new_id(rng, prefix, sizes, ())
        if session.get_raw(collection, ident) is None:
            return ident


def find_conversation(session, ident: str) -> dict | None:
    """A conversation by its own id (CO-...) or by the id of the object it is about (its oldest one)."""
    doc = session.get("conversations", ident)
    if doc is None:
        row = session.conn.execute(
            "SELECT doc FROM conversations WHERE instance_id = ? ORDER BY created, id LIMIT 1", (ident,)
        ).fetchone()
        doc = json.loads(row[0]) if row else None
    return doc


def add_message(
    session,
    instance_id: str,
    text: str,
    *,
    kind: str = "state_change",
    when: str | None = None,
    creator: dict | None = None,
    rng=_rng,
) -> dict | None:
    """Append a message to the conversation of `instance_id` and move its update time; None if it has no
    conversation."""
    conversation = find_conversation(session, instance_id)
    if conversation is None:
        return None
    when = when or now_iso()
    message = shapes.message_doc(
        ident=new_unique_id(session, "messages", "ME", (3, 3, 3), rng),
        conversation=conversation["id"],
        text=text,
        kind=kind,
        created=when,
        creator=creator,
        world=world_of(session),
    )
    session.put("messages", message)
    conversation["events"]["updated"]["at"] = when
    session.put("conversations", conversation)
    return message
