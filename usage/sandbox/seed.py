"""The seeded usage world, read from Connect's (products, items, assets, marketplaces and their
contracts; Connect's documents are never changed): about scale/2 usage files (at least one per
status), each for one (product, contract, calendar month) in which one of its assets was active,
with a handful of records per file that has them, and the chunks of accepted and closed files.

Deterministic: its own RNG (`usage-<seed>`), timestamps from the EPOCH, no wall clock; seeded
files have no `due` time, so reads never move them (only `tick` does).
"""

from __future__ import annotations

import itertools
import json
import random
from datetime import datetime, timedelta
from decimal import Decimal

from channelhub.sandbox.common import EPOCH, id_groups, iso

from . import machine, shapes
from . import world as w

SEED_STATUSES = (
    "draft",
    "uploading",
    "processing",
    "invalid",
    "ready",
    "pending",
    "accepted",
    "rejected",
    "closed",
    "deleted",
)
WITH_RECORDS = {
    "ready": "valid",
    "pending": "valid",
    "accepted": "approved",
    "rejected": "rejected",
    "closed": "closed",
}
LAST_MONTH = (2024, 12)
SYSTEM = {"id": "SU-000-000-000", "name": "Usage automation"}


def drained(session) -> bool:
    """Let Connect's queued seed rows land before reading them (Store.building writes in a thread);
    returns whether a background writer was running (to start it again)."""
    running = getattr(session, "_writer", None) is not None
    if running:
        session.stop_background_writer()
    return running


def month_period(year: int, month: int) -> dict:
    """The calendar month as a usage period `{from, to}`."""
    start = datetime(year, month, 1)
    nxt = datetime(year + (month == 12), month % 12 + 1, 1)
    return {"from": start.date().isoformat(), "to": (nxt - timedelta(days=1)).date().isoformat()}


def _month_of(asset: dict, rng) -> tuple[int, int]:
    created = datetime.fromisoformat(asset["events"]["created"]["at"]).replace(tzinfo=None)
    year, month = max((created.year, created.month), (EPOCH.year, EPOCH.month))
    for _ in range(rng.randint(0, 2)):
        year, month = (year + (month == 12), month % 12 + 1)
    return min((year, month), LAST_MONTH)


def record_rows(rng, doc: dict, items: list[dict], assets: list[dict], n: int) -> list[dict]:
    """`n` checked record fields for file `doc` (its schema and period), drawn from `rng`."""
    low, high = w.period_bounds(doc["period"])
    days = max(1, (high - low).days)
    schema = doc["schema"].upper()
    rows = []
    for i in range(n):
        start = low + timedelta(days=rng.randrange(days), hours=rng.randrange(12))
        end = min(high, start + timedelta(hours=rng.randint(1, 72)))
        rows.append(
            {
                "record_id": f"rec-{i + 1:04d}",
                "record_note": "",
                "item": rng.choice(items),
                "asset": rng.choice(assets),
                "start": start,
                "end": end,
                "quantity": Decimal(rng.randint(1, 500)) if schema == "QT" else None,
                "amount": None if schema == "QT" else Decimal(rng.randint(100, 999999)) / 100,
                "tier": rng.randint(0, 2) if schema == "TR" else None,
                "category": {"id": "generic_category", "name": "Generic Category"}
                if schema == "CR"
                else None,
                "asset_recon_id": "",
                "params": [],
            }
        )
    return rows


def candidates(session) -> list[dict]:
    """Connect's assets that were ever active (usage needs one), in id order."""
    rows = session.conn.execute(
        "SELECT doc FROM assets WHERE status IN ('active', 'suspended', 'terminated') ORDER BY id"
    ).fetchall()
    return [json.loads(r[0]) for r in rows]


def seed(session, seed_value: int, scale: int) -> dict:
    """Fill the usage collections for (seed, scale); returns counts."""
    restart = drained(session)
    try:
        return _seed(session, random.Random(f"usage-{seed_value}"), scale)
    finally:
        if restart:
            session.start_background_writer()


