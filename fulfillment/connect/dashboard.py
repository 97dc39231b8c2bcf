"""Connect's part of the dashboard: the request and tier config request backlogs, and the
Connect group of the admin's navigation (queues first). Registered by `registration`."""

from channelhub.dashboard import BacklogRow, BacklogWidget, NavGroup
from fulfillment.connect import selectors

_REQUESTS = "admin:fulfillment_fulfillmentrequest_changelist"
_TCRS = "admin:fulfillment_tierconfigrequest_changelist"


def _requests(queue: str):
    # The request list leaves migration requests out unless asked (MigrationFilter): so does
    # the count. Served by the (status, is_migration, created, product) index.
    return lambda: selectors.request_queue(queue=queue).filter(is_migration=False)


def _tcrs(queue: str):
    return lambda: selectors.tier_config_request_queue(queue=queue)


WIDGETS = (
    BacklogWidget(
        key="connect-requests",
        title="Connect fulfillment requests",
        perm="fulfillment.view_fulfillmentrequest",
        rows=tuple(
            BacklogRow(
                f"connect.requests.{queue}",
                label,
                _requests(queue),
                _REQUESTS,
                f"queue={queue}",
                product_field="product_id",
                product_param="product",
            )
            for queue, label in (("pending", "Pending"), ("inquiring", "Inquiring (waiting on the customer)"))
        ),
        help="Age is time since the request was created; migration requests are left out.",
    ),
    BacklogWidget(
        key="connect-tcrs",
        title="Connect tier config requests",
        perm="fulfillment.view_tierconfigrequest",
        rows=tuple(
            BacklogRow(
                f"connect.tier_config_requests.{queue}",
                label,
                _tcrs(queue),
                _TCRS,
                f"queue={queue}",
                product_field="product_id",
                product_param="product",
            )
            for queue, label in (("pending", "Pending"), ("inquiring", "Inquiring"))
        ),
    ),
)

NAV_GROUPS = (
    NavGroup(
        "Connect",
        order=10,
        models=(
            "fulfillment.fulfillmentrequest",
            "fulfillment.tierconfigrequest",
            "fulfillment.asset",
            "fulfillment.tierconfig",
            "fulfillment.tieraccount",
            "fulfillment.conversation",
            "fulfillment.conversationmessage",
            "fulfillment.product",
            "fulfillment.template",
            "fulfillment.marketplace",
            "fulfillment.hub",
            "fulfillment.purchaserules",
        ),
    ),
)
