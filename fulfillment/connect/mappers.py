"""Connect JSON -> model fields, one pure function per model.

Each mapper returns the model's field attnames (`product_id`, never `product`) and values,
*excluding* `id`, `payload`, `payload_hash` and `synced_at`, which the sync engine adds.
They never query the database and never require a related row to exist: a foreign key is
just the upstream id (or None).

Upstream is loose, and the mappers tolerate all of it: any field may be missing, null or
""; `assignee` is an object or ""; `address_line2` may be null; params may lack
`value_error`; item quantities are strings and may not be numbers. Timestamps like
`2020-11-23T14:18:17+00:00` become aware datetimes (None when absent or unparseable).

These run for every synced row (100,000s in a backfill), so they stay lean: plain dict
access, `datetime.fromisoformat`, no regexes, and markdown rendered only when present
(`render_markdown` is cached, since tiles and bodies repeat).

Display shapes (what the admin renders, kept in JSON columns):

- item: {id, global_id, mpn, display_name, period, item_type, type, quantity, old_quantity,
  quantity_int, old_quantity_int, delta, params: [param...]} (quantities stay strings;
  the `*_int`/`delta` keys are None when a quantity is not an integer)
- param: {id, name, title, description, type, phase, scope, value, value_error,
  structured_value, display_value, secret}; `display_value` is what staff may see
  (password values masked, checkbox choices listed)
- tiers: {customer|tier1|tier2: {id, name, external_id, external_uid, contact_info}} with
  contact_info flattened to an address card (see `map_contact_info`)
"""

from __future__ import annotations

from datetime import datetime

from channelhub.markdown import render_markdown
from channelhub.sync.coerce import as_dict, as_int, as_list, nested_id, text
from channelhub.sync.coerce import parse_time as parse_datetime
from fulfillment.connect.shapes import (
    MIGRATION_PARAM,
    SECRET_MASK,
    assignee_columns,
    context_columns,
    map_contact_info,
    map_items,
    map_params,
    map_tiers,
    tier_columns,
)

__all__ = [
    "SECRET_MASK",
    "map_asset",
    "map_contact_info",
    "map_conversation",
    "map_hub",
    "map_marketplace",
    "map_message",
    "map_params",
    "map_product",
    "map_request",
    "map_template",
    "map_tier_account",
    "map_tier_config",
    "map_tier_config_request",
    "map_tiers",
]


# --- primitives ----------------------------------------------------------------------------


def _event_at(payload: dict, event: str) -> datetime | None:
    return parse_datetime(as_dict(as_dict(payload.get("events")).get(event)).get("at"))


def _created(payload: dict) -> datetime | None:
    return parse_datetime(payload.get("created")) or _event_at(payload, "created")


def _updated(payload: dict) -> datetime | None:
    return parse_datetime(payload.get("updated")) or _event_at(payload, "updated")


# --- one mapper per model ------------------------------------------------------------------


def map_product(payload: dict) -> dict:
    """A product: name, status, icon, description, version, owner, dates."""
    owner = as_dict(payload.get("owner"))
    return {
        "name": text(payload.get("name")),
        "status": text(payload.get("status"), 32),
        "icon": text(payload.get("icon"), 500),
        "short_description": payload.get("short_description") or "",
        "version": as_int(payload.get("version")),
        "owner_id": text(owner.get("id"), 64),
        "owner_name": text(owner.get("name")),
        "created": _created(payload),
        "updated": _updated(payload),
    }


def map_template(payload: dict, *, product_id: str) -> dict:
    """Templates come from `/products/{id}/templates` and do not carry their product."""
    body = payload.get("body") or ""
    updated_by = as_dict(as_dict(as_dict(payload.get("events")).get("updated")).get("by"))
    return {
        "product_id": product_id or None,
        "title": text(payload.get("title")),
        "name": text(payload.get("name")),
        "body": body,
        "body_html": render_markdown(body),
        "scope": text(payload.get("scope"), 16),
        "type": text(payload.get("type"), 16),
        "position": as_int(payload.get("position")),
        "created": _created(payload),
        "updated": _updated(payload),
        "updated_by_name": text(updated_by.get("name")),
    }


