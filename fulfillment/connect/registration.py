"""What Connect's side of the fulfillment app brings to the core (called from
`FulfillmentConfig.ready()`): its action specs (with their executors), streams, role grants, API mount and queues."""

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

# /api/v1/connect/ root entries: name -> URL name of the list
API_ROOT = {
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
}


def register() -> None:
    """Fill the registry with Connect's pieces."""
    from .transitions import ACTIONS  # noqa: PLC0415 - the specs name models, forms: after app loading

    for spec in ACTIONS:
        registry.register_action(spec)
    registry.register_streams("fulfillment.connect.streams")
    registry.grant("support", "fulfillment.act_fulfillmentrequest", "fulfillment.act_tierconfigrequest")
    # the shipped processor's rules, set per product in the admin (fulfillment.connect.admin.automation)
    registry.grant(
        "supervisor",
        *(
            f"fulfillment.{verb}_{model}"
            for verb in ("add", "change", "delete")
            for model in ("purchaserules", "parameterrule")
        ),
    )
    registry.register_api(ApiMount("connect", "fulfillment.connect.api.urls", API_ROOT))
    for queue in QUEUES:
        registry.register_queue(queue)
    registry.register_dashboard_module("fulfillment.connect.dashboard")
    registry.register_automation_module("fulfillment.connect.automation")
