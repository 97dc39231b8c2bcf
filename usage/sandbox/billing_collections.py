"""The sandbox tables of the listings, recurring assets and billing requests: which properties are
extracted into indexed columns (the spec's filters the mirror and the SDKs use), aliases and search.

Listings keep top-level `created`/`updated` (dp.Listing); recurring assets and billing requests
keep theirs in `events.created.at`/`events.updated.at`, also reachable as `created`/`updated`.
Every ordering ends with `id`, so `ordering(events.updated.at)` pages are stable for the keyset sync.
"""

from __future__ import annotations

from channelhub.sandbox.connect.collections import EVENT_ALIASES, EVENTS
from channelhub.sandbox.store import Collection

LISTINGS = Collection(
    name="listings",
    columns={
        "created": "created",
        "updated": "updated",
        "status": "status",
        "product.id": "product_id",
        "contract.id": "contract_id",
        "marketplace.id": "marketplace_id",
        "vendor.id": "vendor_id",
        "provider.id": "provider_id",
    },
    search_fields=("id", "product.id", "product.name", "marketplace.name", "contract.name"),
    default_ordering=("-created",),
    indexes=(("status", "product_id"), ("product_id",), ("contract_id",)),
)

SUBSCRIPTION_ASSETS = Collection(
    name="subscription_assets",
    columns={
        **EVENTS,
        "status": "status",
        "product.id": "product_id",
        "marketplace.id": "marketplace_id",
        "contract.id": "contract_id",
        "tiers.customer.id": "customer_id",
        "connection.type": "environment",
        "external_id": "external_id",
        "external_uid": "external_uid",
        "billing.next_date": "next_date",
        "billing.period.uom": "period_uom",
    },
    aliases=EVENT_ALIASES,
    search_fields=("id", "external_id", "external_uid", "tiers.customer.name", "product.name"),
    indexes=(
        ("status", "next_date", "id"),
        ("product_id", "updated", "id"),
        ("customer_id",),
        ("external_uid",),
    ),
)

BILLING_REQUESTS = Collection(
    name="billing_requests",
    columns={
        **EVENTS,
        "type": "type",
        "asset.id": "asset_id",
        "asset.external_id": "asset_external_id",
        "asset.external_uid": "asset_external_uid",
        "asset.product.id": "product_id",
        "asset.marketplace.id": "marketplace_id",
        "asset.contract.id": "contract_id",
        "asset.tiers.customer.id": "customer_id",
        "period.from": "period_from",
        "period.uom": "period_uom",
    },
    aliases=EVENT_ALIASES,
    search_fields=("id", "asset.id", "asset.external_id", "asset.external_uid", "asset.product.name"),
    range_columns=frozenset({"created", "updated", "period_from"}),
    indexes=(("asset_id", "period_from"), ("asset_external_uid",), ("type", "updated", "id")),
)

ALL = [LISTINGS, SUBSCRIPTION_ASSETS, BILLING_REQUESTS]
