"""Billing life between two syncs, and the write both the API and life use.

`tick` (once per /_sandbox/tick, after Connect's own tick):
1. follows Connect: every Connect asset changed since the last tick (by `events.updated.at`)
   gets its recurring asset created or brought in line (status, items, params, pending request),
   and a listing if its (product, marketplace, contract) has none; a newly active asset starts
   billing with the current month, a terminated one stops;
2. bills: 1..3 active assets whose `billing.next_date` has passed (oldest first) get the vendor's
   billing request for the period starting then (sometimes the provider's too), and their
   `next_date` moves on by one period;
3. now and then the provider sets attributes on a recent billing request.
Every change moves the object's `events.updated.at` to now, so the keyset sync sees it.
"""

from __future__ import annotations

import json

from channelhub.sandbox.common import iso

from . import billing_shapes as shapes
from .billing_seed import asset_templates, pending_requests
from .catalog import usage_schema


def add_request(session, sub: dict, *, kind, items, attributes, start, end, delta, uom, when) -> dict:
    """Create a billing request of recurring asset `sub` (inside a write): count it in the asset's stats,
    move its next billing date past the period if the period covers it, store both; returns the request.
    `items` are `{id, quantity?}` dicts already checked against the asset (None: every item it holds)."""
    cycle = shapes.cycle_number(sub, kind)
    request = shapes.billing_request_doc(
        ident=shapes.request_id(sub["id"], kind, cycle),
        kind=kind,
        sub=sub,
        items=shapes.request_items(sub, items, cycle),
        attributes=attributes,
        start=start,
        end=end,
        delta=delta,
        uom=uom,
        created=when,
    )
    next_date = sub["billing"].get("next_date")
    if next_date and start <= next_date < end:
        sub["billing"]["next_date"] = end
    shapes.record_request(sub, request)
    sub["events"]["updated"]["at"] = when
    session.put("billing_requests", request)
    session.put("subscription_assets", sub)
    return request


def _ensure_listing(session, asset: dict, world: dict, when: str, rng) -> str | None:
    product_id, market_id = asset["product"]["id"], asset["marketplace"]["id"]
    contract_id = (asset.get("contract") or {}).get("id")
    exists = session.scalar(
        "SELECT id FROM listings WHERE product_id = ? AND marketplace_id = ? AND contract_id IS ?",
        (product_id, market_id, contract_id),
    )
    product = next((p for p in world.get("products", []) if p["id"] == product_id), None)
    market = next((m for m in world.get("marketplaces", []) if m["id"] == market_id), None)
    if exists or product is None or market is None:
        return None
    while session.get_raw(
        "listings",
        ident := f"LST-{rng.randrange(1000):03d}-{rng.randrange(1000):03d}-{rng.randrange(1000):03d}",
    ):
        pass
    doc = shapes.listing_doc(
        ident=ident,
        status="listed",
        product=product,
        market=market,
        vendor=product["vendor"],
        provider=world["provider"],
        usage_schema=usage_schema(product_id),
        created=when,
        updated=when,
    )
    session.put("listings", doc)
    return ident


def follow_connect(session, rng, when: str) -> dict:
    """Step 1 of `tick`: recurring assets (and listings) for the Connect assets changed since the last run."""
    state = session.meta("usage.billing", {})
    mark = state.get("synced", "")
    # `>=`: timestamps have second precision, so an asset changed in the second of the last run is read
    # again (following is idempotent) rather than missed
    rows = session.conn.execute(
        "SELECT doc FROM assets WHERE updated >= ? ORDER BY updated, id", (mark,)
    ).fetchall()
    out = {"followed": [], "new_listings": []}
    if not rows:
        return out
    assets = [json.loads(raw) for (raw,) in rows]
    world = session.meta("connect.world", {})
    templates = asset_templates(world)
    pending = pending_requests(session, [a["id"] for a in assets])
    for asset in assets:
        sub = session.get("subscription_assets", asset["id"])
        if sub is None:
            sub = shapes.subscription_doc(
                asset,
                template=templates.get(asset["product"]["id"]),
                pending=pending.get(asset["id"]),
                next_date=None,
            )
            if asset["status"] == "active":
                sub["billing"]["next_date"] = iso(shapes.month_start(shapes.parse(when)))
            sub["events"]["updated"]["at"] = when
            changed = True
        else:
            changed = shapes.follow_asset(sub, asset, pending=pending.get(asset["id"]), when=when)
        if changed:
            session.put("subscription_assets", sub)
            out["followed"].append(asset["id"])
        listing = _ensure_listing(session, asset, world, when, rng)
        if listing:
            out["new_listings"].append(listing)
    state["synced"] = max(mark, assets[-1]["events"]["updated"]["at"])
    session.set_meta("usage.billing", state)
    return out


def bill_due(session, rng, when: str) -> list[str]:
    """Step 2 of `tick`: billing requests for 1..3 active assets whose next billing date has passed."""
    rows = session.conn.execute(
        "SELECT doc FROM subscription_assets WHERE status = 'active' AND next_date IS NOT NULL"
        " AND next_date <= ? ORDER BY next_date, id LIMIT ?",
        (when, rng.randint(1, 3)),
    ).fetchall()
    made = []
    for (raw,) in rows:
        sub = json.loads(raw)
        start = sub["billing"]["next_date"]
        uom, delta = sub["billing"]["period"]["uom"], sub["billing"]["period"].get("delta", 1)
        end = iso(shapes.period_end(shapes.parse(start), uom, delta))
        kinds = ("vendor", "provider") if rng.random() < 0.3 else ("vendor",)
        for kind in kinds:
            request = add_request(
                session,
                sub,
                kind=kind,
                items=None,
                attributes=None,
                start=start,
                end=end,
                delta=delta,
                uom=uom,
                when=when,
            )
            made.append(request["id"])
    return made


def set_attributes(session, request: dict, body: dict, when: str) -> dict:
    """Replace the sides (`vendor`, `provider`) given in `body` of a billing request's attributes (inside a
    write; `body` already checked); moves its update time. Returns the attributes."""
    attributes = {"vendor": {}, "provider": {}, **(request.get("attributes") or {})}
    for side, values in body.items():
        attributes[side] = dict(values or {})
    request["attributes"] = attributes
    request["events"]["updated"]["at"] = when
    session.put("billing_requests", request)
    return attributes


def tick(session, rng, when: str) -> dict:
    """One step of billing life (see the module docstring)."""
    out = follow_connect(session, rng, when)
    out["billed"] = bill_due(session, rng, when)
    out["attributes"] = []
    if rng.random() < 0.3:
        row = session.conn.execute(
            "SELECT doc FROM billing_requests ORDER BY updated DESC, id LIMIT 1 OFFSET ?", (rng.randrange(5),)
        ).fetchone()
        if row:
            request = json.loads(row[0])
            side = {"external_id": f"PINV-{rng.randrange(10**6):06d}", "note": "Invoiced by the provider"}
            set_attributes(session, request, {"provider": side}, when)
            out["attributes"].append(request["id"])
    return out
