"""The Connect streams of the fulfillment mirror, in the order `sync --all` runs them.

Each stream is a declaration: collection path, update-time property, model, mapper, scope,
schedule. The engine (channelhub/sync) does the reading, writing, locking and bookkeeping.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings

from channelhub.sync.connect_reading import ConnectStream, FullListingStream, KeysetStream
from channelhub.sync.streams import Batch, RunContext, Stream
from channelhub.sync.upsert import canonical_json, digest
from channelhub.upstream import rql

from . import mappers
from .choices import RequestStatus, TierConfigRequestStatus
from .models import (
    Asset,
    Conversation,
    ConversationMessage,
    FulfillmentRequest,
    Hub,
    Marketplace,
    Product,
    Template,
    TierAccount,
    TierConfig,
    TierConfigRequest,
)


def product_scope(prop: str) -> str:
    """RQL restricting a collection to CONNECT_PRODUCTS, when that is set."""
    products = settings.CONNECT_PRODUCTS
    return rql.in_(prop, products) if products else ""


class ProductStream(KeysetStream):
    """Products, incrementally by update time."""

    name = "connect.products"
    description = "Connect products"
    model = Product
    path = "/products"
    schedule_minutes = 60
    schedule_words = "every hour"

    def scope_filter(self):
        """Only the products in CONNECT_PRODUCTS, when that is set."""
        return product_scope("id")

    mapper = staticmethod(mappers.map_product)


class TemplateStream(ConnectStream):
    """Templates hang under each product; read whole, product by product (a few per product)."""

    name = "connect.templates"
    description = "Connect product templates"
    model = Template
    schedule_minutes = 60
    schedule_words = "every hour"

    def batches(self, ctx: RunContext) -> Iterator[Batch]:
        """One batch per product: its templates, read whole."""
        products = list(ctx.client.iter_all("/products", filters=product_scope("id"), ordering=("id",)))
        for index, product in enumerate(products):
            pid = product["id"]
            items = list(ctx.client.iter_all(f"/products/{pid}/templates", ordering=("id",)))
            rows = [(t["id"], mappers.map_template(t, product_id=pid), t) for t in items]
            yield Batch(writes=[(Template, rows)], fetched=len(items), remaining=len(products) - index - 1)


class MarketplaceStream(FullListingStream):
    """Marketplaces, read whole every run."""

    name = "connect.marketplaces"
    description = "Connect marketplaces"
    model = Marketplace
    path = "/marketplaces"
    schedule_minutes = 60
    schedule_words = "every hour"

    mapper = staticmethod(mappers.map_marketplace)


class HubStream(FullListingStream):
    """Hubs, read whole every run."""

    name = "connect.hubs"
    description = "Connect hubs"
    model = Hub
    path = "/hubs"
    schedule_minutes = 60
    schedule_words = "every hour"

    mapper = staticmethod(mappers.map_hub)


class TierAccountStream(KeysetStream):
    """Tier accounts (customers and resellers), incrementally by update time."""

    name = "connect.tier_accounts"
    description = "Connect tier accounts (customers and resellers)"
    model = TierAccount
    path = "/tier/accounts"
    schedule_minutes = 15
    schedule_words = "every 15 minutes"

    mapper = staticmethod(mappers.map_tier_account)


class AssetStream(KeysetStream):
    """Assets (subscriptions), incrementally by update time."""

    name = "connect.assets"
    description = "Connect assets (subscriptions)"
    model = Asset
    path = "/assets"
    schedule_minutes = 5
    schedule_words = "every 5 minutes"

    def scope_filter(self):
        """Only the assets of CONNECT_PRODUCTS, when that is set."""
        return product_scope("product.id")

    mapper = staticmethod(mappers.map_asset)


class RequestStream(KeysetStream):
    """Fulfillment requests, incrementally by update time."""

    name = "connect.requests"
    description = "Connect fulfillment requests"
    model = FulfillmentRequest
    path = "/requests"
    cursor_field = "updated"
    schedule_minutes = 1
    schedule_words = "every minute"

    def scope_filter(self):
        """Only the requests of CONNECT_PRODUCTS' assets, when that is set."""
        return product_scope("asset.product.id")

    mapper = staticmethod(mappers.map_request)


class TierConfigStream(KeysetStream):
    """Tier configs, incrementally by update time."""

    name = "connect.tier_configs"
    description = "Connect tier configurations"
    model = TierConfig
    path = "/tier/configs"
    schedule_minutes = 5
    schedule_words = "every 5 minutes"

    def scope_filter(self):
        """Only the tier configs of CONNECT_PRODUCTS, when that is set."""
        return product_scope("product.id")

    mapper = staticmethod(mappers.map_tier_config)


class TierConfigRequestStream(KeysetStream):
    """Tier config requests, incrementally by update time."""

    name = "connect.tier_config_requests"
    description = "Connect tier config requests"
    model = TierConfigRequest
    path = "/tier/config-requests"
    schedule_minutes = 1
    schedule_words = "every minute"

    def scope_filter(self):
        """Only the TCRs of CONNECT_PRODUCTS' configurations, when that is set."""
        return product_scope("configuration.product.id")

    mapper = staticmethod(mappers.map_tier_config_request)


class ConversationStream(KeysetStream):
    """Conversations, incrementally; their messages only for open requests and TCRs.

    Listing conversations by update time is cheap; fetching messages costs a call per
    conversation, so it is done only where staff need the thread (the instance is an open
    request or TCR in the mirror) and only when the conversation changed since last written.
    """

    name = "connect.conversations"
    description = "Connect conversations (messages of open requests)"
    model = Conversation
    path = "/conversations"
    schedule_minutes = 1
    schedule_words = "every minute"

    mapper = staticmethod(mappers.map_conversation)

    def writes_for(self, items, ctx):
        """The conversations, plus the messages of those about open requests or TCRs that changed."""
        rows = self.map_rows(items)
        instance_ids = {p.get("instance_id") for p in items if p.get("instance_id")}
        open_ids = set(
            FulfillmentRequest.objects.filter(
                pk__in=instance_ids, status__in=RequestStatus.OPEN_STATES
            ).values_list("pk", flat=True)
        ) | set(
            TierConfigRequest.objects.filter(
                pk__in=instance_ids, status__in=TierConfigRequestStatus.OPEN_STATES
            ).values_list("pk", flat=True)
        )
        known = dict(
            Conversation.objects.filter(pk__in=[p["id"] for p in items]).values_list("pk", "payload_hash")
        )
        message_rows = []
        for payload in items:
            if payload.get("instance_id") not in open_ids:
                continue
            if known.get(payload["id"]) == digest(canonical_json(payload)):
                continue
            cid = payload["id"]
            for message in ctx.client.iter_all(f"/conversations/{cid}/messages", ordering=("id",)):
                message_rows.append(
                    (message["id"], mappers.map_message(message, conversation_id=cid), message)
                )
        return [(Conversation, rows), (ConversationMessage, message_rows)]


STREAMS: list[Stream] = [
    ProductStream(),
    TemplateStream(),
    MarketplaceStream(),
    HubStream(),
    TierAccountStream(),
    AssetStream(),
    RequestStream(),
    TierConfigStream(),
    TierConfigRequestStream(),
    ConversationStream(),
]
