"""The outbox on the dashboard: failed and stuck actions with the upstream's reason, each
figure a link to the actions list showing those rows, and the last 24 hours as an SVG chart."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from channelhub.models import ActionStatus, UpstreamAction

from .conftest import dashboard_html, listed


def _action(status: str, n: int, **fields) -> UpstreamAction:
    return UpstreamAction.objects.create(
        kind="connect.request.approve",
        target_type="fulfillment.fulfillmentrequest",
        target_id=f"PR-0000-0000-{n:04d}-001",
        status=status,
        **fields,
    )


@pytest.fixture
def outbox(db, settings):
    settings.ACTION_SENDING_TIMEOUT = 600
    now = timezone.now()
    return {
        "failed": _action(
            ActionStatus.FAILED, 1, last_error="Request is not in pending status", error_code="REQ_003"
        ),
        "lost": _action(ActionStatus.SENDING, 2, sending_since=now - timedelta(minutes=20)),
        "sending": _action(ActionStatus.SENDING, 3, sending_since=now - timedelta(minutes=2)),
        "unpicked": _action(ActionStatus.QUEUED, 4, next_attempt_at=now - timedelta(minutes=30)),
        "queued": _action(ActionStatus.QUEUED, 5, next_attempt_at=now - timedelta(minutes=1)),
        "done": _action(ActionStatus.SUCCEEDED, 6, created_at=now - timedelta(hours=3)),
        "old": _action(ActionStatus.SUCCEEDED, 7, created_at=now - timedelta(days=2)),
    }


def _figure(page: str, name: str) -> tuple[str, str]:
    match = re.search(rf'data-figure="{name}" href="([^"]+)"><strong>([^<]+)</strong>', page)
    return match.group(2), match.group(1).replace("&amp;", "&")


def test_failed_and_stuck_figures_link_to_those_actions(outbox, staff, client_of):
    client = client_of(staff("readonly"))
    page = dashboard_html(client)
    for name, expected in (("failed", ["failed"]), ("sending", ["lost"]), ("queued", ["unpicked"])):
        text, url = _figure(page, name)
        assert text == str(len(expected)), name
        assert listed(client, url) == sorted(outbox[k].pk for k in expected), name


def test_failed_and_stuck_actions_are_listed_with_the_upstreams_reason(outbox, staff, client_of):
    page = dashboard_html(client_of(staff("readonly")))
    listed_ids = [int(pk) for pk in re.findall(r'<tr data-action="(\d+)">', page)]
    assert listed_ids == [outbox["failed"].pk, outbox["unpicked"].pk, outbox["lost"].pk]
    assert "Request is not in pending status" in page and "<code>REQ_003</code>" in page


def test_the_chart_counts_the_last_24_hours_by_hour(outbox, staff, client_of):
    page = dashboard_html(client_of(staff("readonly")))
    totals = [int(t) for t in re.findall(r'<g class="ch-bar"[^>]*data-total="(\d+)"', page)]
    assert len(totals) == 24
    assert sum(totals) == 6  # the two-day-old action is left out
    assert totals[-1] == 5 and totals[-4] == 1  # this hour, and three hours ago
    assert "Done: 1" in page and "Failed: 1" in page
    assert "<svg" in page and "<script" not in page.split('id="ch-w-actions"')[1].split("</section>")[0]


def test_no_widget_for_a_user_who_may_not_see_actions(outbox, staff, client_of):
    page = dashboard_html(client_of(staff(None, "fulfillment.view_fulfillmentrequest")))
    assert 'id="ch-w-actions"' not in page and 'id="ch-w-sync"' not in page
    assert 'id="ch-w-connect-requests"' in page
