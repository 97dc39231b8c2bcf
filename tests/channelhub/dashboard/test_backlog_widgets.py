"""The queues' backlog on the dashboard: each figure against rows made here, each link to an
admin list that shows exactly those rows, targets and their breaches, bounded counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from channelhub.dashboard import kit
from channelhub.models import QueueTarget
from fulfillment.channel.models import Entitlement
from fulfillment.connect.models import FulfillmentRequest
from tests.fulfillment.channel.factories import EntitlementFactory, OfferFactory
from tests.fulfillment.connect.factories import (
    FulfillmentRequestFactory,
    TierConfigRequestFactory,
    load_fixture,
)
from tests.inventory.factories import InventorySourceFactory
from tests.usage.factories import UsageFileFactory

from .conftest import dashboard_html, figures, listed

AGO = {
    "30m": timedelta(minutes=30),
    "5h": timedelta(hours=5),
    "3d": timedelta(days=3),
    "10d": timedelta(days=10),
}


def _request(status: str, ago: str, **kwargs) -> FulfillmentRequest:
    return FulfillmentRequestFactory(status=status, created=timezone.now() - AGO[ago], **kwargs)


@pytest.fixture
def requests_waiting(db):
    rows = {ago: _request("pending", ago) for ago in AGO}
    rows["inquiring"] = _request("inquiring", "5h")
    _request("approved", "30m")  # finished: in no queue
    params = load_fixture("fulfillment_request.json")["asset"]["params"]
    params.append({"id": "migration_info", "type": "text", "value": "x", "title": "Migration"})
    rows["migration"] = _request("pending", "30m", params=params)  # out of the default list
    assert rows["migration"].is_migration
    return rows


def test_connect_request_figures_match_the_rows_and_their_links_list_them(requests_waiting, staff, client_of):
    client = client_of(staff("readonly"))
    shown = figures(dashboard_html(client))
    pending, inquiring = shown["connect.requests.pending"], shown["connect.requests.inquiring"]
    assert pending["total"][0] == "4"
    assert [pending[f"band{n}"][0] for n in range(4)] == ["1", "1", "1", "1"]
    assert inquiring["total"][0] == "1" and inquiring["band1"][0] == "1"
    assert listed(client, pending["total"][1]) == sorted(requests_waiting[a].pk for a in AGO)
    for n, ago in enumerate(AGO):
        assert listed(client, pending[f"band{n}"][1]) == [requests_waiting[ago].pk], ago
    assert listed(client, inquiring["total"][1]) == [requests_waiting["inquiring"].pk]
    assert pending["breach"] == []  # no target set


def test_breaches_count_rows_past_their_products_target_or_the_default(requests_waiting, staff, client_of):
    other = _request("pending", "5h", product_id="PRD-000-000-002")
    QueueTarget.objects.create(queue="connect.requests.pending", minutes=60)  # every other product
    # The default product of the factory gets a week: its 3-day-old request is within target.
    QueueTarget.objects.create(
        queue="connect.requests.pending", product_id="PRD-276-377-545", minutes=7 * 24 * 60
    )
    client = client_of(staff("readonly"))
    page = dashboard_html(client)
    row = figures(page)["connect.requests.pending"]
    by_scope = {title.split("(")[-1].rstrip(")"): (text, url) for text, url, title in row["breach"]}
    assert by_scope["PRD-276-377-545"][0] == "1"  # the 10-day-old one
    assert listed(client, by_scope["PRD-276-377-545"][1]) == [requests_waiting["10d"].pk]
    assert by_scope["other products"][0] == "1"  # the other product's, 5 h against 60 min
    assert other.pk in listed(client, by_scope["other products"][1])
    assert 'class="ch-queue ch-breached" data-queue="connect.requests.pending"' in page


def test_counts_are_bounded_and_show_n_plus(db, staff, client_of, monkeypatch):
    monkeypatch.setattr(kit, "CAP", 3)
    for _ in range(5):
        _request("pending", "5h")
    row = figures(dashboard_html(client_of(staff("readonly"))))["connect.requests.pending"]
    assert row["total"][0] == "3+"
    assert row["band1"][0] == "3+"
    assert row["band0"][0] == "0"


def test_tier_config_request_figures(db, staff, client_of):
    pending = TierConfigRequestFactory(status="pending", created=timezone.now() - AGO["3d"])
    inquiring = TierConfigRequestFactory(status="inquiring", created=timezone.now() - AGO["30m"])
    TierConfigRequestFactory(status="approved")
    client = client_of(staff("readonly"))
    shown = figures(dashboard_html(client))
    assert shown["connect.tier_config_requests.pending"]["band2"][0] == "1"
    assert listed(client, shown["connect.tier_config_requests.pending"]["total"][1]) == [pending.pk]
    assert listed(client, shown["connect.tier_config_requests.inquiring"]["band0"][1]) == [inquiring.pk]


def test_channel_entitlements_waiting(db, staff, client_of):
    now = timezone.now()
    tos = EntitlementFactory(state="SUSPENDED", reasons=("PENDING_TOS_ACCEPTANCE",))
    ours = EntitlementFactory(state="SUSPENDED", reasons=("RESELLER_INITIATED",))
    gone = EntitlementFactory(state="SUSPENDED", reasons=("PENDING_TOS_ACCEPTANCE",))
    EntitlementFactory(state="ACTIVE")
    trial_offer = OfferFactory(plan="TRIAL")
    soon = EntitlementFactory(offer=trial_offer)
    later = EntitlementFactory(offer=trial_offer)
    far = EntitlementFactory(offer=trial_offer)
    Entitlement.objects.filter(pk=gone.pk).update(gone_at=now)
    Entitlement.objects.filter(pk__in=[tos.pk, ours.pk]).update(update_time=now - AGO["3d"])
    Entitlement.objects.filter(pk=soon.pk).update(trial=True, trial_end=now + timedelta(hours=5))
    Entitlement.objects.filter(pk=later.pk).update(trial=True, trial_end=now + timedelta(days=3))
    Entitlement.objects.filter(pk=far.pk).update(trial=True, trial_end=now + timedelta(days=20))
    client = client_of(staff("readonly"))
    shown = figures(dashboard_html(client))
    tos_row = shown["channel.entitlements.suspended.pending_tos_acceptance"]
    assert tos_row["total"][0] == "1" and tos_row["band2"][0] == "1"
    assert listed(client, tos_row["total"][1]) == [tos.pk]
    ours_row = shown["channel.entitlements.suspended.reseller_initiated"]
    assert listed(client, ours_row["band2"][1]) == [ours.pk]
    assert shown["channel.entitlements.suspended.trial_ended"]["total"][0] == "0"
    trials = shown["channel.entitlements.trials_ending"]
    assert (trials["total"][0], trials["band0"][0], trials["band1"][0]) == ("2", "1", "1")
    assert listed(client, trials["total"][1]) == sorted([soon.pk, later.pk])
    assert listed(client, trials["band0"][1]) == [soon.pk]
    assert trials["breach"] == []


def test_usage_files_to_submit_and_to_accept(db, staff, client_of):
    ready = UsageFileFactory(status="ready", created_at=timezone.now() - AGO["5h"])
    pending = UsageFileFactory(status="pending", created_at=timezone.now() - AGO["10d"])
    UsageFileFactory(status="accepted")
    client = client_of(staff("readonly"))
    shown = figures(dashboard_html(client))
    assert shown["usage.files.to_submit"]["band1"][0] == "1"
    assert listed(client, shown["usage.files.to_submit"]["band1"][1]) == [ready.pk]
    assert shown["usage.files.pending"]["band3"][0] == "1"
    assert listed(client, shown["usage.files.pending"]["total"][1]) == [pending.pk]


def test_usage_file_product_target_links_to_that_products_files(db, staff, client_of):
    old = UsageFileFactory(status="pending", created_at=timezone.now() - AGO["3d"])
    UsageFileFactory(status="pending", created_at=timezone.now() - AGO["3d"], product_id="PRD-999-999-999")
    QueueTarget.objects.create(queue="usage.files.pending", product_id=old.product_id, minutes=24 * 60)
    client = client_of(staff("readonly"))
    ((text, url, _),) = figures(dashboard_html(client))["usage.files.pending"]["breach"]
    assert text == "1"
    assert listed(client, url) == [old.pk]


def test_inventory_sources_failing_or_held(db, staff, client_of):
    never = InventorySourceFactory(status="failed", last_success_at=None)
    failing = InventorySourceFactory(status="invalid_credentials", last_success_at=timezone.now() - AGO["5h"])
    held = InventorySourceFactory(status="held", held_at=timezone.now() - AGO["30m"], held_run=1)
    InventorySourceFactory(status="ok")
    client = client_of(staff("readonly"))
    shown = figures(dashboard_html(client))
    failing_row = shown["inventory.sources.failing"]
    assert failing_row["total"][0] == "2"
    assert listed(client, failing_row["band4"][1]) == [never.pk]  # never succeeded
    assert listed(client, failing_row["band1"][1]) == [failing.pk]
    assert listed(client, shown["inventory.sources.held"]["band0"][1]) == [held.pk]
