"""Lookups into Connect's seeded world (read only: usage never changes Connect's documents):
products and their vendor, contracts and their marketplace, a product's items, the assets of a
product under a contract, the hub an asset is connected through, the accounts behind an API key."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from channelhub.sandbox.common import ApiError, bad_request

from .catalog import usage_schema

VENDOR, PROVIDER, BOTH = "vendor", "provider", "both"


def world_of(session) -> dict:
    """Connect's seeded world (products, marketplaces, provider, vendors, hubs), from the meta table."""
    return session.meta("connect.world", {}) or {}


def product_of(world: dict, pid: str | None) -> dict:
    """Connect's product `pid`; 400 VAL_001 if there is none."""
    for product in world.get("products", []):
        if product["id"] == pid:
            return product
    raise bad_request(f"product.id: Product {pid} is unknown.")


def marketplace_of_contract(world: dict, cid: str | None) -> dict:
    """The marketplace whose distribution contract is `cid`; 400 VAL_001 if there is none."""
    for marketplace in world.get("marketplaces", []):
        if marketplace["contract"]["id"] == cid:
            return marketplace
    raise bad_request(f"contract.id: Contract {cid} is unknown.")


def account_ref(account: dict) -> dict:
    """An account as a usage file names it: `{id, name, icon}`."""
    return {"id": account["id"], "name": account["name"], "icon": account.get("icon", "")}


def items_of(session, pid: str) -> list[dict]:
    """The product's items (Connect's `items` collection), in id order."""
    rows = session.conn.execute("SELECT doc FROM items WHERE product_id = ? ORDER BY id", (pid,))
    return [json.loads(r[0]) for r in rows]


def assets_of(session, pid: str, cid: str) -> list[dict]:
    """The product's assets sold under contract `cid`, in id order."""
    rows = session.conn.execute(
        "SELECT doc FROM assets WHERE product_id = ? AND json_extract(doc, '$.contract.id') = ? ORDER BY id",
        (pid, cid),
    )
    return [json.loads(r[0]) for r in rows]


def hub_of(asset: dict) -> dict:
    """The hub an asset is connected through (`{id, name}`, {} if none)."""
    return dict((asset.get("connection") or {}).get("hub") or {})


def schema_of(pid: str) -> str:
    """The file `schema` of a product: its usage schema, lower-case (qt, tr, pr, cr)."""
    return usage_schema(pid).lower()


def period_bounds(period: dict | None) -> tuple[datetime, datetime] | None:
    """(first second, end) of a period `{from, to}` (dates, `to` inclusive), naive UTC; None if unset."""
    if not period or not period.get("from") or not period.get("to"):
        return None
    start = datetime.fromisoformat(str(period["from"])[:10])
    end = datetime.fromisoformat(str(period["to"])[:10]) + timedelta(days=1)
    return start, end


def check_period(period) -> dict | None:
    """A valid `{from, to}` period (ISO dates, from <= to) or None; 400 VAL_001 otherwise."""
    if period is None:
        return None
    if not isinstance(period, dict):
        raise bad_request("period: must be an object with from and to dates.")
    try:
        start = date.fromisoformat(str(period.get("from"))[:10])
        end = date.fromisoformat(str(period.get("to"))[:10])
    except ValueError as exc:
        raise bad_request("period: from and to must be dates (YYYY-MM-DD).") from exc
    if end < start:
        raise bad_request("period: to must not be before from.")
    return {"from": start.isoformat(), "to": end.isoformat()}


def _naive(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text).replace(tzinfo=None)


def asset_active_in(asset: dict, bounds: tuple[datetime, datetime] | None) -> bool:
    """Whether the asset was active at some time of the period: created before it ends, and active or
    suspended now, or terminated after it started (never-activated assets are not)."""
    status = asset.get("status")
    if status not in ("active", "suspended", "terminated"):
        return False
    if bounds is None:
        return status != "terminated"
    start, end = bounds
    created = _naive(asset.get("events", {}).get("created", {}).get("at"))
    if created is not None and created >= end:
        return False
    if status == "terminated":
        updated = _naive(asset.get("events", {}).get("updated", {}).get("at"))
        return updated is None or updated >= start
    return True


def actor_of(request) -> tuple[str, str]:
    """(account id, side) of the API key: `ApiKey VA-...:secret` is a vendor, `PA-...` a provider,
    anything else (the demo's SU-...) may act on both sides."""
    key = request.headers.get("Authorization", "").partition(" ")[2].strip()
    ident = key.split(":", 1)[0] or "SU-000-000-000"
    if ident.startswith("VA-"):
        return ident, VENDOR
    if ident.startswith("PA-"):
        return ident, PROVIDER
    return ident, BOTH


def require_side(request, side: str, action: str) -> dict:
    """The `{id, name}` of the acting account; 403 AUTH_002 if it is not on `side` (vendor or provider)."""
    ident, actual = actor_of(request)
    if actual not in (side, BOTH):
        raise ApiError(
            403,
            "AUTH_002",
            f"Account {ident} is a {actual} account: only the {side} may {action} a usage file.",
        )
    return {"id": ident, "name": ident}
