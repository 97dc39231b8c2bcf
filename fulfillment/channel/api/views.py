"""The Cloud Channel mirror's read API: Channel's JSON under /api/v1/channel.

Each viewset is configuration (HOUSE_STYLE 9): queryset, RQL filter class, default (indexed)
ordering. The object is the stored Channel payload, camelCase as Channel sends it, with the
few fields that are ours appended (`goneTime`/`goneReason`; a change's `id`). The detail is
addressed by the full resource name, slashes and all, as Channel's own `GET v1/{name}`:
`/api/v1/channel/entitlements/accounts/A/customers/C/entitlements/E`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

import orjson
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view

from channelhub.api.viewsets import ConnectPayloadViewSet
from fulfillment.channel import filters
from fulfillment.channel.api.schemas import CHANNEL
from fulfillment.channel.models import (
    ChannelPartnerLink,
    ChannelProduct,
    Customer,
    Entitlement,
    EntitlementChange,
    Offer,
    Sku,
)

# Fields of ours on every reconciled collection: JSON name -> column.
GONE_FIELDS = {"goneTime": "gone_at", "goneReason": "gone_reason"}


def _json_value(value):
    """A column's value as Channel would write it: RFC 3339 UTC with `Z`; "" is no value."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return None if value == "" else value


def append_fields(text: str, extra: dict) -> str:
    """The JSON object `text` with `extra`'s members appended, without decoding `text`.

    The payload is served as the database holds it (see `ConnectPayloadViewSet`); our few
    fields go in before its closing brace. A stored payload is always an object.
    """
    head = text.rstrip()
    if not head.endswith("}"):
        return text
    head = head[:-1].rstrip()
    members = orjson.dumps(extra).decode()[1:-1]
    return f"{head}{'' if head.endswith('{') else ','}{members}}}"


def _schema(example: str, lookup: str = "name", what: str = "The full resource name, slashes included"):
    """The OpenAPI description of a detail's path parameter (the shapes: `payload_shape`)."""
    return extend_schema_view(
        retrieve=extend_schema(
            parameters=[
                OpenApiParameter(
                    lookup,
                    OpenApiTypes.STR,
                    OpenApiParameter.PATH,
                    description=f"{what}, e.g. `{example}`.",
                )
            ],
        ),
    )


class ChannelPayloadViewSet(ConnectPayloadViewSet):
    """A mirrored Channel collection: list and detail of the stored payloads.

    Auth, view permissions, throttling, RQL, `select(-a.b)` and `Content-Range` pagination
    are those of every collection of the API (`ConnectPayloadViewSet`); a page is still three
    queries, our fields coming from the same row as the payload.
    """

    lookup_url_kwarg = "name"
    # Any path below the collection is a name (even one with a newline): a wrong one is a JSON
    # 404 like any other, never Django's HTML page.
    lookup_value_regex = r"[\s\S]+?"
    default_ordering = ("-create_time",)
    # Fields of ours appended to the payload: JSON name -> column.
    own_fields: ClassVar[dict[str, str]] = GONE_FIELDS

    @property
    def extra_columns(self) -> tuple[str, ...]:
        """The columns of our own fields, read in the same query as the payload."""
        return tuple(self.own_fields.values())

    def finish(self, text: str, extra: list, paths: tuple[tuple[str, ...], ...]) -> str:
        """The payload with our fields appended (those `select(-goneReason)` leaves in)."""
        fields = {
            key: _json_value(value)
            for key, value in zip(self.own_fields, extra, strict=True)
            if (key,) not in paths
        }
        return append_fields(text, fields) if fields else text


@_schema("accounts/C01abc/customers/S0aB1c")
class CustomerViewSet(ChannelPayloadViewSet):
    """Customers (`accounts/{a}/customers/{c}`, and a partner's `…/channelPartnerLinks/{p}/customers/{c}`)."""

    queryset = Customer.objects.all()
    rql_filter_class = filters.CustomerFilters
    default_ordering = ("org_display_name",)
    payload_shape = CHANNEL.shape("ChannelCustomer", "Channel customers")


@_schema("accounts/C01abc/customers/S0aB1c/entitlements/E9xY2z")
class EntitlementViewSet(ChannelPayloadViewSet):
    """Entitlements (`…/customers/{c}/entitlements/{e}`), every customer's, newest first.

    One customer's: `?eq(customer,"accounts/A/customers/C")`.
    """

    queryset = Entitlement.objects.all()
    rql_filter_class = filters.EntitlementFilters
    default_ordering = ("-create_time",)
    payload_shape = CHANNEL.shape("ChannelEntitlement", "Channel entitlements")


@_schema("ec-3f1c0e5a9b7d4e21a8c6f0b2d4e6a8c0", "id", "The change's `id` (ours)")
class EntitlementChangeViewSet(ChannelPayloadViewSet):
    """Entitlement history (`listEntitlementChanges`), newest first.

    Channel gives a change no name: `id` (ours, appended) is its key here. One entitlement's:
    `?eq(entitlement,"accounts/A/customers/C/entitlements/E")`.
    """

    queryset = EntitlementChange.objects.all()
    rql_filter_class = filters.EntitlementChangeFilters
    default_ordering = ("-create_time",)
    payload_shape = CHANNEL.shape("ChannelEntitlementChange", "Channel entitlement changes")
    lookup_url_kwarg = "id"
    own_fields: ClassVar[dict[str, str]] = {"id": "id"}


@_schema("accounts/C01abc/offers/O7kLm3")
class OfferViewSet(ChannelPayloadViewSet):
    """Our account's offers (`accounts/{a}/offers/{o}`), by their SKU's display name."""

    queryset = Offer.objects.all()
    rql_filter_class = filters.OfferFilters
    default_ordering = ("display_name",)
    payload_shape = CHANNEL.shape("ChannelOffer", "Channel offers")


@_schema("products/Google-Workspace")
class ChannelProductViewSet(ChannelPayloadViewSet):
    """Products (`products/{p}`), by display name."""

    queryset = ChannelProduct.objects.all()
    rql_filter_class = filters.ChannelProductFilters
    default_ordering = ("display_name",)
    payload_shape = CHANNEL.shape("ChannelProduct", "Channel products")


@_schema("products/Google-Workspace/skus/1010020027")
class SkuViewSet(ChannelPayloadViewSet):
    """SKUs (`products/{p}/skus/{s}`), by display name."""

    queryset = Sku.objects.all()
    rql_filter_class = filters.SkuFilters
    default_ordering = ("display_name",)
    payload_shape = CHANNEL.shape("ChannelSku", "Channel SKUs")


@_schema("accounts/C01abc/channelPartnerLinks/1234567890")
class ChannelPartnerLinkViewSet(ChannelPayloadViewSet):
    """Links to reseller partners (`accounts/{a}/channelPartnerLinks/{id}`), newest first."""

    queryset = ChannelPartnerLink.objects.all()
    rql_filter_class = filters.ChannelPartnerLinkFilters
    default_ordering = ("-create_time",)
    payload_shape = CHANNEL.shape("ChannelPartnerLink", "Channel channel partner links")
