"""Connect's nested shapes, as mappers store them for the admin: contact info, parameters
(with secrets masked), items, tiers, and the context and assignee columns of requests."""

from __future__ import annotations

from channelhub.sync.coerce import as_dict, as_int, as_list, text
from fulfillment.connect.choices import ParamType

SECRET_MASK = "••••••••"
_SECRET_TYPES = frozenset(ParamType.SECRET_TYPES)
_TIER_KEYS = ("customer", "tier1", "tier2")
MIGRATION_PARAM = "migration_info"
_EMPTY: dict = {}


def format_phone(phone: dict) -> str:
    """A Connect phone number as one line: country code, area code, number and extension."""
    if not phone:
        return ""
    number = " ".join(
        p for p in (phone.get("country_code"), phone.get("area_code"), phone.get("phone_number")) if p
    )
    extension = phone.get("extension")
    return f"{number} ext. {extension}" if extension else number


def map_contact_info(contact_info) -> dict:
    """Connect `contact_info` -> the flat address card the admin renders ({} when absent)."""
    info = as_dict(contact_info)
    if not info:
        return {}
    contact = as_dict(info.get("contact"))
    return {
        "address_line1": info.get("address_line1") or "",
        "address_line2": info.get("address_line2") or "",
        "city": info.get("city") or "",
        "state": info.get("state") or "",
        "postal_code": info.get("postal_code") or "",
        "country": (info.get("country") or "").upper(),
        "first_name": contact.get("first_name") or "",
        "last_name": contact.get("last_name") or "",
        "email": contact.get("email") or "",
        "phone": format_phone(as_dict(contact.get("phone_number"))),
    }


def display_value(param_type: str, value, structured) -> str:
    """What staff may see of a parameter's value: masked if secret, else its text or structured values."""
    if param_type in _SECRET_TYPES:
        return SECRET_MASK if value else ""
    if value not in (None, ""):
        return value if isinstance(value, str) else str(value)
    if isinstance(structured, dict) and structured:
        if param_type == "checkbox":
            return ", ".join(key for key, checked in structured.items() if checked)
        return ", ".join(str(v) for v in structured.values() if v not in (None, ""))
    return ""


def map_params(params) -> list[dict]:
    """Connect params -> the admin's param rows (their shape: `fulfillment.connect.mappers`)."""
    rows = []
    for param in as_list(params):
        if not isinstance(param, dict):
            continue
        param_type = param.get("type") or ""
        value = param.get("value")
        structured = param.get("structured_value")
        row = {
            "id": param.get("id") or "",
            "name": param.get("name") or "",
            "title": param.get("title") or param.get("name") or param.get("id") or "",
            "description": param.get("description") or "",
            "type": param_type,
            "phase": param.get("phase") or "",
            "scope": param.get("scope") or "",
            "value": value if value is not None else "",
            "value_error": param.get("value_error") or "",
            "display_value": display_value(param_type, value, structured),
            "secret": param_type in _SECRET_TYPES,
        }
        if structured is not None:
            row["structured_value"] = structured
        rows.append(row)
    return rows


def map_items(items) -> list[dict]:
    """Connect items -> the admin's item rows, with integer quantities and their delta where they parse."""
    rows = []
    for item in as_list(items):
        if not isinstance(item, dict):
            continue
        quantity = item.get("quantity")
        old_quantity = item.get("old_quantity")
        quantity_int = as_int(quantity)
        old_quantity_int = as_int(old_quantity)
        rows.append(
            {
                "id": item.get("id") or "",
                "global_id": item.get("global_id") or "",
                "mpn": item.get("mpn") or "",
                "display_name": item.get("display_name") or item.get("name") or "",
                "period": item.get("period") or "",
                "item_type": item.get("item_type") or "",
                "type": item.get("type") or "",
                "quantity": "" if quantity is None else str(quantity),
                "old_quantity": "" if old_quantity is None else str(old_quantity),
                "quantity_int": quantity_int,
                "old_quantity_int": old_quantity_int,
                "delta": (
                    quantity_int - old_quantity_int
                    if quantity_int is not None and old_quantity_int is not None
                    else None
                ),
                "params": map_params(item.get("params")),
            }
        )
    return rows


def map_tier(tier) -> dict:
    """One tier (customer, tier 1 or tier 2) as a card: ids, name and its contact as an address card."""
    tier = as_dict(tier)
    return {
        "id": tier.get("id") or "",
        "name": tier.get("name") or "",
        "external_id": text(tier.get("external_id")),
        "external_uid": text(tier.get("external_uid")),
        "contact_info": map_contact_info(tier.get("contact_info")),
    }


def map_tiers(tiers) -> dict:
    """Connect `tiers` -> {customer|tier1|tier2: card}; empty tiers (`"tier2": {}`) are left out."""
    tiers = as_dict(tiers)
    return {key: map_tier(tiers[key]) for key in _TIER_KEYS if as_dict(tiers.get(key)).get("id")}


def tier_columns(tiers: dict) -> dict:
    """The ids and names of the customer and tier accounts, as the row's own columns."""
    customer = as_dict(tiers.get("customer"))
    tier1 = as_dict(tiers.get("tier1"))
    tier2 = as_dict(tiers.get("tier2"))
    return {
        "customer_id": customer.get("id") or None,
        "customer_name": text(customer.get("name")),
        "customer_external_id": text(customer.get("external_id")),
        "tier1_id": tier1.get("id") or None,
        "tier1_name": text(tier1.get("name")),
        "tier2_id": tier2.get("id") or None,
        "tier2_name": text(tier2.get("name")),
    }


def context_columns(obj: dict, outer: dict = _EMPTY) -> dict:
    """Product / marketplace / connection (hub, provider, vendor) / contract of an asset or config.

    `outer` is the enclosing request, whose marketplace and contract stand in when the
    nested object lacks them.
    """
    product = as_dict(obj.get("product"))
    marketplace = as_dict(obj.get("marketplace")) or as_dict(outer.get("marketplace"))
    contract = as_dict(obj.get("contract")) or as_dict(outer.get("contract"))
    connection = as_dict(obj.get("connection"))
    hub = as_dict(connection.get("hub"))
    provider = as_dict(connection.get("provider"))
    vendor = as_dict(connection.get("vendor"))
    return {
        "product_id": product.get("id") or None,
        "product_name": text(product.get("name")),
        "marketplace_id": marketplace.get("id") or None,
        "marketplace_name": text(marketplace.get("name")),
        "connection_id": text(connection.get("id"), 64),
        "connection_type": text(connection.get("type"), 16),
        "hub_id": hub.get("id") or None,
        "hub_name": text(hub.get("name")),
        "provider_id": text(provider.get("id"), 64),
        "provider_name": text(provider.get("name")),
        "vendor_id": text(vendor.get("id"), 64),
        "vendor_name": text(vendor.get("name")),
        "contract_id": text(contract.get("id"), 64),
        "contract_name": text(contract.get("name")),
    }


def assignee_columns(assignee) -> dict:
    """`assignee` is {id, name, email} when assigned and "" (or missing) when not."""
    assignee = as_dict(assignee)
    return {
        "assignee_id": text(assignee.get("id"), 64),
        "assignee_name": text(assignee.get("name")),
        "assignee_email": text(assignee.get("email"), 254),
    }
