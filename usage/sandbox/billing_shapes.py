"""Documents of Connect's listings (`dp.Listing`), recurring assets (`subscriptions.Subscription`)
and billing requests (`subscriptions.BillingRequest`), built from Connect's own documents.

A recurring asset is derived from a Connect asset (same id, items, tiers, params, contract,
marketplace, connection) plus its `billing` block; a billing request embeds a snapshot of the
recurring asset (`subscriptions.SubscriptionReference`) as it was when the request was made.
Billing periods line up with calendar months: a period starts on the 1st at 00:00 UTC and lasts
`delta` x its unit (a month, a year, N years), so a monthly period is exactly the month a usage
file reports.
"""

from __future__ import annotations

import copy
import zlib
from datetime import UTC, datetime

from channelhub.sandbox.common import iso

# Months per unit of measure of a billing period (the spec's enum).
UOM_MONTHS = {
    "monthly": 1,
    "yearly": 12,
    "years_2": 24,
    "years_3": 36,
    "years_4": 48,
    "years_5": 60,
    "years_6": 72,
}
BILLED_STATUSES = ("active", "suspended", "terminated")  # assets that have been billed
REFERENCE_KEYS = (
    "id",
    "status",
    "events",
    "external_id",
    "external_uid",
    "product",
    "connection",
    "params",
    "tiers",
    "marketplace",
    "contract",
)
REQUEST_BY = {
    "vendor": {"id": "SU-000-000-101", "name": "Vendor billing"},
    "provider": {"id": "SU-000-000-102", "name": "Provider billing"},
}


# ---------------------------------------------------------------------------------------------
# calendar periods


def parse(text: str) -> datetime:
    """A stored ISO timestamp as an aware UTC datetime."""
    return datetime.fromisoformat(text).astimezone(UTC)


