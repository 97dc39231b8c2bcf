"""RQL filter classes of the Cloud Channel mirror: Channel's field names, our indexed columns.

Each filter is named after the Channel field it compares (`orgDisplayName`, `provisioningState`,
`commitmentSettings.endTime`, `sku.product.name`, ...) and mapped with `source` onto the typed
column the mapper fills from that very field; every filter and ordering reads an indexed column
(or the leading column of a composite index). The few names Channel does not have are ours and
say so in their description (docs/api.md lists them): `gone`/`goneTime` (reconciled rows),
an entitlement's `customer`, `shortId`, `customer.orgDisplayName`, `customer.domain`, `sku`,
`product`, `paymentPlan` and seat counts, a change's `id` and `customer`. The names staff search
by (a customer's `orgDisplayName` and `domain`, an entitlement's `shortId` and its customer's
name and domain) are `indexed_text`: like/ilike take `value*`, and `search=` matches their start.

Resource names hold slashes, which RQL only accepts quoted:
`eq(customer,"accounts/A/customers/C")`.
"""

from __future__ import annotations

from django.db.models import BooleanField, Q
from py_rql.constants import RQL_TRUE, FilterLookups

from channelhub.api.filters import StrictRQLFilterClass, f, indexed_text
from fulfillment.channel.models import (
    ChannelPartnerLink,
    ChannelProduct,
    Customer,
    Entitlement,
    EntitlementChange,
    Offer,
    Sku,
)


def gone_flag(name: str = "gone", source: str = "gone_at") -> dict:
    """A boolean filter over a nullable column: `eq(gone,true)` finds the rows with a value.

    Reconcile marks a row no longer listed upstream with `gone_at`; consumers ask "gone or
    not", which django-rql could only say as `ne(goneTime,null())`.
    """
    return {
        "filter": name,
        "custom": True,
        "isnull_source": source,
        "field": BooleanField(),  # django-rql checks the value (true/false) and documents the type
        "lookups": {FilterLookups.EQ, FilterLookups.NE},
        "openapi": {
            "type": "boolean",
            "description": "Ours: true for a row Channel no longer lists (cancelled, transferred, "
            "deleted); such rows carry `goneTime` and `goneReason`.",
        },
    }


def ours(name: str, source: str, description: str, **options) -> dict:
    """A filter whose name Channel does not have: the schema says what it reads."""
    return f(name, source, openapi={"description": f"Ours: {description}"}, **options)


def name(**options) -> dict:
    """The resource name (`accounts/A/customers/C`), our primary key."""
    return f("name", "id", ordering=True, **options)


GONE = (
    gone_flag(),
    ours("goneTime", "gone_at", "when a complete listing upstream stopped showing the row.", ordering=True),
)


class ChannelFilters(StrictRQLFilterClass):
    """Base of the Channel filter classes: the strict base, plus what `gone_flag` filters need."""

    def build_q_for_custom_filter(self, data):
        """A `gone_flag` filter tests whether its column is null; other custom filters as the base does."""
        item = self.get_filter_base_item(data.filter_name)
        source = item.get("isnull_source")
        if source is None:
            return super().build_q_for_custom_filter(data)
        value = self.remove_quotes(data.str_value) == RQL_TRUE
        present = value != (data.filter_lookup == FilterLookups.NE)
        return Q(**{f"{source}__isnull": not present})


class CustomerFilters(ChannelFilters):
    """The RQL filters of Channel customers, by Channel's field names."""

    MODEL = Customer
    FILTERS = (
        # search= here matches the start of each field, through its index (no substring scan)
        indexed_text("name", "id", ordering=True, search=True),
        # cust_org_name_ci: the start of the name in any case
        indexed_text("orgDisplayName", "org_display_name", case="any", ordering=True, search=True),
        indexed_text("domain", "domain", case="lower", ordering=True, search=True),
        f("cloudIdentityId", "cloud_identity_id"),
        f("channelPartnerId", "channel_partner_id"),
        indexed_text("correlationId", "correlation_id", search=True),
        indexed_text("primaryContactInfo.email", "primary_contact_email", case="lower", search=True),
        f("orgPostalAddress.regionCode", "region_code", ordering=True),
        f("createTime", "create_time", ordering=True),
        f("updateTime", "update_time", ordering=True),
        *GONE,
    )


