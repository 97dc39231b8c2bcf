from django.apps import AppConfig

from channelhub import registry
from channelhub.registry import ApiMount, Queue

_REQUESTS = "admin:fulfillment_fulfillmentrequest_changelist"
_TCRS = "admin:fulfillment_tierconfigrequest_changelist"
_VIEW_REQUEST = "fulfillment.view_fulfillmentrequest"
_VIEW_TCR = "fulfillment.view_tierconfigrequest"

# The staff queues on the back office's first page, in this order.
QUEUES = (
    Queue("Pending requests (oldest first)", _REQUESTS, "queue=pending", _VIEW_REQUEST),
    Queue("Inquiring requests", _REQUESTS, "queue=inquiring", _VIEW_REQUEST),
    Queue(
        "Requests assigned to me",
        _REQUESTS,
        "queue=mine",
        _VIEW_REQUEST,
        hint_without_email="set your email to match your Connect user",
    ),
    Queue("Migration requests", _REQUESTS, "migration=only&queue=open", _VIEW_REQUEST),
    Queue("Pending tier config requests (oldest first)", _TCRS, "queue=pending", _VIEW_TCR),
    Queue("Tier config requests assigned to me", _TCRS, "queue=mine", _VIEW_TCR),
)


class FulfillmentConfig(AppConfig):
    """Connect fulfillment and Cloud Channel: products, assets, requests, tier configs,
    conversations; customers, entitlements, offers, partner links."""

    name = "fulfillment"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from channelhub.actions import registry as executors

        from .channel import executors as channel_executors
        from .executors import EXECUTORS

        for executor in (*EXECUTORS, *channel_executors.EXECUTORS):
            executors.register(executor)
        registry.register_streams("fulfillment.streams")
        registry.register_streams("fulfillment.channel.streams")
        registry.grant_view("fulfillment")
        registry.grant(
            "support",
            "fulfillment.act_fulfillmentrequest",
            "fulfillment.act_tierconfigrequest",
            "fulfillment.act_entitlement",
            "fulfillment.act_customer",
        )
        # Irreversible upstream changes are for supervisors only.
        registry.grant(
            "supervisor",
            "fulfillment.cancel_entitlement",
            "fulfillment.remove_customer",
            "fulfillment.act_channelpartnerlink",
        )
        registry.register_api(
            ApiMount(
                "connect",
                "fulfillment.api.urls",
                {
                    name: f"connect-{name}-list"
                    for name in (
                        "request",
                        "asset",
                        "tier-config",
                        "tier-config-request",
                        "tier-account",
                        "product",
                        "marketplace",
                        "hub",
                        "conversation",
                    )
                },
            )
        )
        registry.register_api(
            ApiMount(
                "channel",
                "fulfillment.channel.api.urls",
                {
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
                },
            )
        )
        for queue in QUEUES:
            registry.register_queue(queue)
