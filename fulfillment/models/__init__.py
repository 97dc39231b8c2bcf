"""The Connect fulfillment mirror: one model per upstream collection, all `MirroredModel`s."""

from .catalog import Hub, Marketplace, Product, Template, TierAccount
from .conversations import Conversation, ConversationMessage
from .subscriptions import Asset, FulfillmentRequest
from .tiers import TierConfig, TierConfigRequest

__all__ = [
    "Asset",
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
