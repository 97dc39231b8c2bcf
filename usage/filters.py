"""RQL filter classes of the usage mirror: Connect's property names, our indexed columns.

Each filter is named as on Connect's own API (`/usage/files`, `/usage/records`,
`/usage/chunks`, `/listings`, `/subscriptions/assets`, `/subscriptions/requests`: the names
of connect-openapi v37 and of the legacy SDK's filters) and mapped with `source` onto the
typed column the mapper fills from that very property, so a query written for Connect works
unchanged on `/api/v1/connect/...`. Where Connect takes two spellings of one property
(`product.id` and `product_id`, `usage_file` and `usagefile.id`), both are offered.

Every filter and ordering reads an indexed column (or the leading column of a composite
index); Connect's filters whose property has no indexed column here (a file's `name`, the
names of its product, contract, marketplace, vendor and provider, a record's `end_date`,
`asset.external_uid` and `hub.id`) are not offered: a query naming one is a 400 that lists
the filters there are, never a full scan. Search (`search=`) is a case-insensitive substring
match over the few id-like columns marked `search`.
"""

from __future__ import annotations

from channelhub.api.filters import StrictRQLFilterClass, f
from usage.models import BillingRequest, Listing, RecurringAsset, UsageChunk, UsageFile, UsageRecord

ID = f("id", ordering=True, search=True)


class UsageFileFilters(StrictRQLFilterClass):
    """The RQL filters of usage files (`/usage/files`), by Connect's names (and the SDK's `product_id`)."""

    MODEL = UsageFile
    FILTERS = (
        ID,
        f("status", ordering=True),  # index uf_status_created
        f("external_id", search=True),
        f("environment"),
        f("schema"),
        f("currency"),
        f("product.id", "product_id", ordering=True),  # index uf_product_status
        f("product_id", "product_id"),  # UsageFileAutomation's default filter
        f("contract.id", "contract_id", ordering=True),  # index uf_contract_period
        f("distribution_contract_id", "contract_id"),
        f("marketplace.id", "marketplace_id"),
        f("marketplace_id", "marketplace_id"),
        f("vendor.id", "vendor_id"),
        f("vendor_id", "vendor_id"),
        f("provider.id", "provider_id"),
        f("provider_id", "provider_id"),
        f("period.from", "period_from", ordering=True),
        f("created.at", "created", ordering=True),
        f("events.created.at", "created", ordering=True),
    )


class UsageRecordFilters(StrictRQLFilterClass):
    """The RQL filters of usage records (`/usage/records`): file, asset, item, status, dates, billing id."""

    MODEL = UsageRecord
    FILTERS = (
        ID,
        f("usage_file", "usage_file__id"),  # index ur_file_status
        f("usagefile.id", "usage_file__id", ordering=True),
        # The file's schema is on the file (indexed there): one join on the file's key.
        f("usagefile.schema", "usage_file__schema"),
        f("status", ordering=True),
        f("asset.id", "asset_id", ordering=True),  # index ur_asset_start
        f("asset_id", "asset_id"),
        f("asset.external_id", "asset_external_id", search=True),
        f("asset_external_id", "asset_external_id"),
        f("product.id", "product_id"),
        f("product_id", "product_id"),
        f("item.id", "item_id"),
        f("item_id", "item_id"),
        f("item.mpn", "item_mpn", search=True),
        f("start_date", ordering=True),
        f("external_billing_id", search=True),
    )


class UsageChunkFilters(StrictRQLFilterClass):
    """The RQL filters of a provider's chunks (`/usage/chunks`): status, file, provider, hub."""

    MODEL = UsageChunk
    FILTERS = (
        ID,
        f("status", ordering=True),
        f("usagefile.id", "usage_file__id"),
        f("provider.id", "provider_id"),
        f("binding.hub.id", "hub_id"),  # the CB Commerce loop's filter
        f("marketplace.id", "marketplace_id"),
        f("external_id", search=True),
        f("events.created.at", "created", ordering=True),
    )


class ListingFilters(StrictRQLFilterClass):
    """The RQL filters of listings (`/listings`), by Connect's names and its `__` spellings."""

    MODEL = Listing
    FILTERS = (
        ID,
        f("status", ordering=True),  # UsageAutomation's eq(status,listed)
        f("product.id", "product_id", ordering=True),
        f("product__id", "product_id"),
        f("contract.id", "contract_id"),
        f("contract__id", "contract_id"),
        f("marketplace.id", "marketplace_id"),
        f("marketplace__id", "marketplace_id"),
        f("vendor.id", "vendor_id"),
        f("provider.id", "provider_id"),
        f("provider__id", "provider_id"),
        f("created", ordering=True),
        f("updated", ordering=True),
    )


class RecurringAssetFilters(StrictRQLFilterClass):
    """The RQL filters of recurring assets (`/subscriptions/assets`): status, product, contract,
    customer, connection type, next billing date, dates."""

    MODEL = RecurringAsset
    FILTERS = (
        ID,
        f("status", ordering=True),
        f("external_id", search=True),
        f("external_uid"),
        f("product.id", "product_id", ordering=True),
        f("marketplace.id", "marketplace_id"),
        f("contract.id", "contract_id"),
        f("connection.type", "environment"),
        f("tiers.customer.id", "customer_id"),
        f("tiers.customer.name", "customer_name"),
        f("billing.next_date", "next_billing_date", ordering=True),
        f("events.created.at", "created", ordering=True),
        f("events.updated.at", "updated", ordering=True),
    )


class BillingRequestFilters(StrictRQLFilterClass):
    """The RQL filters of billing requests (`/subscriptions/requests`): type, asset, product, period, dates."""

    MODEL = BillingRequest
    FILTERS = (
        ID,
        f("type", ordering=True),
        f("asset.id", "asset__id", ordering=True),  # index br_asset_period
        f("asset.external_uid", "asset_external_uid"),
        f("asset.product.id", "product_id"),
        f("period.from", "period_from", ordering=True),
        f("events.created.at", "created", ordering=True),
        f("events.updated.at", "updated", ordering=True),
    )
