"""The fulfillment app's models, as Django finds them: Connect's (`fulfillment.connect.models`)
and Cloud Channel's (`fulfillment.channel.models`)."""

from fulfillment.channel.models import (
    ChannelPartnerLink,
    ChannelProduct,
    Customer,
    Entitlement,
    EntitlementChange,
    Offer,
    Sku,
)
from fulfillment.connect.models import (
    Asset,
    Conversation,
    ConversationMessage,
    FulfillmentRequest,
    Hub,
    Marketplace,
    ParameterRule,
    Product,
    PurchaseRules,
    Template,
    TierAccount,
    TierConfig,
    TierConfigRequest,
)

__all__ = [
    "Asset",
    "ChannelPartnerLink",
    "ChannelProduct",
    "Conversation",
    "ConversationMessage",
    "Customer",
    "Entitlement",
    "EntitlementChange",
    "FulfillmentRequest",
    "Hub",
    "Marketplace",
    "Offer",
    "ParameterRule",
    "Product",
    "PurchaseRules",
    "Sku",
    "Template",
    "TierAccount",
    "TierConfig",
    "TierConfigRequest",
]
