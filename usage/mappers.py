"""Connect usage and billing JSON -> model fields, one pure function per model.

Like the fulfillment mappers: each returns the model's field attnames and values, *excluding*
`id`, `payload`, `payload_hash` and `synced_at` (the engine adds those); never queries the
database; never requires a related row (a foreign key is the upstream id or None); tolerates
any field missing, null, "" or of another type (`channelhub.sync.coerce`).

Quantities and amounts are `Decimal`, never float (`as_decimal`). They are exact when the
payload was parsed with `Decimal` for JSON numbers (the usage records stream does so,
`usage.streams.exact`); a float that got here anyway (another reader) is converted through its
shortest repr, which is exact for every JSON number of at most 15 significant digits and the
nearest double's shortest text beyond that.

Upstream spells some things two ways, and both are read: statuses and schemas in any case
(the fixture has `"READY"`), `events.created.at` or `created_at`/`created`, `error_detail` or
`error_details`, a record's `category` as `{id, name}` (the fixture) or a plain string (the spec).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from channelhub.sync.coerce import as_dict, as_int, as_list, text
from channelhub.sync.coerce import parse_time as parse_datetime
from usage.choices import UsageSchema

__all__ = [
    "as_decimal",
    "map_billing_request",
    "map_listing",
    "map_recurring_asset",
    "map_usage_chunk",
    "map_usage_file",
    "map_usage_record",
    "record_number",
    "record_time",
]

_SCHEMAS = frozenset(UsageSchema.values)


# --- primitives ----------------------------------------------------------------------------


def as_decimal(value) -> Decimal | None:
    """A JSON number (Decimal, int, numeric string, or float as a last resort) as a Decimal;
    None when missing, a bool, or not a finite number."""
    if value is None or isinstance(value, bool) or value == "":
        return None
    if isinstance(value, Decimal):
        number = value
    else:
        try:
            # repr(float) is its shortest round-tripping text: exact up to 15 significant digits.
            number = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
        except (InvalidOperation, ValueError):
            return None
    return number if number.is_finite() else None


def as_date(value) -> date | None:
    """A `YYYY-MM-DD` date (or the date of an ISO time); None when missing or unreadable."""
    if not value or not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def lower(value, limit: int) -> str:
    """An enum-like string, lower-cased (upstream sends `READY` as well as `ready`)."""
    return text(value, limit).lower()


def schema_of(value) -> str:
    """A usage schema (`qt`, `tr`, `pr`, `cr`) in lower case; "" when it is not one."""
    schema = lower(value, 8)
    return schema if schema in _SCHEMAS else ""


def _event(payload: dict, name: str) -> dict:
    return as_dict(as_dict(payload.get("events")).get(name))


def _event_at(payload: dict, name: str) -> datetime | None:
    return parse_datetime(_event(payload, name).get("at"))


def _created(payload: dict) -> datetime | None:
    return _event_at(payload, "created") or parse_datetime(
        payload.get("created_at") or payload.get("created")
    )


def _updated(payload: dict) -> datetime | None:
    return _event_at(payload, "updated") or parse_datetime(payload.get("updated"))


def _party(payload: dict, key: str) -> dict:
    """`<key>_id` and `<key>_name` of a nested `{id, name}` reference."""
    ref = as_dict(payload.get(key))
    return {f"{key}_id": text(ref.get("id"), 64), f"{key}_name": text(ref.get("name"))}


def _count(value) -> int:
    """A non-negative counter (0 when missing or not a number)."""
    number = as_int(value)
    return number if number is not None and number >= 0 else 0


# --- usage ---------------------------------------------------------------------------------


def map_usage_file(payload: dict) -> dict:
    """A usage file: status, schema, period, parties, notes, counters and the time of each step."""
    period = as_dict(payload.get("period"))
    records = as_dict(payload.get("records"))
    stats = as_dict(payload.get("stats"))
    created_by = as_dict(_event(payload, "created").get("by")).get("name") or payload.get("created_by")
    return {
        "name": text(payload.get("name")),
        "description": text(payload.get("description"), 10_000),
        "note": text(payload.get("note"), 10_000),
        "external_id": text(payload.get("external_id")),
        "status": lower(payload.get("status"), 16),
        "sub_status": lower(payload.get("sub_status"), 16),
        "schema": schema_of(payload.get("schema")),
        "currency": text(payload.get("currency"), 20),
        "environment": lower(payload.get("environment"), 16),
        "period_from": as_date(period.get("from")),
        "period_to": as_date(period.get("to")),
        **_party(payload, "product"),
        **_party(payload, "contract"),
        **_party(payload, "marketplace"),
        **_party(payload, "vendor"),
        **_party(payload, "provider"),
        "acceptance_note": text(payload.get("acceptance_note"), 10_000),
        "rejection_note": text(payload.get("rejection_note"), 10_000),
        "error_details": text(payload.get("error_detail") or payload.get("error_details"), 10_000),
        "stats": {k: _count(v) for k, v in stats.items() if isinstance(k, str)},
        # Connect's list (UsageFileList) has no `records` counters, only `stats`: a file read
        # from the list counts its valid and closed records from the stats instead of zero.
        "records_valid": _count(records["valid"] if "valid" in records else stats.get("validated")),
        "records_invalid": _count(records.get("invalid")),
        "records_closed": _count(records["closed"] if "closed" in records else stats.get("closed")),
        "created": _created(payload),
        "created_by": text(created_by),
        "uploaded_at": _event_at(payload, "uploaded"),
        "submitted_at": _event_at(payload, "submitted"),
        "accepted_at": _event_at(payload, "accepted"),
        "rejected_at": _event_at(payload, "rejected"),
        "closed_at": _event_at(payload, "closed"),
        "deleted_at": _event_at(payload, "deleted"),
    }


def map_usage_record(payload: dict) -> dict:
    """A usage record: its file, asset, item, category, tier, usage and amount (Decimal), billing id.

    Run on every record of every pulled file (100,000 for a big file), so the common shapes take
    a short way (`record_time`, `record_number`, an int tier) to the same values."""
    get = payload.get
    item = as_dict(get("item"))
    asset = as_dict(get("asset"))
    category = get("category")
    category_id = category.get("id") if isinstance(category, dict) else category
    tier = get("tier")
    if tier.__class__ is not int:
        tier = as_int(tier)
    return {
        "usage_file_id": as_dict(get("usagefile")).get("id") or None,
        "status": lower(get("status"), 16),
        "product_id": text(get("product_id"), 64),
        "asset_id": text(asset.get("id") or get("asset_id"), 64),
        "asset_external_id": text(asset.get("external_id") or get("asset_external_id")),
        "item_id": text(item.get("id") or get("item_id"), 64),
        "item_mpn": text(item.get("mpn")),
        "item_name": text(item.get("name")),
        "category_id": text(category_id, 64),
        "tier": tier if tier is not None and 0 <= tier <= 32767 else None,
        "usage": record_number(get("usage")),
        "amount": record_number(get("amount")),
        "start_date": record_time(get("start_date")),
        "end_date": record_time(get("end_date")),
        "external_billing_id": text(get("external_billing_id")),
        "external_billing_note": text(get("external_billing_note"), 10_000),
        "closed_at": record_time(get("closed_at")),
        "closed_by": text(get("closed_by")),
    }


def record_time(value) -> datetime | None:
    """`parse_datetime(value)`, the common case first: a string `datetime.fromisoformat` reads as
    it is (what `parse_datetime` hands it after trimming, replacing `Z` and cutting fractions to
    microseconds, all of which fromisoformat does the same or refuses); the rest through
    `parse_datetime` itself."""
    if value.__class__ is str:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return parse_datetime(value)
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    return parse_datetime(value)


def record_number(value) -> Decimal | None:
    """`as_decimal(value)`, a finite Decimal (what the exact parse gives) taken as it is."""
    return value if value.__class__ is Decimal and value.is_finite() else as_decimal(value)


def map_usage_chunk(payload: dict) -> dict:
    """A provider's chunk: its file (schema, currency), hub binding, marketplace, status and stats."""
    usagefile = as_dict(payload.get("usagefile"))
    binding = as_dict(payload.get("binding"))
    hub = as_dict(binding.get("hub"))
    stats = as_dict(payload.get("stats"))
    return {
        "usage_file_id": usagefile.get("id") or None,
        "status": lower(payload.get("status"), 16),
        "outdated": payload.get("outdated") is True,
        "hub_id": text(hub.get("id"), 64),
        "hub_name": text(hub.get("name")),
        "marketplace_id": text(as_dict(payload.get("marketplace")).get("id"), 64),
        "provider_id": text(as_dict(payload.get("provider")).get("id"), 64),
        "external_id": text(payload.get("external_id") or binding.get("external_id")),
        "schema": schema_of(usagefile.get("schema")),
        "currency": text(usagefile.get("currency"), 20),
        "error_detail": text(as_dict(payload.get("error")).get("detail"), 10_000),
        "stats": {k: _count(v) for k, v in stats.items() if isinstance(k, str)},
        "created": _created(payload),
        "closed_at": _event_at(payload, "closed"),
    }


