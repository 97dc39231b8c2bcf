"""Seeded conversations: one per fulfillment request and per tier config request, 1..3 messages."""

from __future__ import annotations

from ...common import at, dumps
from .. import shapes
from .base import Seeding

STATE_TEXT = {
    "draft": "Request created as a draft.",
    "tiers_setup": "Request is waiting for the tier configuration setup.",
    "pending": "Request is pending processing.",
    "inquiring": "Additional information is required from the customer.",
    "approved": "Request has been approved.",
    "failed": "Request has been failed.",
    "scheduled": "Request has been scheduled.",
    "revoking": "Request is being revoked.",
    "revoked": "Request has been revoked.",
}


def conversation(s: Seeding, instance_id: str, topic: str, t_created: float, t_updated: float, status: str):
    """Buffer the conversation of `instance_id` and its messages (created, the status it reached,
    sometimes a note from a user) in `s.conv_rows` / `s.message_rows`."""
    rng, world, taken = s.rng, s.world, s.taken
    cid = shapes.new_id(rng, "CO", (3, 3, 3), taken)
    conv = shapes.conversation_doc(
        ident=cid, instance_id=instance_id, topic=topic, created=at(t_created), world=world
    )
    messages = [
        shapes.message_doc(
            ident=shapes.new_id(rng, "ME", (3, 3, 3), taken),
            conversation=cid,
            text="Request created.",
            kind="state_change",
            created=at(t_created),
            world=world,
        )
    ]
    if status not in ("draft", "pending"):
        messages.append(
            shapes.message_doc(
                ident=shapes.new_id(rng, "ME", (3, 3, 3), taken),
                conversation=cid,
                text=STATE_TEXT[status],
                kind="state_change",
                created=at(t_updated),
                world=world,
            )
        )
    if rng.random() < 0.15:
        user = world["users"][rng.randrange(len(world["users"]))]
        messages.append(
            shapes.message_doc(
                ident=shapes.new_id(rng, "ME", (3, 3, 3), taken),
                conversation=cid,
                text="Customer contacted by phone.",
                kind="message",
                created=at(t_updated),
                creator={"id": user["id"], "name": user["name"]},
                world=world,
            )
        )
    conv["events"]["updated"]["at"] = messages[-1]["created"]
    s.conv_rows.append((cid, conv["created"], conv["events"]["updated"]["at"], instance_id, dumps(conv)))
    for m in messages:
        s.message_rows.append((m["id"], m["created"], m["created"], cid, m["type"], dumps(m)))