def map_marketplace(payload: dict) -> dict:
    """A marketplace: owner, zone, currency (flat or nested), its hubs and countries."""
    owner = as_dict(payload.get("owner"))
    currency = payload.get("currency")
    if isinstance(currency, dict):  # some API versions nest it: {"code": "USD", ...}
        currency = currency.get("code") or currency.get("id")
    hubs = []
    for entry in as_list(payload.get("hubs")):
        hub = as_dict(as_dict(entry).get("hub"))
        if hub.get("id"):
            hubs.append(
                {
                    "id": hub["id"],
                    "name": hub.get("name") or "",
                    "external_id": entry.get("external_id") or "",
                }
            )
    countries = [
        {"id": c.get("id") or "", "name": c.get("name") or ""}
        for c in as_list(payload.get("countries"))
        if as_dict(c)
    ]
    return {
        "name": text(payload.get("name")),
        "description": payload.get("description") or "",
        "owner_id": text(owner.get("id"), 64),
        "owner_name": text(owner.get("name")),
        "zone": text(payload.get("zone"), 32),
        "currency": text(currency, 8),
        "icon": text(payload.get("icon"), 500),
        "hubs": hubs,
        "countries": countries,
        "created": _created(payload),
        "updated": _updated(payload),
    }


def map_hub(payload: dict) -> dict:
    """A hub: its company and the instance it connects (id and type)."""
    company = as_dict(payload.get("company"))
    instance = as_dict(payload.get("instance"))
    return {
        "name": text(payload.get("name")),
        "description": payload.get("description") or "",
        "company_id": text(company.get("id"), 64),
        "company_name": text(company.get("name")),
        "instance_id": text(instance.get("id"), 64),
        "instance_type": text(instance.get("type"), 16),
        "created": _created(payload),
        "updated": _updated(payload),
    }


def map_tier_account(payload: dict) -> dict:
    """A tier account: ids, environment, scopes, marketplace, hub, and its contact as an address card."""
    marketplace = as_dict(payload.get("marketplace"))
    hub = as_dict(payload.get("hub"))
    return {
        "name": text(payload.get("name")),
        "environment": text(payload.get("environment"), 16),
        "external_id": text(payload.get("external_id")),
        "external_uid": text(payload.get("external_uid")),
        "tax_id": text(payload.get("tax_id"), 64),
        "scopes": [s for s in as_list(payload.get("scopes")) if isinstance(s, str)],
        "marketplace_id": marketplace.get("id") or None,
        "marketplace_name": text(marketplace.get("name")),
        "hub_id": hub.get("id") or None,
        "hub_name": text(hub.get("name")),
        "contact_info": map_contact_info(payload.get("contact_info")),
        "version": as_int(payload.get("version")),
        "created": _created(payload),
        "updated": _updated(payload),
    }


def map_asset(payload: dict) -> dict:
    """An asset: its ids, context (product, connection, marketplace...), tiers, items and params."""
    tiers = as_dict(payload.get("tiers"))
    return {
        "status": text(payload.get("status"), 16),
        "external_id": text(payload.get("external_id")),
        "external_uid": text(payload.get("external_uid")),
        "external_name": text(payload.get("external_name")),
        **context_columns(payload),
        **tier_columns(tiers),
        "items": map_items(payload.get("items")),
        "params": map_params(payload.get("params")),
        "tiers": map_tiers(tiers),
        "configuration_params": map_params(as_dict(payload.get("configuration")).get("params")),
        "created": _created(payload),
        "updated": _updated(payload),
    }


def map_request(payload: dict) -> dict:
    """A fulfillment request, with the copy of its asset that it carries flattened onto it."""
    asset = as_dict(payload.get("asset"))
    tiers = as_dict(asset.get("tiers"))
    template = as_dict(payload.get("template"))
    message = template.get("message") or ""
    activation_key = payload.get("activation_key") or ""
    answered = payload.get("answered")
    return {
        "type": text(payload.get("type"), 16),
        "status": text(payload.get("status"), 16),
        # Backwards: a search by the id's tail ("1238-001") is a prefix of it, which an index serves.
        "id_reversed": text(payload.get("id"), 64)[::-1],
        "asset_id": asset.get("id") or None,
        "asset_status": text(asset.get("status"), 16),
        "asset_external_id": text(asset.get("external_id")),
        "asset_external_uid": text(asset.get("external_uid")),
        **context_columns(asset, payload),
        **tier_columns(tiers),
        **assignee_columns(payload.get("assignee")),
        "note": payload.get("note") or "",
        "reason": payload.get("reason") or "",
        "answered": answered if isinstance(answered, bool) else None,
        "effective_date": parse_datetime(payload.get("effective_date")),
        "previous_request_id": text(nested_id(payload.get("previous_approved_request")), 64),
        "activation_key": activation_key,
        "template_id": template.get("id") or None,
        "template_name": text(template.get("name")),
        "template_message": message,
        # The tile shown to the customer: the template's rendered message, or the legacy
        # markdown tile some approvals carry in `activation_key`.
        "activation_html": render_markdown(message or activation_key),
        "items": map_items(asset.get("items")),
        "params": map_params(asset.get("params")),
        "tiers": map_tiers(tiers),
        "configuration_params": map_params(as_dict(asset.get("configuration")).get("params")),
        "is_migration": needs_migration(asset),
        "created": _created(payload),
        "updated": _updated(payload),
    }


