"""The fulfillment mirror: one model per upstream collection (Connect, and Google Cloud Channel
in `channel.py`), all `MirroredModel`s."""

from .catalog import Hub, Marketplace, Product, Template, TierAccount
from .channel import ChannelPartnerLink, ChannelProduct, Customer, Entitlement, EntitlementChange, Offer, Sku
from .conversations import Conversation, ConversationMessage
from .subscriptions import Asset, FulfillmentRequest
from .tiers import TierConfig, TierConfigRequest

__all__ = [
    "Asset",
    "ChannelPartnerLink",
    "ChannelProduct",
    "Customer",
    "Entitlement",
    "EntitlementChange",
    "Offer",
    "Sku",
    "Conversation",
    "ConversationMessage",
    "FulfillmentRequest",
    "Hub",
    "Marketplace",
    "Product",
    "Template",
    "TierAccount",
    "TierConfig",
    "TierConfigRequest",
]
