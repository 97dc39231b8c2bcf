"""RQL filter classes of the Connect mirror: Connect's property names, our indexed columns.

Each filter is named as on Connect's own API (`asset.product.id`, `asset.tiers.customer.id`,
`events.updated.at`, ...) and mapped with `source` onto the typed column the mapper fills
from that very property, so a query written for Connect works unchanged on
`/api/v1/connect`. Every filter and ordering reads an indexed column (or the leading
column of a composite index); search (`search=`) is a case-insensitive substring match
over the few id-like columns marked `search`, except on requests, whose search and like /
ilike filters staff use on a big table are `indexed_text`: starts with (and, for the id,
ends with: the short id a caller reads out), each through an index.
"""

from __future__ import annotations

from channelhub.api.filters import StrictRQLFilterClass, blank_flag, blank_ref, f, indexed_text
from fulfillment.connect.models import (
    Asset,
    Conversation,
    FulfillmentRequest,
    Hub,
    Marketplace,
    Product,
    Template,
    TierAccount,
    TierConfig,
    TierConfigRequest,
)

ID = f("id", ordering=True, search=True)


class FulfillmentRequestFilters(StrictRQLFilterClass):
    """The RQL filters of fulfillment requests, by Connect's names (and the legacy SDK's)."""

    MODEL = FulfillmentRequest
    FILTERS = (
        # like(id,*1238-001): the id's end, through id_reversed
        indexed_text("id", "id", case="upper", tail="id_reversed", ordering=True, search=True),
        f("type", ordering=True),
        f("status", ordering=True),  # index pr_status_created
        f("created", ordering=True),
        f("updated", ordering=True),
        indexed_text("asset.id", "asset_id", case="upper", ordering=True, search=True),
        indexed_text("asset.external_id", "asset_external_id", search=True),
        f("asset.external_uid", "asset_external_uid"),
        f("asset.product.id", "product__id", ordering=True),
        f("asset.connection.type", "connection_type"),
        f("asset.connection.hub.id", "hub__id"),
        f("asset.hub.id", "hub__id"),  # the legacy SDK's name for the same
        f("asset.marketplace.id", "marketplace__id"),
        f("marketplace.id", "marketplace__id"),
        f("asset.contract.id", "contract_id"),
        f("contract.id", "contract_id"),
        f("asset.tiers.customer.id", "customer__id"),
        indexed_text("asset.tiers.customer.external_id", "customer_external_id", search=True),
        indexed_text("asset.tiers.customer.name", "customer_name", case="any"),  # pr_customer_name_ci
        f("asset.tiers.tier1.id", "tier1__id"),
        f("asset.tiers.tier2.id", "tier2__id"),
        f("template.id", "template__id"),
        blank_ref("assignee.id", "assignee_id"),  # index pr_assignee_status
        blank_ref("assignee", "assignee_id"),
        # The rest of the legacy SDK's filters (seed 000), each on an index of its own.
        f("asset.status", "asset_status"),
        indexed_text("asset.product.name", "product_name", case="any"),  # pr_product_name(_ci)
        f("asset.connection.id", "connection_id"),
        f("asset.connection.hub.name", "hub_name"),
        f("asset.connection.provider.id", "provider_id"),
        f("asset.connection.provider.name", "provider_name"),
        f("asset.connection.vendor.id", "vendor_id"),
        f("asset.connection.vendor.name", "vendor_name"),
    )


class AssetFilters(StrictRQLFilterClass):
    """The RQL filters of assets: status, product, connection, marketplace, contract, tiers, dates."""

    MODEL = Asset
    FILTERS = (
        ID,
        f("status", ordering=True),  # index as_status_created
        f("external_id", search=True),
        f("external_uid"),
        f("product.id", "product__id", ordering=True),
        f("connection.type", "connection_type"),
        f("connection.hub.id", "hub__id"),
        f("marketplace.id", "marketplace__id"),
        f("contract.id", "contract_id"),
        f("tiers.customer.id", "customer__id"),
        f("tiers.customer.external_id", "customer_external_id", search=True),
        f("tiers.tier1.id", "tier1__id"),
        f("tiers.tier2.id", "tier2__id"),
        f("events.created.at", "created", ordering=True),
        f("events.updated.at", "updated", ordering=True),
    )