def needs_migration(asset: dict) -> bool:
    """The SDK's `needs_migration()`: the asset has a non-empty `migration_info` parameter."""
    for param in as_list(asset.get("params")):
        if isinstance(param, dict) and param.get("id") == MIGRATION_PARAM:
            return bool(param.get("value") or param.get("structured_value"))
    return False


def _template_columns(template) -> dict:
    template = as_dict(template)
    return {
        "template_id": text(template.get("id"), 64),
        "template_name": text(template.get("name")),
        "template_html": render_markdown(template.get("representation") or template.get("message") or ""),
    }


def map_tier_config(payload: dict) -> dict:
    """A tier config: its account, context, open request, template (rendered) and params."""
    account = as_dict(payload.get("account"))
    context = context_columns(payload)
    return {
        "name": text(payload.get("name")),
        "status": text(payload.get("status"), 16),
        "tier_level": as_int(payload.get("tier_level")),
        "account_id": account.get("id") or None,
        "account_name": text(account.get("name")),
        "account_external_id": text(account.get("external_id")),
        **context,
        "open_request_id": text(nested_id(payload.get("open_request")), 64),
        **_template_columns(payload.get("template")),
        "params": map_params(payload.get("params")),
        "created": _created(payload),
        "updated": _updated(payload),
    }


def map_tier_config_request(payload: dict) -> dict:
    """A TCR: its configuration's account / product / tier level are copied onto the row."""
    configuration = as_dict(payload.get("configuration"))
    account = as_dict(configuration.get("account"))
    context = context_columns(configuration)
    return {
        "type": text(payload.get("type"), 16),
        "status": text(payload.get("status"), 16),
        "environment": text(payload.get("environment"), 16),
        "configuration_id": configuration.get("id") or None,
        "parent_configuration_id": text(nested_id(payload.get("parent_configuration")), 64),
        "tier_level": as_int(configuration.get("tier_level")),
        "account_id": account.get("id") or None,
        "account_name": text(account.get("name")),
        "account_external_id": text(account.get("external_id")),
        "account_external_uid": text(account.get("external_uid")),
        "product_id": context["product_id"],
        "product_name": context["product_name"],
        "marketplace_id": context["marketplace_id"],
        "marketplace_name": context["marketplace_name"],
        "connection_type": context["connection_type"],
        "hub_id": context["hub_id"],
        "hub_name": context["hub_name"],
        "contract_id": context["contract_id"],
        "contract_name": context["contract_name"],
        **assignee_columns(payload.get("assignee")),
        "notes": payload.get("notes") or "",
        "reason": payload.get("reason") or "",
        "effective_date": parse_datetime(payload.get("effective_date")),
        "previous_request_id": text(nested_id(payload.get("previous_approved_request")), 64),
        **_template_columns(payload.get("template")),
        "params": map_params(payload.get("params")),
        "tiers": map_tiers(payload.get("tiers")),
        "configuration_params": map_params(configuration.get("params")),
        "created": _created(payload),
        "updated": _updated(payload),
    }


def map_conversation(payload: dict) -> dict:
    """A conversation: the object it is about (`instance_id`), topic, type, status, creator."""
    creator = as_dict(payload.get("creator"))
    return {
        "instance_id": text(payload.get("instance_id"), 64),
        "topic": text(payload.get("topic"), 500),
        "type": text(payload.get("type"), 32),
        "status": text(payload.get("status"), 32),
        "creator_id": text(creator.get("id"), 64),
        "creator_name": text(creator.get("name")),
        "created": _created(payload),
        "updated": _updated(payload),
    }


def map_message(payload: dict, *, conversation_id: str) -> dict:
    """A message; its conversation comes from the stream (the URL it was listed under)."""
    creator = as_dict(payload.get("creator"))
    account = as_dict(payload.get("account"))
    body = payload.get("text") or ""
    return {
        "conversation_id": conversation_id or None,
        "text": body,
        "text_html": render_markdown(body),
        "type": text(payload.get("type"), 32),
        "creator_id": text(creator.get("id"), 64),
        "creator_name": text(creator.get("name")),
        "account_id": text(account.get("id"), 64),
        "account_name": text(account.get("name")),
        "created": _created(payload),
        "updated": _updated(payload),
    }
