"""Billing request actions through the outbox against the sandbox over real HTTP: create one
for a recurring asset and period (once, a lost answer included), update its attributes.

Until the billing streams land, the recurring asset is mirrored from the sandbox's JSON here."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from channelhub.actions.sender import send_action
from channelhub.models import ActionStatus, UpstreamAction
from usage import services
from usage.models import BillingRequest, RecurringAsset

pytestmark = pytest.mark.django_db

HEADERS = {"Authorization": "ApiKey SU-000-000-000:sandbox"}
PERIOD = datetime(2031, 1, 1, tzinfo=UTC), datetime(2031, 2, 1, tzinfo=UTC)  # no seeded request bills it


def get(sandbox, path: str):
    response = requests.get(f"{sandbox.connect_url}{path}", headers=HEADERS, timeout=30)
    response.raise_for_status()
    return response.json()


def control(sandbox, method: str, what: str, body=None):
    response = requests.request(method, f"{sandbox.url}/_sandbox/{what}", json=body, timeout=30)
    response.raise_for_status()
    return response.json() if response.content else None


@pytest.fixture
def billing(connect_settings, settings):
    settings.ACTION_RETRY_BACKOFF = 0
    return connect_settings


@pytest.fixture
def support(db):
    u = get_user_model().objects.create_user(username="support-u", password="x" * 12, is_staff=True)
    u.groups.add(Group.objects.get(name="support"))
    return get_user_model().objects.get(pk=u.pk)


def active_asset(sandbox) -> RecurringAsset:
    doc = get(sandbox, "/subscriptions/assets?eq(status,active)&ordering(id)&limit=1")[0]
    return RecurringAsset.objects.create(
        id=doc["id"],
        status="active",
        product_id=doc["product"]["id"],
        items=[{"id": i["id"], "quantity": i.get("quantity", 1)} for i in doc["items"]],
        payload=doc,
    )


def requests_for(sandbox, asset_id: str) -> list[dict]:
    return get(sandbox, f"/subscriptions/requests?eq(asset.id,{asset_id})&limit=1000")


def drain():
    for _ in range(10):
        for pk in list(
            UpstreamAction.objects.filter(status=ActionStatus.QUEUED).values_list("pk", flat=True)
        ):
            send_action(pk)
        if not UpstreamAction.objects.filter(status__in=ActionStatus.OPEN_STATES).exists():
            return
    raise AssertionError("actions still open after draining")


def create(asset, actor, **extra):
    return services.billing_request_create(
        asset=asset, type="vendor", period_from=PERIOD[0], period_to=PERIOD[1], actor=actor, **extra
    )


def test_create_then_update_attributes(billing, support):
    asset = active_asset(billing)
    before = len(requests_for(billing, asset.pk))
    done = send_action(create(asset, support).pk)
    assert done.status == ActionStatus.SUCCEEDED, done.last_error
    made = [r for r in requests_for(billing, asset.pk) if r["period"]["from"].startswith("2031-01-01")]
    assert len(requests_for(billing, asset.pk)) == before + 1 and len(made) == 1
    mirrored = BillingRequest.objects.get(pk=made[0]["id"])
    assert mirrored.asset_id == asset.pk and mirrored.type == "vendor"

    action = services.billing_request_update_attributes(
        billing_request=mirrored, attributes={"vendor": {"invoice": "INV-2031-01"}}, actor=support
    )
    assert send_action(action.pk).status == ActionStatus.SUCCEEDED
    assert get(billing, f"/subscriptions/requests/{mirrored.pk}")["attributes"]["vendor"] == {
        "invoice": "INV-2031-01"
    }
    mirrored.refresh_from_db()
    assert mirrored.attributes["vendor"] == {"invoice": "INV-2031-01"}


@pytest.mark.parametrize("faults", [["timeout"], ["truncated"]])
def test_a_lost_create_answer_makes_one_billing_request(billing, support, settings, faults):
    settings.UPSTREAM_MAX_RETRIES = 0
    asset = active_asset(billing)
    control(billing, "DELETE", "log")
    control(
        billing, "POST", "faults", {"next": faults, "path": "/subscriptions/requests/$", "timeout_seconds": 3}
    )
    action = create(asset, support)
    drain()
    action.refresh_from_db()
    assert action.status == ActionStatus.SUCCEEDED, action.last_error
    assert action.attempts >= 2  # the first answer really was lost
    made = [r for r in requests_for(billing, asset.pk) if r["period"]["from"].startswith("2031-01-01")]
    assert len(made) == 1, "a second billing request was made"
    time.sleep(0.1)
    assert BillingRequest.objects.filter(pk=made[0]["id"]).exists()


def test_connect_refuses_an_item_the_asset_does_not_have(billing, support):
    asset = active_asset(billing)
    done = send_action(create(asset, support, items=[{"id": "PRD_000_000_000_9999", "quantity": 1}]).pk)
    assert done.status == ActionStatus.FAILED and done.attempts == 1
    assert "is not an item of asset" in done.last_error