class TierConfigFilters(StrictRQLFilterClass):
    """The RQL filters of tier configs: status, account, product, marketplace, open request, dates."""

    MODEL = TierConfig
    FILTERS = (
        ID,
        f("status", ordering=True),
        f("account.id", "account__id"),
        f("account.external_id", "account_external_id", search=True),
        f("product.id", "product__id", ordering=True),
        f("marketplace.id", "marketplace__id"),
        f("connection.type", "connection_type"),
        f("contract.id", "contract_id"),
        blank_ref("open_request.id", "open_request_id"),
        f("events.created.at", "created", ordering=True),
        f("events.updated.at", "updated", ordering=True),
    )


class TierConfigRequestFilters(StrictRQLFilterClass):
    """The RQL filters of tier config requests, by Connect's names (and the legacy SDK's `unassigned`)."""

    MODEL = TierConfigRequest
    FILTERS = (
        ID,
        f("type", ordering=True),
        f("status", ordering=True),  # index tcr_status_created
        f("environment"),
        f("configuration.id", "configuration__id", search=True),
        f("configuration.account.id", "account__id"),
        f("configuration.account.external_id", "account_external_id", search=True),
        f("configuration.product.id", "product__id", ordering=True),
        f("configuration.marketplace.id", "marketplace__id"),
        f("configuration.connection.type", "connection_type"),
        f("configuration.contract.id", "contract_id"),
        blank_ref("assignee.id", "assignee_id"),  # index tcr_assignee_status
        blank_ref("assignee", "assignee_id"),
        blank_flag("unassigned", "assignee_id"),  # the legacy SDK's unassigned=true
        f("configuration.tier_level", "tier_level"),
        f("configuration.account.external_uid", "account_external_uid"),
        f("events.created.at", "created", ordering=True),
        f("events.updated.at", "updated", ordering=True),
    )


class TierAccountFilters(StrictRQLFilterClass):
    """The RQL filters of tier accounts: name, external ids, marketplace, hub, update time."""

    MODEL = TierAccount
    FILTERS = (
        ID,
        f("name", ordering=True, search=True),
        f("external_id", search=True),
        f("external_uid"),
        f("marketplace.id", "marketplace__id"),
        f("hub.id", "hub__id"),
        f("events.updated.at", "updated", ordering=True),
    )


class ProductFilters(StrictRQLFilterClass):
    """The RQL filters of products: name, status, owner, update time."""

    MODEL = Product
    FILTERS = (
        ID,
        f("name", ordering=True, search=True),
        f("status", ordering=True),
        f("owner.id", "owner_id"),
        f("events.updated.at", "updated", ordering=True),
    )


class TemplateFilters(StrictRQLFilterClass):
    """Templates of one product (the URL names it): index tl_product_scope_type."""

    MODEL = Template
    FILTERS = (
        f("id", ordering=True),
        f("scope"),
        f("type"),
        f("events.updated.at", "updated", ordering=True),
    )


class MarketplaceFilters(StrictRQLFilterClass):
    """The RQL filters of marketplaces: name and update time."""

    MODEL = Marketplace
    FILTERS = (
        ID,
        f("name", ordering=True, search=True),
        f("events.updated.at", "updated", ordering=True),
    )


class HubFilters(StrictRQLFilterClass):
    """The RQL filters of hubs: name and update time."""

    MODEL = Hub
    FILTERS = (
        ID,
        f("name", ordering=True, search=True),
        f("events.updated.at", "updated", ordering=True),
    )


class ConversationFilters(StrictRQLFilterClass):
    """The RQL filters of conversations: the object they are about (`instance_id`) and dates."""

    MODEL = Conversation
    FILTERS = (
        ID,
        f("instance_id", search=True),
        f("created", ordering=True),
        f("events.updated.at", "updated", ordering=True),
    )
