"""Usage life on `tick` (POST /_sandbox/tick, `--live`), drawing only from the tick's RNG:
vendors upload drafts and submit ready files, the system finishes uploads (seeded `uploading`
and `processing` files move on; most become ready with records, some invalid), providers accept
or reject pending files, close records of accepted files with billing ids and close files whose
records are all billed; now and then a vendor starts a new draft for the next month."""

from __future__ import annotations

import json

from channelhub.sandbox.common import now_iso

from . import machine, seed, shapes
from . import world as w

PROVIDER = {"id": "PA-425-033", "name": "CB Demo Provider"}


def _pick(session, rng, status: str, n: int = 1) -> list[dict]:
    ids = session.ids("usage_files", "status = ?", (status,))
    return [session.get("usage_files", i) for i in sorted(rng.sample(ids, min(n, len(ids))))]


def _vendor(doc: dict) -> dict:
    return {"id": doc["vendor"]["id"], "name": doc["vendor"]["name"]}


def tick(session, rng) -> dict:
    """One step of usage life; returns what happened (counts by kind)."""
    machine.settle(session)
    done = {
        "uploaded": 0,
        "processed": 0,
        "submitted": 0,
        "accepted": 0,
        "rejected": 0,
        "records_closed": 0,
        "closed": 0,
        "created": 0,
    }
    when = now_iso()
    for doc in _pick(session, rng, "draft"):
        doc["status"] = "uploading"
        machine.event(doc, "uploaded", when, _vendor(doc))
        machine.put_file(session, doc)
        done["uploaded"] += 1
    for status in ("processing", "uploading"):
        for doc in _pick(session, rng, status):
            _system_step(session, rng, doc)
            done["processed"] += 1
    for doc in _pick(session, rng, "ready"):
        machine.transition(session, doc, "submit", {}, _vendor(doc))
        done["submitted"] += 1
    for doc in _pick(session, rng, "pending"):
        if rng.random() < 0.75:
            machine.transition(session, doc, "accept", {"acceptance_note": "Accepted."}, PROVIDER)
            done["accepted"] += 1
        else:
            machine.transition(
                session, doc, "reject", {"rejection_note": "Please check the quantities."}, PROVIDER
            )
            done["rejected"] += 1
    for doc in _pick(session, rng, "accepted", 2):
        done["records_closed"] += _bill(session, rng, doc)
        if not session.scalar(
            "SELECT COUNT(*) FROM usage_records WHERE usagefile_id = ? AND COALESCE(external_billing_id, '') = ''",
            (doc["id"],),
        ):
            machine.transition(session, session.get("usage_files", doc["id"]), "close", {}, PROVIDER)
            done["closed"] += 1
    if rng.random() < 0.3:
        done["created"] += _new_draft(session, rng, when)
    return done


def _system_step(session, rng, doc: dict) -> None:
    if doc["status"] == "uploading":
        doc.update(status="processing", sub_status="processing")
        machine.put_file(session, doc)
        return
    if rng.random() < 0.2:
        detail = "1 of 1 rows are invalid: row 2: end_time_utc must be after start_time_utc"
        doc.update(status="invalid", sub_status="processed", error_detail=detail, error_details=detail)
        doc["records"], doc["stats"] = {"valid": 0, "invalid": 1, "closed": 0}, {"uploaded": 1}
        shapes.recount(session, doc)
        machine.put_file(session, doc)
        return
    product, contract = doc["product"]["id"], doc["contract"]["id"]
    assets = [
        a
        for a in w.assets_of(session, product, contract)
        if w.asset_active_in(a, w.period_bounds(doc.get("period")))
    ]
    items = w.items_of(session, product)
    if not assets or not items or not doc.get("period"):
        assets = assets or w.assets_of(session, product, contract)
    if assets and items and doc.get("period"):
        session.conn.execute("DELETE FROM usage_records WHERE usagefile_id = ?", (doc["id"],))
        machine.create_records(session, doc, seed.record_rows(rng, doc, items, assets, rng.randint(1, 4)))
        doc.update(status="ready", sub_status="processed", error_detail="", error_details="")
    else:
        detail = "The file has no records."
        doc.update(status="invalid", sub_status="processed", error_detail=detail, error_details=detail)
    shapes.recount(session, doc)
    machine.put_file(session, doc)


def _bill(session, rng, doc: dict) -> int:
    rows = session.conn.execute(
        "SELECT doc FROM usage_records WHERE usagefile_id = ? AND status = 'approved' ORDER BY id",
        (doc["id"],),
    ).fetchall()
    closed = 0
    for (raw,) in rows:
        if rng.random() < 0.7:
            body = {
                "external_billing_id": f"INV-{rng.randint(100000, 999999)}",
                "external_billing_note": "Billed",
            }
            machine.close_record(session, json.loads(raw), body, PROVIDER)
            closed += 1
    if closed:
        machine.after_records_closed(session, [doc["id"]])
    return closed


def _new_draft(session, rng, when: str) -> int:
    world = w.world_of(session)
    assets = seed.candidates(session)
    if not assets or not world:
        return 0
    asset = rng.choice(assets)
    product = w.product_of(world, asset["product"]["id"])
    marketplace = w.marketplace_of_contract(world, asset["contract"]["id"])
    period = seed.month_period(int(when[:4]), int(when[5:7]))
    doc = shapes.file_doc(
        ident=shapes.file_id(session, when, rng),
        body={"name": f"{product['name']} usage {period['from'][:7]}", "period": period},
        product=product,
        marketplace=marketplace,
        world=world,
        environment=asset["connection"]["type"],
        when=when,
        by={"id": product["vendor"]["id"], "name": product["vendor"]["name"]},
    )
    machine.put_file(session, doc)
    return 1
