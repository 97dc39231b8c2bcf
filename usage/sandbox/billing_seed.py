"""Seeding the listings, recurring assets and billing requests from Connect's seeded world.

Runs after Connect's seed (module order), reads its `assets`, `requests` and world (never changes
them) and draws only from `random.Random(f"usage-billing-{seed}")`, in asset-id order, so one
seed always gives the same documents:
- a recurring asset per Connect asset (same id, items, tiers, params, contract, marketplace,
  connection); `billing.period` is monthly, or yearly for some assets holding only yearly items
  (`billing_shapes.billing_uom`);
- for each active, suspended or terminated asset, a vendor billing request per period from the
  calendar month the asset was created in up to the seeded world's present (the latest update of
  Connect's seeded assets; for a suspended or terminated asset, the month it last changed),
  billed at the start of the period; about half the assets also have the provider's requests;
- `billing.next_date` is the start of the first period not billed yet (none when terminated or
  not active yet);
- a listing per (product, marketplace, contract) the assets use: `listed`, every sixth `unlisted`.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta

from channelhub.sandbox.common import at, id_groups, iso
from channelhub.sandbox.connect.shapes import OPEN_REQUEST_STATUSES

from . import billing_shapes as shapes
from .catalog import usage_schema

BATCH = 2000  # Connect assets read (and recurring assets written) at a time
DAY = 86400


def _flush_connect_writes(session) -> None:
    """Connect's seed queues its inserts on the building session's writer thread; wait for them (and
    keep the writer for ours) before reading its assets."""
    if getattr(session, "_queue", None) is not None:
        session.stop_background_writer()
        session.start_background_writer()


def pending_requests(session, asset_ids: list[str] | None = None) -> dict[str, dict]:
    """The latest open fulfillment request of each asset (`subscriptions.PendingRequest`), by asset id."""
    marks = ",".join("?" * len(OPEN_REQUEST_STATUSES))
    sql = (
        "SELECT asset_id, id, type, status, json_extract(doc, '$.template') FROM requests"
        f" WHERE status IN ({marks})"
    )
    params: list = list(OPEN_REQUEST_STATUSES)
    if asset_ids is not None:
        sql += f" AND asset_id IN ({','.join('?' * len(asset_ids))})"
        params += asset_ids
    out = {}
    for asset_id, ident, kind, status, template in session.conn.execute(
        sql + " ORDER BY created, id", params
    ):
        template = json.loads(template) if template else {}
        ref = {"id": template.get("id"), "name": template.get("name")} if template else {}
        out[asset_id] = {"id": ident, "type": kind, "status": status, "template": ref}
    return out


def asset_templates(world: dict) -> dict[str, dict]:
    """The template a product's recurring assets name: its first asset fulfillment template."""
    out = {}
    for product in world.get("products", []):
        for template in product.get("templates", []):
            if template["scope"] == "asset" and template["type"] == "fulfillment":
                out[product["id"]] = {"id": template["id"], "name": template["name"]}
                break
    return out


def _attributes(rng, kind: str, start) -> dict:
    reference = f"{kind[0].upper()}INV-{start:%Y%m}-{rng.randrange(10**6):06d}"
    return {kind: {"external_id": reference, "note": f"Billed in {start:%B %Y}"}}


