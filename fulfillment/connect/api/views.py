"""The Connect mirror's read API: Connect's collections, paths and JSON under /api/v1/connect.

Each viewset is configuration: queryset, RQL filter class, default (indexed) ordering.
"""

from __future__ import annotations

from channelhub.api import select
from channelhub.api.viewsets import ConnectPayloadViewSet
from fulfillment.connect import filters, selectors
from fulfillment.connect.api.schemas import CONNECT
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


class FulfillmentRequestViewSet(ConnectPayloadViewSet):
    """Fulfillment requests (`PR-…`), as Connect's `/requests`."""

    queryset = FulfillmentRequest.objects.all()
    rql_filter_class = filters.FulfillmentRequestFilters
    default_ordering = ("-created",)
    payload_shape = CONNECT.shape("ConnectRequest", "Connect fulfillment requests")
    rql_example = "and(eq(status,pending),ge(created,2024-01-01T00:00:00+00:00))&ordering(-created)"


class AssetViewSet(ConnectPayloadViewSet):
    """Assets (subscriptions, `AS-…`), as Connect's `/assets`."""

    queryset = Asset.objects.all()
    rql_filter_class = filters.AssetFilters
    default_ordering = ("-created",)
    payload_shape = CONNECT.shape("ConnectAsset", "Connect assets")


class TierConfigViewSet(ConnectPayloadViewSet):
    """Tier configurations (`TC-…`), as Connect's `/tier/configs`."""

    queryset = TierConfig.objects.all()
    rql_filter_class = filters.TierConfigFilters
    default_ordering = ("-created",)
    payload_shape = CONNECT.shape("ConnectTierConfig", "Connect tier configurations")


class TierConfigRequestViewSet(ConnectPayloadViewSet):
    """Tier config requests (`TCR-…`), as Connect's `/tier/config-requests`."""

    queryset = TierConfigRequest.objects.all()
    rql_filter_class = filters.TierConfigRequestFilters
    default_ordering = ("-created",)
    payload_shape = CONNECT.shape("ConnectTierConfigRequest", "Connect tier config requests")


class TierAccountViewSet(ConnectPayloadViewSet):
    """Tier accounts (`TA-…`), as Connect's `/tier/accounts`."""

    queryset = TierAccount.objects.all()
    rql_filter_class = filters.TierAccountFilters
    default_ordering = ("name",)
    payload_shape = CONNECT.shape("ConnectTierAccount", "Connect tier accounts")


class ProductViewSet(ConnectPayloadViewSet):
    """Products (`PRD-…`), as Connect's `/products`."""

    queryset = Product.objects.all()
    rql_filter_class = filters.ProductFilters
    default_ordering = ("name",)
    payload_shape = CONNECT.shape("ConnectProduct", "Connect products")


class TemplateViewSet(ConnectPayloadViewSet):
    """A product's templates (`TL-…`), as Connect's `/products/{product_id}/templates`."""

    queryset = Template.objects.all()
    rql_filter_class = filters.TemplateFilters
    default_ordering = ("position", "id")
    payload_shape = CONNECT.shape("ConnectTemplate", "Connect product templates")

    def get_queryset(self):
        """Only the templates of the product in the URL."""
        return super().get_queryset().filter(product_id=self.kwargs["product_id"])


class MarketplaceViewSet(ConnectPayloadViewSet):
    """Marketplaces (`MP-…`), as Connect's `/marketplaces`."""

    queryset = Marketplace.objects.all()
    rql_filter_class = filters.MarketplaceFilters
    default_ordering = ("name",)
    payload_shape = CONNECT.shape("ConnectMarketplace", "Connect marketplaces")


class HubViewSet(ConnectPayloadViewSet):
    """Hubs (`HB-…`), as Connect's `/hubs`."""

    queryset = Hub.objects.all()
    rql_filter_class = filters.HubFilters
    default_ordering = ("name",)
    payload_shape = CONNECT.shape("ConnectHub", "Connect hubs")


class ConversationViewSet(ConnectPayloadViewSet):
    """Conversations (`CO-…`), as Connect's `/conversations`.

    As on Connect, the detail also answers to the id of the object the conversation is
    about (`/conversations/PR-…`): the legacy SDK looks threads up that way.
    """

    queryset = Conversation.objects.all()
    rql_filter_class = filters.ConversationFilters
    default_ordering = ("-created",)
    payload_shape = CONNECT.shape("ConnectConversation", "Connect conversations")

    def get_object_payload(self) -> str:
        """The conversation by its id, or else the first conversation about the object of that id."""
        key = self.kwargs["pk"]
        if key.startswith("CO-"):
            return super().get_object_payload()
        paths = select.exclusions(self.request)
        about = selectors.conversations_of_instance(instance_id=key, queryset=self.get_queryset())
        rows = list(self.raw_payloads(about, paths)[:1])
        return self.text(rows[0], paths) if rows else super().get_object_payload()
