"""The Connect mirror: catalog (hubs, marketplaces, products, templates, tier accounts),
subscriptions (assets, fulfillment requests), tier configs and their requests, conversations.
Every model is a `MirroredModel` of the `fulfillment` app."""

from .automation import ParameterRule, PurchaseRules
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
    "ParameterRule",
    "Product",
    "PurchaseRules",
    "Template",
    "TierAccount",
    "TierConfig",
    "TierConfigRequest",
]
