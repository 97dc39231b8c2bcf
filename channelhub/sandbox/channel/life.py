"""Channel upstream life between two syncs (POST /_sandbox/tick, or --live).

Each tick, with the tick's own RNG (so the seeded state stays deterministic): a trial or two
ends (SUSPENDED / TRIAL_ENDED, a SYSTEM change), assigned seats move on a few entitlements
(only updateTime changes: no EntitlementChange upstream either), a customer pending terms of
service may accept them (ACTIVATED / CUSTOMER_ACCEPTED_PENDING_TOS, a CUSTOMER change), now
and then a new customer or a new entitlement appears (made by another reseller operator), and
now and then a customer takes one active entitlement to another reseller (a SYSTEM CANCELLED,
PARTIAL_TRANSFER or RELATIONSHIP_ENDED; it goes on the Cloud Identity's foreign record, so it
can be won back with transferEntitlements).
"""

from __future__ import annotations

import json
import random

from ..store import Session
from . import collections as c
from . import data, shapes, transfers
from .seed import OTHER_OPERATOR
from .wire import now


def _sample(session: Session, where: str, n: int, rng: random.Random) -> list[dict]:
    rows = session.conn.execute(f"SELECT doc FROM {c.ENTITLEMENTS.name} WHERE {where} ORDER BY id").fetchall()
    return [json.loads(r[0]) for r in rng.sample(rows, min(n, len(rows)))]


def _change(
    session: Session, ent: dict, change_type: str, when: str, operator_type: str, reason=None, operator=""
) -> None:
    data.add_change(
        session,
        shapes.change_doc(
            ent, change_type, when, operator=operator, operator_type=operator_type, reason=reason
        ),
    )


def end_trials(session: Session, rng: random.Random, when: str) -> int:
    """Up to two active trials end: SUSPENDED / TRIAL_ENDED, a SYSTEM change. Returns how many."""
    trials = _sample(
        session,
        "status = 'ACTIVE' AND json_extract(doc, '$.trialSettings.trial') = 1",
        rng.randint(0, 2),
        rng,
    )
    for ent in trials:
        ent["provisioningState"] = "SUSPENDED"
        ent["suspensionReasons"] = ["TRIAL_ENDED"]
        ent["updateTime"] = when
        _change(session, ent, "SUSPENDED", when, "SYSTEM", ("suspensionReason", "TRIAL_ENDED"))
        data.put_entitlement(session, ent)
    return len(trials)


def move_seats(session: Session, rng: random.Random, when: str) -> int:
    """Assigned seats move on one to three entitlements (only updateTime changes, no EntitlementChange).
    Returns how many."""
    moved = 0
    for ent in _sample(session, "doc LIKE '%\"assigned_units\"%'", rng.randint(1, 3), rng):
        seats = next(
            (
                int(p["value"]["int64Value"])
                for p in ent["parameters"]
                if p["name"] in ("num_units", "max_units")
            ),
            10,
        )
        for param in ent["parameters"]:
            if param["name"] == "assigned_units":
                param["value"] = shapes.int64(rng.randint(0, seats))
        ent["updateTime"] = when
        data.put_entitlement(session, ent)
        moved += 1
    return moved


def accept_terms(session: Session, rng: random.Random, when: str) -> int:
    """Half the time, a customer accepts pending terms of service: ACTIVATED, a CUSTOMER change. Returns how
    many."""
    if rng.random() >= 0.5:
        return 0
    pending = _sample(session, "doc LIKE '%PENDING_TOS_ACCEPTANCE%'", 1, rng)
    for ent in pending:
        remaining = [r for r in ent.get("suspensionReasons", []) if r != "PENDING_TOS_ACCEPTANCE"]
        if remaining:
            ent["suspensionReasons"] = remaining
        else:
            ent.pop("suspensionReasons", None)
            ent["provisioningState"] = "ACTIVE"
        ent["updateTime"] = when
        _change(
            session, ent, "ACTIVATED", when, "CUSTOMER", ("activationReason", "CUSTOMER_ACCEPTED_PENDING_TOS")
        )
        data.put_entitlement(session, ent)
    return len(pending)