def month_start(when: datetime) -> datetime:
    """The first instant of `when`'s calendar month (UTC)."""
    return when.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def add_months(when: datetime, months: int) -> datetime:
    """`when` moved by whole months (only ever called with the 1st of a month)."""
    index = when.year * 12 + when.month - 1 + months
    return when.replace(year=index // 12, month=index % 12 + 1)


def period_end(start: datetime, uom: str, delta: int = 1) -> datetime:
    """The end (exclusive) of the period starting at `start`."""
    return add_months(start, UOM_MONTHS[uom] * int(delta))


# ---------------------------------------------------------------------------------------------
# listings


def listing_doc(*, ident, status, product, market, vendor, provider, usage_schema, created, updated) -> dict:
    """A `dp.Listing`: `product` and `market` are the world's product and marketplace (whose `contract`
    the seeded assets carry); `usage_schema` is the product's ppu schema, upper-case as on dp.Product."""
    marketplace = {
        "id": market["id"],
        "name": market["name"],
        "icon": market["ref"]["icon"],
        "currency": market["currency"],
    }
    return {
        "id": ident,
        "status": status,
        "contract": {**market["contract"], "marketplace": dict(marketplace)},
        "marketplace": marketplace,
        "product": {
            "id": product["id"],
            "name": product["name"],
            "icon": product["icon"],
            "status": product["status"],
            "capabilities": {"ppu": {"schema": usage_schema, "dynamic": False, "future": False}},
        },
        "vendor": {"id": vendor["id"], "name": vendor["name"], "icon": vendor["icon"]},
        "provider": {"id": provider["id"], "name": provider["name"], "icon": provider["icon"]},
        "created": created,
        "updated": updated,
    }


# ---------------------------------------------------------------------------------------------
# recurring assets


def _quantity(value) -> int | float:
    """Connect's asset quantities are strings ("5"); the subscriptions API has numbers."""
    text = str(value if value not in (None, "") else "0")
    number = float(text)
    return int(number) if number.is_integer() else number


def _empty_stats() -> dict:
    return {"vendor": {"last_request": None, "count": 0}, "provider": {"last_request": None, "count": 0}}


def billing_uom(asset: dict) -> str:
    """monthly, or yearly for about a third of the assets holding only yearly items (picked by the asset
    id's crc32, so it never changes): a yearly commitment is mostly billed monthly."""
    periods = {
        str(i.get("period", "")).lower() for i in asset.get("items", []) if _quantity(i.get("quantity"))
    }
    if periods == {"yearly"} and zlib.crc32(asset["id"].encode()) % 3 == 0:
        return "yearly"
    return "monthly"


def subscription_doc(
    asset: dict, *, template: dict | None, pending: dict | None, next_date: str | None
) -> dict:
    """The recurring asset of Connect asset `asset`, with an empty billing history (`record_request` adds each
    billing request to its stats). It shares `asset`'s nested objects: callers pass a freshly parsed
    document they do not use afterwards (copying them costs the seed more than all the rest)."""
    created = parse(asset["events"]["created"]["at"])
    items = []
    for item in asset.get("items", []):
        items.append(
            {
                "id": item["id"],
                "global_id": item["global_id"],
                "display_name": item["display_name"],
                "mpn": item["mpn"],
                "item_type": item["item_type"],
                "period": item["period"],
                "quantity": _quantity(item.get("quantity")),
                "type": item["type"],
                "billing": {"stats": _empty_stats()},
            }
        )
    return {
        "id": asset["id"],
        "status": asset["status"],
        "events": copy.deepcopy(asset["events"]),
        "external_id": asset.get("external_id"),
        "external_uid": asset.get("external_uid"),
        "product": asset["product"],
        "connection": asset["connection"],
        "items": items,
        "params": asset.get("params", []),
        "tiers": asset.get("tiers", {}),
        "marketplace": asset["marketplace"],
        "contract": asset.get("contract") or {},
        "billing": {
            "period": {"delta": 1, "uom": billing_uom(asset)},
            "next_date": next_date,
            "anniversary": {"day": 1, "month": created.month},
            "stats": _empty_stats(),
        },
        "template": template or {},
        "pending_request": pending,
        "renewal_expiration_date": None,
    }


def follow_asset(sub: dict, asset: dict, *, pending: dict | None, when: str) -> bool:
    """Bring recurring asset `sub` in line with its Connect asset (status, items, params, tiers, ...), keeping
    its billing history; a newly active asset starts billing with the current month, a terminated one stops.
    True if anything changed (then `events.updated.at` is `when`)."""
    fresh = subscription_doc(asset, template=sub.get("template"), pending=pending, next_date=None)
    stats = {i["id"]: i["billing"] for i in sub.get("items", [])}
    for item in fresh["items"]:
        item["billing"] = stats.get(item["id"], item["billing"])
    fresh["billing"] = copy.deepcopy(sub["billing"])
    if asset["status"] == "terminated":
        fresh["billing"]["next_date"] = None
    elif asset["status"] == "active" and not fresh["billing"]["next_date"]:
        fresh["billing"]["next_date"] = iso(month_start(parse(when)))
    fresh["events"] = copy.deepcopy(sub["events"])
    if fresh == sub:
        return False
    sub.clear()
    sub.update(fresh)
    sub["events"]["updated"]["at"] = when
    return True


def reference(sub: dict) -> dict:
    """The recurring asset as a billing request embeds it (`subscriptions.SubscriptionReference`)."""
    # nested objects are shared with `sub` but for `events`, the only one changed in place later
    out = {key: sub.get(key) for key in REFERENCE_KEYS}
    out["events"] = copy.deepcopy(sub.get("events"))
    billing = sub.get("billing") or {}
    out["billing"] = {
        "period": dict(billing.get("period") or {}),
        "next_date": billing.get("next_date"),
        "anniversary": dict(billing.get("anniversary") or {}),
    }
    out["renewal_expiration_date"] = sub.get("renewal_expiration_date")
    return out


# ---------------------------------------------------------------------------------------------
# billing requests


def request_id(asset_id: str, kind: str, number: int) -> str:
    """BRV-/BRP- (vendor/provider) + the asset's digits + a per-asset sequence: deterministic, no draws."""
    return f"BR{kind[0].upper()}-{asset_id.split('-', 1)[1]}-{number:03d}"


def summary(request: dict) -> dict:
    """A request as the asset's billing stats name it (`subscriptions.BillingRequestSummary`)."""
    return {"id": request["id"], "type": request["type"], "period": dict(request["period"])}


def request_items(sub: dict, wanted: list[dict] | None, cycle: int) -> list[dict]:
    """`subscriptions.ItemRequestReference`s: the asset's items named in `wanted` (each `{id, quantity?}`),
    or every item it holds; `billing.cycle_number` is the request's period number for the asset."""
    by_id = {i["id"]: i for i in sub["items"]}
    if wanted is None:
        wanted = [{"id": i["id"]} for i in sub["items"] if i["quantity"]]
    out = []
    for want in wanted:
        item = by_id[want["id"]]
        ref = {k: v for k, v in item.items() if k != "billing"}
        if want.get("quantity") is not None:
            ref["quantity"] = want["quantity"]
        ref["billing"] = {"cycle_number": cycle}
        out.append(ref)
    return out


def billing_request_doc(
    *,
    ident,
    kind,
    sub,
    items,
    attributes,
    start: str,
    end: str,
    delta,
    uom,
    created,
    updated=None,
    asset_ref=None,
) -> dict:
    """A `subscriptions.BillingRequest` of `kind` (vendor|provider) for recurring asset `sub` and the period
    [start, end); `asset_ref` is the asset's reference if the caller already built it (the seed shares one
    per asset between its requests: they are only serialised)."""
    by = REQUEST_BY[kind]
    return {
        "id": ident,
        "type": kind,
        "events": {
            "created": {"at": created, "by": dict(by)},
            "updated": {"at": updated or created, "by": dict(by)},
        },
        "asset": asset_ref if asset_ref is not None else reference(sub),
        "items": items,
        "attributes": {"vendor": {}, "provider": {}, **(attributes or {})},
        "period": {"from": start, "to": end, "delta": delta, "uom": uom},
    }


def record_request(sub: dict, request: dict) -> None:
    """Count `request` in the asset's billing stats (asset and billed items); the last request of a side is
    the one with the latest period start."""
    summary_ = summary(request)

    def count(stats: dict) -> None:
        side = stats.setdefault(request["type"], {"last_request": None, "count": 0})
        side["count"] = side.get("count", 0) + 1
        last = side.get("last_request")
        if last is None or last["period"]["from"] <= summary_["period"]["from"]:
            side["last_request"] = dict(summary_)

    count(sub["billing"].setdefault("stats", _empty_stats()))
    billed = {i["id"] for i in request["items"]}
    for item in sub["items"]:
        if item["id"] in billed:
            count(item.setdefault("billing", {}).setdefault("stats", _empty_stats()))


def cycle_number(sub: dict, kind: str) -> int:
    """The number the next `kind` request of the asset gets (1 for its first)."""
    return (sub["billing"].get("stats", {}).get(kind) or {}).get("count", 0) + 1
