"""What Cloud Channel's side of the fulfillment app brings to the core (called from
`FulfillmentConfig.ready()`): its action specs (with their executors), streams, role grants and API mount."""

from channelhub import registry
from channelhub.registry import ApiMount

# /api/v1/channel/ root entries: path -> URL name of the list
API_ROOT = {
    path: f"channel-{basename}-list"
    for path, basename in (
        ("customers", "customer"),
        ("entitlements", "entitlement"),
        ("entitlement-changes", "entitlement-change"),
        ("offers", "offer"),
        ("products", "product"),
        ("skus", "sku"),
        ("channel-partner-links", "channel-partner-link"),
    )
}


def register() -> None:
    """Fill the registry with Cloud Channel's pieces."""
    from .transitions import ACTIONS  # noqa: PLC0415 - the specs name models, forms: after app loading

    for spec in ACTIONS:
        registry.register_action(spec)
    registry.register_streams("fulfillment.channel.streams")
    registry.grant("support", "fulfillment.act_entitlement", "fulfillment.act_customer")
    # Irreversible upstream changes are for supervisors only.
    registry.grant(
        "supervisor",
        "fulfillment.cancel_entitlement",
        "fulfillment.remove_customer",
        "fulfillment.transfer_customer",
        "fulfillment.act_channelpartnerlink",
    )
    registry.register_api(ApiMount("channel", "fulfillment.channel.api.urls", API_ROOT))
    registry.register_dashboard_module("fulfillment.channel.dashboard")