def new_customer(session: Session, rng: random.Random, when: str) -> int:
    """Now and then (30%) a new provisioned customer appears. Returns how many."""
    if rng.random() >= 0.3:
        return 0
    index = (session.scalar(f"SELECT COUNT(*) FROM {c.CUSTOMERS.name}") or 0) + 1
    doc = shapes.customer_doc(rng, "S" + shapes.alnum(rng, 10), index, when)
    doc["domain"] = doc["domain"].replace(".example", f"-t{rng.randrange(10**6)}.example")
    doc["primaryContactInfo"]["email"] = (
        doc["primaryContactInfo"]["email"].split("@")[0] + "@" + doc["domain"]
    )
    doc["cloudIdentityId"] = "C0" + shapes.alnum(rng, 7).lower()
    doc["cloudIdentityInfo"] = shapes.cloud_identity_info(doc, verified=False)
    data.put(session, c.CUSTOMERS, doc["name"], doc)
    return 1


def new_entitlement(session: Session, rng: random.Random, when: str) -> int:
    """Now and then (30%) another operator buys a flexible Workspace entitlement for a provisioned customer
    that has none. Returns how many."""
    if rng.random() >= 0.3:
        return 0
    customers = session.conn.execute(
        f"SELECT id FROM {c.CUSTOMERS.name} WHERE cloud_identity_id IS NOT NULL AND id NOT IN "
        f"(SELECT customer FROM {c.ENTITLEMENTS.name}) ORDER BY id LIMIT 50"
    ).fetchall()
    if not customers:
        return 0
    customer = rng.choice(customers)[0]
    offers = data.docs(session, c.OFFERS, "status = 'FLEXIBLE' AND product = 'products/Google-Workspace'")
    chosen = rng.choice(offers)
    seats = rng.choice([1, 3, 5, 10, 25])
    ent = {
        "name": f"{customer}/entitlements/{shapes.alnum(rng, 10)}",
        "createTime": when,
        "updateTime": when,
        "offer": chosen["name"],
        "provisioningState": "ACTIVE",
        "provisionedService": shapes.provisioned_service(rng, chosen),
        "parameters": shapes.seat_parameters(chosen, seats, 0),
    }
    _change(session, ent, "CREATED", when, "RESELLER", operator=OTHER_OPERATOR)
    data.put_entitlement(session, ent)
    return 1


def transfer_away(session: Session, rng: random.Random, when: str) -> int:
    """Now and then (15%) one active, paid or free (not trial) entitlement of ours moves to another
    reseller: removed with a SYSTEM CANCELLED (RELATIONSHIP_ENDED if it was the customer's last, else
    PARTIAL_TRANSFER), then held on the Cloud Identity's foreign record (owner reseller). Returns how
    many."""
    if rng.random() >= 0.15:
        return 0
    chosen = _sample(
        session, "status = 'ACTIVE' AND json_extract(doc, '$.trialSettings.trial') IS NOT 1", 1, rng
    )
    for ent in chosen:
        customer_name = data.customer_of(ent["name"])
        customer = data.get(session, c.CUSTOMERS, customer_name)
        others = session.scalar(
            f"SELECT COUNT(*) FROM {c.ENTITLEMENTS.name} WHERE customer = ? AND id != ?",
            (customer_name, ent["name"]),
        )
        reason = "PARTIAL_TRANSFER" if others else "RELATIONSHIP_ENDED"
        held = transfers.held_elsewhere(session, ent)
        _change(session, ent, "CANCELLED", when, "SYSTEM", ("cancellationReason", reason))
        data.delete(session, c.ENTITLEMENTS, ent["name"])
        transfers.hand_over(session, customer, [held], "reseller", lambda: shapes.alnum(rng, 24))
    return len(chosen)


def tick(session: Session, rng: random.Random) -> dict:
    """One step of Channel life; counts by kind of event."""
    when = now()
    return {
        "trials_ended": end_trials(session, rng, when),
        "seats_moved": move_seats(session, rng, when),
        "terms_accepted": accept_terms(session, rng, when),
        "new_customers": new_customer(session, rng, when),
        "new_entitlements": new_entitlement(session, rng, when),
        "transferred_away": transfer_away(session, rng, when),
    }