def map_listing(payload: dict) -> dict:
    """A listing: product (with its ppu schema, lower-cased), contract, marketplace (and its
    currency), vendor, provider."""
    product = as_dict(payload.get("product"))
    contract = as_dict(payload.get("contract"))
    marketplace = as_dict(payload.get("marketplace")) or as_dict(contract.get("marketplace"))
    ppu = as_dict(as_dict(product.get("capabilities")).get("ppu"))
    currency = marketplace.get("currency")
    if isinstance(currency, dict):  # some API versions nest it: {"code": "USD", ...}
        currency = currency.get("code") or currency.get("id")
    return {
        "status": lower(payload.get("status"), 16),
        "product_id": text(product.get("id"), 64),
        "product_name": text(product.get("name")),
        "contract_id": text(contract.get("id"), 64),
        "contract_name": text(contract.get("name")),
        "marketplace_id": text(marketplace.get("id"), 64),
        "marketplace_name": text(marketplace.get("name")),
        **_party(payload, "vendor"),
        **_party(payload, "provider"),
        "usage_schema": schema_of(ppu.get("schema")),
        "currency": text(currency, 20),
        "created": _created(payload),
        "updated": _updated(payload),
    }


# --- billing -------------------------------------------------------------------------------


def _billing_items(items) -> list[dict]:
    """Items of a recurring asset or billing request, for display: ids, names, period, type and
    the quantity as exact decimal text (never a float in a JSON column)."""
    out = []
    for entry in as_list(items):
        item = as_dict(entry)
        if not item.get("id"):
            continue
        quantity = as_decimal(item.get("quantity"))
        out.append(
            {
                "id": text(item.get("id"), 64),
                "global_id": text(item.get("global_id"), 64),
                "mpn": text(item.get("mpn")),
                "display_name": text(item.get("display_name")),
                "period": text(item.get("period"), 32),
                "item_type": text(item.get("item_type"), 32),
                "type": text(item.get("type"), 32),
                "quantity": None if quantity is None else str(quantity),
                "billing": as_dict(item.get("billing")),
            }
        )
    return out


