"""Reading the sandbox's truth for outbox assertions (over HTTP, not through our client)."""

from __future__ import annotations

import requests

from channelhub.actions.sender import send_due
from channelhub.models import ActionStatus, UpstreamAction
from fulfillment.models import FulfillmentRequest, TierConfigRequest

HEADERS = {"Authorization": "ApiKey SU-000-000-000:sandbox"}


def upstream(sandbox, path: str) -> dict:
    response = requests.get(f"{sandbox.connect_url}{path}", headers=HEADERS, timeout=30)
    response.raise_for_status()
    return response.json()


def upstream_list(sandbox, path_and_query: str) -> list:
    response = requests.get(f"{sandbox.connect_url}{path_and_query}", headers=HEADERS, timeout=30)
    response.raise_for_status()
    return response.json()


def log_entries(sandbox, fragment: str, method: str = "POST") -> list[dict]:
    response = requests.get(f"{sandbox.url}/_sandbox/log?limit=10000", timeout=30)
    return [e for e in response.json() if fragment in e["path"] and e["method"] == method]


def pick_request(status: str, **filters) -> FulfillmentRequest:
    request = (
        FulfillmentRequest.objects.filter(status=status, is_migration=False, **filters)
        .exclude(params=[])
        .order_by("pk")
        .first()
    )
    assert request is not None, f"the sandbox has no {status} request"
    return request


def pick_tcr(status: str) -> TierConfigRequest:
    tcr = TierConfigRequest.objects.filter(status=status).exclude(params=[]).order_by("pk").first()
    assert tcr is not None, f"the sandbox has no {status} tier config request"
    return tcr


def drain(max_rounds: int = 10):
    """Send until nothing is queued (retries are immediate in these tests)."""
    for _ in range(max_rounds):
        send_due()
        if not UpstreamAction.objects.filter(status__in=ActionStatus.OPEN_STATES).exists():
            return
    raise AssertionError("actions still open after draining")
