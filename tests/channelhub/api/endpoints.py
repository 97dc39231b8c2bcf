"""The read API's endpoints, with a factory to fill each and the permission it needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection

from channelhub.models import AuditEvent, SyncRun, UpstreamAction
from tests.fulfillment.connect import factories as f

# What the statement timeout adds to a request on PostgreSQL inside a test's transaction:
# savepoint, set the timeout, put the previous one back, release (channelhub.api.limits).
# In production, outside any transaction, it is the one SET of the request's transaction.
TIMEOUT_QUERIES = 4 if connection.vendor == "postgresql" else 0


@dataclass(frozen=True)
class Endpoint:
    path: str  # list path under /api/v1/
    make: Any  # a callable that creates one row, returns it
    perm: str
    connect: bool = True

    def __str__(self):
        return self.path


def _template():
    return f.TemplateFactory(product_id="PRD-276-377-545")


def _sync_run():
    return SyncRun.objects.create(stream="connect.requests", status="succeeded")


def _action():
    n = UpstreamAction.objects.count()
    return UpstreamAction.objects.create(
        kind="connect.request.approve", target_type="fulfillment.fulfillmentrequest", target_id=f"PR-{n}"
    )


def _audit():
    return AuditEvent.objects.create(
        action="request.approve.queued", target_type="fulfillment.fulfillmentrequest", target_id="PR-1"
    )


ENDPOINTS = [
    Endpoint("connect/requests", f.FulfillmentRequestFactory, "fulfillment.view_fulfillmentrequest"),
    Endpoint("connect/assets", f.AssetFactory, "fulfillment.view_asset"),
    Endpoint("connect/tier/configs", f.TierConfigFactory, "fulfillment.view_tierconfig"),
    Endpoint(
        "connect/tier/config-requests", f.TierConfigRequestFactory, "fulfillment.view_tierconfigrequest"
    ),
    Endpoint("connect/tier/accounts", f.TierAccountFactory, "fulfillment.view_tieraccount"),
    Endpoint("connect/products", f.ProductFactory, "fulfillment.view_product"),
    Endpoint("connect/products/PRD-276-377-545/templates", _template, "fulfillment.view_template"),
    Endpoint("connect/marketplaces", f.MarketplaceFactory, "fulfillment.view_marketplace"),
    Endpoint("connect/hubs", f.HubFactory, "fulfillment.view_hub"),
    Endpoint("connect/conversations", f.ConversationFactory, "fulfillment.view_conversation"),
    Endpoint("channelhub/sync-runs", _sync_run, "channelhub.view_syncrun", connect=False),
    Endpoint("channelhub/actions", _action, "channelhub.view_upstreamaction", connect=False),
    Endpoint("channelhub/audit-events", _audit, "channelhub.view_auditevent", connect=False),
]


def url(endpoint: Endpoint, query: str = "") -> str:
    return f"/api/v1/{endpoint.path}" + (f"?{query}" if query else "")