def _bill_history(rng, sub: dict, asset: dict, provider_too: bool, present) -> list[dict]:
    """The seeded requests of one recurring asset, oldest first; fills its stats and next date."""
    created = shapes.parse(asset["events"]["created"]["at"])
    stop = present if asset["status"] == "active" else shapes.parse(asset["events"]["updated"]["at"])
    uom = sub["billing"]["period"]["uom"]
    start = shapes.month_start(created)
    base = shapes.reference(sub)  # shared by the asset's requests (never mutated, only serialised)
    base["status"] = "active"  # it was being billed: active at the time
    requests = []
    while start <= stop:
        end = shapes.period_end(start, uom)
        for kind in ("vendor", "provider") if provider_too else ("vendor",):
            made = max(start, created) + timedelta(seconds=rng.uniform(600, 2 * DAY))
            touched = made + timedelta(seconds=rng.uniform(3600, 5 * DAY)) if rng.random() < 0.3 else made
            request = shapes.billing_request_doc(
                ident=shapes.request_id(sub["id"], kind, shapes.cycle_number(sub, kind)),
                kind=kind,
                sub=sub,
                items=shapes.request_items(sub, None, shapes.cycle_number(sub, kind)),
                attributes=_attributes(rng, kind, start),
                start=iso(start),
                end=iso(end),
                delta=1,
                uom=uom,
                created=iso(made),
                updated=iso(touched),
                asset_ref={
                    **base,
                    "events": {
                        "created": base["events"]["created"],
                        "updated": {"at": iso(max(made, created))},
                    },
                    "billing": {**base["billing"], "next_date": iso(end)},
                },
            )
            shapes.record_request(sub, request)
            requests.append(request)
        start = end
    sub["billing"]["next_date"] = None if asset["status"] == "terminated" else iso(start)
    if requests:
        last = max(r["events"]["updated"]["at"] for r in requests)
        sub["events"]["updated"]["at"] = max(sub["events"]["updated"]["at"], last)
    return requests


def _listings(rng, world: dict, combos: dict) -> list[dict]:
    products = {p["id"]: p for p in world["products"]}
    markets = {m["id"]: m for m in world["marketplaces"]}
    taken, out = set(), []
    for index, (product_id, market_id, _contract_id) in enumerate(sorted(combos)):
        product, market = products[product_id], markets[market_id]
        while (ident := f"LST-{id_groups(rng, 3, 3, 3)}") in taken:
            pass
        taken.add(ident)
        created = shapes.parse(product["created"]) + timedelta(seconds=rng.uniform(0, 20 * DAY))
        out.append(
            shapes.listing_doc(
                ident=ident,
                status="unlisted" if index % 6 == 5 else "listed",
                product=product,
                market=market,
                vendor=product["vendor"],
                provider=world["provider"],
                usage_schema=usage_schema(product_id),
                created=iso(created),
                updated=iso(created + timedelta(seconds=rng.uniform(0, 10 * DAY))),
            )
        )
    return out


def seed(session, seed_value: int, scale: int) -> dict:
    """Fill the three collections from Connect's seeded state (see the module docstring); returns counts."""
    rng = random.Random(f"usage-billing-{seed_value}")
    _flush_connect_writes(session)
    world = session.meta("connect.world", {})
    templates = asset_templates(world)
    pending = pending_requests(session)
    combos: dict[tuple, str] = {}
    counts = {"subscription_assets": 0, "billing_requests": 0}
    last_id, synced = "", at(0)
    present = shapes.parse(session.scalar("SELECT MAX(updated) FROM assets") or at(0))
    while True:
        rows = session.conn.execute(
            "SELECT doc FROM assets WHERE id > ? ORDER BY id LIMIT ?", (last_id, BATCH)
        ).fetchall()
        if not rows:
            break
        subs, requests = [], []
        for (raw,) in rows:
            asset = json.loads(raw)
            last_id = asset["id"]
            synced = max(synced, asset["events"]["updated"]["at"])
            sub = shapes.subscription_doc(
                asset,
                template=templates.get(asset["product"]["id"]),
                pending=pending.get(asset["id"]),
                next_date=None,
            )
            provider_too = rng.random() < 0.5
            if asset["status"] in shapes.BILLED_STATUSES:
                requests.extend(_bill_history(rng, sub, asset, provider_too, present))
            subs.append(sub)
            key = (
                asset["product"]["id"],
                asset["marketplace"]["id"],
                (asset.get("contract") or {}).get("id"),
            )
            combos.setdefault(key, asset["id"])
        session.put_many("subscription_assets", [(s, {}) for s in subs])
        session.put_many("billing_requests", [(r, {}) for r in requests])
        counts["subscription_assets"] += len(subs)
        counts["billing_requests"] += len(requests)
    listings = _listings(rng, world, combos) if world else []
    session.put_many("listings", [(doc, {}) for doc in listings])
    counts["listings"] = len(listings)
    session.set_meta("usage.billing", {"synced": synced})
    return counts
