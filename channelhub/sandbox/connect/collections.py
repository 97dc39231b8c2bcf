"""The Connect collections as sandbox tables: which properties are extracted into indexed
columns, which filter names are aliases, what `search=` looks at.

Cursor fields: `/requests` has a top-level `updated` (and `created`); every other collection
keeps its update time in `events.updated.at` (and `events.created.at`). Both spellings filter on
the same indexed column, so `updated`/`created` also work on assets, tier configs, TCRs, ...
Default ordering (no `ordering()` given): `-created` then `id` (messages: `created`, `id`);
every ordering ends with `id` so pages are stable.
"""

from __future__ import annotations

from ..rql import NULL
from ..store import Collection

EVENTS = {"events.created.at": "created", "events.updated.at": "updated"}
EVENT_ALIASES = {"created": "events.created.at", "updated": "events.updated.at"}


def _assignee_filter(compiler, op, prop, value):
    """`assignee` is an object or "" upstream: `eq(assignee,null())`/`empty()` = unassigned,
    `eq(assignee,UR-...)` compares the assignee's id. TCRs also take `unassigned=true|false`."""
    if prop == "unassigned" and op == "eq":
        return "(assignee_id IS NULL)" if str(value).lower() == "true" else "(assignee_id IS NOT NULL)"
    if prop != "assignee":
        return None
    if value is NULL or value == "":
        if op == "eq":
            return "(assignee_id IS NULL)"
        if op == "ne":
            return "(assignee_id IS NOT NULL)"
        return None
    if op in ("eq", "ne", "like", "ilike"):
        column = "assignee_id"
        if op in ("like", "ilike"):
            return compiler._like(column, op, value)
        return compiler._compare(column, op, value)
    return None


REQUESTS = Collection(
    name="requests",
    columns={
        "created": "created",
        "updated": "updated",
        "status": "status",
        "type": "type",
        "asset.id": "asset_id",
        "asset.product.id": "product_id",
        "asset.tiers.customer.id": "customer_id",
        "asset.marketplace.id": "marketplace_id",
        "asset.connection.type": "environment",
        "asset.external_id": "external_id",
        "asset.tiers.customer.name": "customer_name",
        "asset.product.name": "product_name",
        "assignee.id": "assignee_id",
    },
    search_fields=("id", "asset.id", "asset.external_id", "asset.tiers.customer.name", "asset.product.name"),
    indexes=(("status", "updated", "id"), ("asset_id", "created"), ("product_id", "updated", "id")),
    special=_assignee_filter,
)

ASSETS = Collection(
    name="assets",
    columns={
        **EVENTS,
        "status": "status",
        "product.id": "product_id",
        "tiers.customer.id": "customer_id",
        "marketplace.id": "marketplace_id",
        "connection.type": "environment",
        "external_id": "external_id",
        "external_uid": "external_uid",
        "tiers.customer.name": "customer_name",
        "product.name": "product_name",
    },
    aliases=EVENT_ALIASES,
    search_fields=("id", "external_id", "external_uid", "tiers.customer.name", "product.name"),
    indexes=(("status", "updated", "id"), ("customer_id",), ("product_id", "updated", "id")),
)

TIER_CONFIGS = Collection(
    name="tier_configs",
    columns={
        **EVENTS,
        "status": "status",
        "account.id": "account_id",
        "product.id": "product_id",
        "tier_level": "tier_level",
        "name": "name",
    },
    aliases=EVENT_ALIASES,
    search_fields=("id", "name", "account.name", "account.id"),
    indexes=(("account_id",),),
)

TIER_CONFIG_REQUESTS = Collection(
    name="tier_config_requests",
    columns={
        **EVENTS,
        "status": "status",
        "type": "type",
        "configuration.id": "configuration_id",
        "configuration.account.id": "account_id",
        "configuration.product.id": "product_id",
        "assignee.id": "assignee_id",
    },
    aliases=EVENT_ALIASES,
    search_fields=("id", "configuration.id", "configuration.account.name", "configuration.account.id"),
    indexes=(("status", "updated", "id"), ("configuration_id",)),
    special=_assignee_filter,
)

TIER_ACCOUNTS = Collection(
    name="tier_accounts",
    columns={**EVENTS, "name": "name", "external_id": "external_id", "environment": "environment"},
    aliases=EVENT_ALIASES,
    search_fields=("id", "name", "external_id", "external_uid"),
)

PRODUCTS = Collection(
    name="products",
    columns={**EVENTS, "status": "status", "name": "name"},
    aliases=EVENT_ALIASES,
    search_fields=("id", "name"),
)

TEMPLATES = Collection(
    name="templates",
    columns={**EVENTS, "scope": "scope", "type": "type", "name": "name"},
    extra_columns=("product_id",),
    aliases=EVENT_ALIASES,
    search_fields=("id", "name", "title"),
    indexes=(("product_id",),),
)

ITEMS = Collection(
    name="items",
    columns={**EVENTS, "mpn": "mpn"},
    extra_columns=("product_id",),
    aliases=EVENT_ALIASES,
    search_fields=("id", "mpn", "display_name"),
    default_ordering=("id",),
    indexes=(("product_id",),),
)

PARAMETERS = Collection(
    name="parameters",
    columns={**EVENTS, "scope": "scope", "phase": "phase"},
    extra_columns=("product_id",),
    aliases=EVENT_ALIASES,
    search_fields=("id", "name", "title"),
    default_ordering=("id",),
    indexes=(("product_id",),),
)

MARKETPLACES = Collection(
    name="marketplaces",
    columns={**EVENTS, "name": "name"},
    aliases=EVENT_ALIASES,
    search_fields=("id", "name"),
)

HUBS = Collection(
    name="hubs",
    columns={**EVENTS, "name": "name"},
    aliases=EVENT_ALIASES,
    search_fields=("id", "name"),
)

ACCOUNTS = Collection(
    name="accounts",
    columns={**EVENTS, "name": "name", "type": "type"},
    aliases=EVENT_ALIASES,
    search_fields=("id", "name"),
)

CONVERSATIONS = Collection(
    name="conversations",
    columns={"created": "created", "events.updated.at": "updated", "instance_id": "instance_id"},
    aliases={"updated": "events.updated.at"},
    search_fields=("id", "instance_id", "topic"),
    indexes=(("instance_id",),),
)

MESSAGES = Collection(
    name="messages",
    columns={
        "created": "created",
        "events.updated.at": "updated",
        "conversation": "conversation_id",
        "type": "type",
    },
    aliases={"updated": "events.updated.at"},
    search_fields=("id", "text"),
    default_ordering=("created",),
    indexes=(("conversation_id", "created"),),
)

ALL = [
    REQUESTS,
    ASSETS,
    TIER_CONFIGS,
    TIER_CONFIG_REQUESTS,
    TIER_ACCOUNTS,
    PRODUCTS,
    TEMPLATES,
    ITEMS,
    PARAMETERS,
    MARKETPLACES,
    HUBS,
    ACCOUNTS,
    CONVERSATIONS,
    MESSAGES,
]