def map_recurring_asset(payload: dict) -> dict:
    """A recurring asset: product, marketplace, contract, customer, billing period, next date, items."""
    billing = as_dict(payload.get("billing"))
    period = as_dict(billing.get("period"))
    product = as_dict(payload.get("product"))
    customer = as_dict(as_dict(payload.get("tiers")).get("customer"))
    return {
        "status": lower(payload.get("status"), 16),
        "external_id": text(payload.get("external_id")),
        "external_uid": text(payload.get("external_uid")),
        "product_id": text(product.get("id"), 64),
        "product_name": text(product.get("name")),
        "marketplace_id": text(as_dict(payload.get("marketplace")).get("id"), 64),
        "contract_id": text(as_dict(payload.get("contract")).get("id"), 64),
        "customer_id": text(customer.get("id"), 64),
        "customer_name": text(customer.get("name")),
        "environment": lower(as_dict(payload.get("connection")).get("type"), 16),
        "billing_period_uom": lower(period.get("uom"), 16),
        "billing_period_delta": as_decimal(period.get("delta")),
        "next_billing_date": parse_datetime(billing.get("next_date")),
        "anniversary": as_dict(billing.get("anniversary")),
        "items": _billing_items(payload.get("items")),
        "created": _created(payload),
        "updated": _updated(payload),
    }


def _attributes(value) -> dict:
    """A billing request's attributes as `{vendor: {...}, provider: {...}}` (the sandbox's and the
    SDK's object; the spec's list of such objects is merged in order)."""
    if isinstance(value, dict):
        return {k: as_dict(v) for k, v in value.items() if k in ("vendor", "provider")}
    merged: dict = {}
    for entry in as_list(value):
        for side, attrs in as_dict(entry).items():
            if side in ("vendor", "provider"):
                merged.setdefault(side, {}).update(as_dict(attrs))
    return merged


def map_billing_request(payload: dict) -> dict:
    """A billing request: type, its asset, period, items and attributes."""
    asset = as_dict(payload.get("asset"))
    period = as_dict(payload.get("period"))
    return {
        "type": lower(payload.get("type"), 16),
        "asset_id": asset.get("id") or None,
        "asset_external_uid": text(asset.get("external_uid")),
        "product_id": text(as_dict(asset.get("product")).get("id"), 64),
        "period_from": parse_datetime(period.get("from")),
        "period_to": parse_datetime(period.get("to")),
        "period_delta": as_decimal(period.get("delta")),
        "period_uom": lower(period.get("uom"), 16),
        "items": _billing_items(payload.get("items")),
        "attributes": _attributes(payload.get("attributes")),
        "created": _created(payload),
        "updated": _updated(payload),
    }