def _seed(session, rng, scale: int) -> dict:
    world = w.world_of(session)
    assets = candidates(session)
    counts = {"usage_files": 0, "usage_records": 0, "usage_chunks": 0}
    if not assets or not world:
        return counts
    items = {p["id"]: w.items_of(session, p["id"]) for p in world["products"]}
    taken: set[str] = set()
    files, records, chunks = [], [], []
    for i in range(max(len(SEED_STATUSES), scale // 2)):
        status = SEED_STATUSES[i % len(SEED_STATUSES)]
        doc, recs, parts = _file(rng, world, assets, items, status, taken)
        files.append((doc, {"due": None}))
        records.extend(recs)
        chunks.extend((c, {}) for c in parts)
    session.put_many("usage_files", files)
    session.put_many("usage_records", records)
    session.put_many("usage_chunks", chunks)
    counts.update(usage_files=len(files), usage_records=len(records), usage_chunks=len(chunks))
    return counts


def _file(rng, world, assets, items, status, taken):
    asset = rng.choice(assets)
    product = w.product_of(world, asset["product"]["id"])
    marketplace = w.marketplace_of_contract(world, asset["contract"]["id"])
    year, month = _month_of(asset, rng)
    period = month_period(year, month)
    end = datetime.fromisoformat(period["to"]) + timedelta(days=1)
    created = end + timedelta(days=rng.randint(0, 4), hours=rng.randint(0, 23), minutes=rng.randint(0, 59))
    when = iso(created.replace(tzinfo=EPOCH.tzinfo))
    ident = f"UF-{when[:7]}-{id_groups(rng, 4, 4)}"
    while ident in taken:
        ident = f"UF-{when[:7]}-{id_groups(rng, 4, 4)}"
    taken.add(ident)
    body = {
        "name": f"{product['name']} usage {period['from'][:7]}",
        "description": f"Usage of {product['name']} for {period['from'][:7]}",
        "external_id": f"{marketplace['contract']['id']} {product['id']} {period['from'][:7]}",
        "period": period,
    }
    doc = shapes.file_doc(
        ident=ident,
        body=body,
        product=product,
        marketplace=marketplace,
        world=world,
        environment=asset["connection"]["type"],
        when=when,
        by={"id": product["vendor"]["id"], "name": product["vendor"]["name"]},
    )
    doc["status"] = status
    steps = itertools.count(1)

    def later() -> str:
        return iso((created + timedelta(hours=next(steps) * rng.randint(1, 20))).replace(tzinfo=EPOCH.tzinfo))

    vendor = {"id": product["vendor"]["id"], "name": product["vendor"]["name"]}
    provider = {"id": world["provider"]["id"], "name": world["provider"]["name"]}
    if status not in ("draft",):
        machine.event(doc, "uploaded", later(), vendor)
    recs, parts = [], []
    if status in WITH_RECORDS:
        same = [
            a
            for a in assets
            if a["product"]["id"] == product["id"] and a["contract"]["id"] == asset["contract"]["id"]
        ]
        active = [a for a in same if w.asset_active_in(a, w.period_bounds(period))] or [asset]
        rows = record_rows(rng, doc, items[product["id"]], active, rng.randint(2, 5))
        recs = _records(rng, doc, rows, WITH_RECORDS[status], status, later)
        _stamp_events(doc, status, later, vendor, provider)
        if status in ("accepted", "closed"):
            parts = _chunks(doc, recs, later(), provider, status, {h["id"]: h for h in world["hubs"]})
    elif status == "invalid":
        doc["error_detail"] = doc["error_details"] = (
            f"1 of 3 rows are invalid: row 3: item MPN-Z-{rng.randint(100, 999)} (item.mpn) is not an item of the product"
        )
        doc["records"]["invalid"] = 1
        doc["stats"]["uploaded"] = 3
    elif status == "deleted":
        machine.event(doc, "deleted", later(), vendor)
    if status in ("ready", "invalid", "pending", "accepted", "rejected", "closed"):
        doc["sub_status"] = "processed"
    elif status == "processing":
        doc["sub_status"] = "processing"
    shapes.tally(doc, [(r["status"], bool(r["external_billing_id"])) for r, _ in recs])
    return doc, recs, parts


def _records(rng, doc, rows, status, file_status, later):
    out = []
    for n, fields in enumerate(rows, start=1):
        record = shapes.record_doc(doc, shapes.record_id(doc["id"], n), fields, status)
        if file_status == "closed" or (file_status == "accepted" and rng.random() < 0.5):
            record.update(status="closed", external_billing_id=f"INV-{rng.randint(100000, 999999)}")
            record.update(external_billing_note="Billed", closed_at=later(), closed_by="CB Demo Provider")
        out.append((record, {"hub_id": w.hub_of(fields["asset"]).get("id")}))
    return out


def _stamp_events(doc, status, later, vendor, provider) -> None:
    if status in ("pending", "accepted", "rejected", "closed"):
        machine.event(doc, "submitted", later(), vendor)
    if status in ("accepted", "closed"):
        machine.event(doc, "accepted", later(), provider)
        doc["acceptance_note"] = "Usage checked against the subscriptions."
    if status == "rejected":
        machine.event(doc, "rejected", later(), provider)
        doc["rejection_note"] = "Quantities do not match the subscriptions: please check and upload again."
    if status == "closed":
        machine.event(doc, "closed", later(), provider)


def _chunks(doc, recs, when, provider, status, hubs) -> list[dict]:
    by_hub: dict[str, list[dict]] = {}
    for record, extra in recs:
        by_hub.setdefault(extra["hub_id"] or "", []).append(record)
    out = []
    for n, hub_id in enumerate(sorted(by_hub), start=1):
        rs = by_hub[hub_id]
        chunk = shapes.chunk_doc(
            doc,
            shapes.chunk_id(doc["id"], n),
            hubs.get(hub_id, {"id": hub_id, "name": ""}),
            len(rs),
            when,
            provider,
        )
        closed = sum(r["status"] == "closed" for r in rs)
        chunk["stats"].update(closed=closed, billed=closed)
        if status == "closed":
            chunk["status"] = "closed"
        out.append(chunk)
    return out