class EntitlementFilters(ChannelFilters):
    """The RQL filters of Channel entitlements: customer, offer, state, SKU, product, dates, seats."""

    MODEL = Entitlement
    FILTERS = (
        name(search=True),
        ours(
            "customer", "customer__id", "the customer's name (the entitlement name's parent).", ordering=True
        ),
        indexed_text(
            "shortId",
            "short_id",
            description="Ours: the last segment of the name, as the back office lists it.",
            ordering=True,
        ),
        indexed_text(
            "customer.orgDisplayName",
            "org_display_name",
            case="any",
            through=("customer_id", Customer),
            description="Ours: the customer's organisation name (read in the customers' index).",
        ),
        indexed_text(
            "customer.domain",
            "domain",
            case="lower",
            through=("customer_id", Customer),
            description="Ours: the customer's primary domain.",
        ),
        f("offer", "offer__id"),
        f("provisioningState", "provisioning_state", ordering=True),  # index ent_state_updated
        ours("sku", "sku_id", "the SKU's name, products/{p}/skus/{provisionedService.skuId}.", ordering=True),
        ours(
            "product",
            "product_id",
            "the product's name, products/{provisionedService.productId}.",
            ordering=True,
        ),
        f("provisionedService.provisioningId", "provisioning_id", search=True),
        f("commitmentSettings.endTime", "commitment_end", ordering=True),
        f("trialSettings.trial", "trial"),
        f("trialSettings.endTime", "trial_end", ordering=True),
        f("purchaseOrderId", "purchase_order_id", search=True),
        ours("paymentPlan", "payment_plan", "the plan of the entitlement's offer (plan.paymentPlan)."),
        ours(
            "parameters.num_units", "num_units", "the num_units parameter (commitment seats).", ordering=True
        ),
        ours(
            "parameters.max_units", "max_units", "the max_units parameter (flexible seat cap).", ordering=True
        ),
        f("createTime", "create_time", ordering=True),
        f("updateTime", "update_time", ordering=True),
        *GONE,
    )


class EntitlementChangeFilters(ChannelFilters):
    """Entitlement history: index entchange_ent_created serves one entitlement's changes."""

    MODEL = EntitlementChange
    FILTERS = (
        ours("id", "id", "the change's key here (Channel gives a change no name).", ordering=True),
        f("entitlement", "entitlement__id"),
        ours("customer", "customer__id", "the name of the entitlement's customer."),
        f("changeType", "change_type"),
        f("operator", search=True),
        f("createTime", "create_time", ordering=True),
    )


class OfferFilters(ChannelFilters):
    """The RQL filters of Channel offers: SKU, product, display name, payment plan."""

    MODEL = Offer
    FILTERS = (
        name(search=True),
        f("sku.name", "sku__id", ordering=True),
        f("sku.product.name", "product__id", ordering=True),
        # The mapper keeps the SKU's display name (the offer's own only when the SKU has none).
        f("sku.marketingInfo.displayName", "display_name", ordering=True, search=True),
        f("plan.paymentPlan", "payment_plan", ordering=True),
        *GONE,
    )


class ChannelProductFilters(ChannelFilters):
    """The RQL filters of Channel products: name and display name."""

    MODEL = ChannelProduct
    FILTERS = (
        name(search=True),
        f("marketingInfo.displayName", "display_name", ordering=True, search=True),
        *GONE,
    )


class SkuFilters(ChannelFilters):
    """The RQL filters of Channel SKUs: product and display name."""

    MODEL = Sku
    FILTERS = (
        name(search=True),
        f("product.name", "product__id", ordering=True),
        f("marketingInfo.displayName", "display_name", ordering=True, search=True),
        *GONE,
    )


class ChannelPartnerLinkFilters(ChannelFilters):
    """The RQL filters of channel partner links: reseller identity, state, partner domain, dates."""

    MODEL = ChannelPartnerLink
    FILTERS = (
        name(),
        f("resellerCloudIdentityId", "reseller_cloud_identity_id", search=True),
        f("linkState", "link_state", ordering=True),
        f("channelPartnerCloudIdentityInfo.primaryDomain", "partner_domain", ordering=True, search=True),
        f("createTime", "create_time", ordering=True),
        f("updateTime", "update_time", ordering=True),
        *GONE,
    )
