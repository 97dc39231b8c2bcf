"""Automation on the dashboard: failed and refused decisions of the last day with what went
wrong, the processors' backlog and overdue tasks (no worker?), dry runs waiting for review;
each figure a link to the automation tasks list showing exactly those rows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from channelhub.models import AutomationTask, TaskStatus

from .conftest import dashboard_html, listed


def _task(status: str, n: int, **fields) -> AutomationTask:
    return AutomationTask.objects.create(
        processor="connect.purchase_rules",
        version="1.0",
        event_type="asset_purchase_request_processing",
        target_type="fulfillment.fulfillmentrequest",
        target_id=f"PR-0000-0000-{n:04d}-001",
        status=status,
        **fields,
    )


@pytest.fixture
def tasks(db):
    now = timezone.now()
    return {
        "failed": _task(
            TaskStatus.FAILED,
            1,
            finished_at=now - timedelta(hours=1),
            error="Traceback ...\nKeyError: 'email'",
        ),
        "old_failure": _task(
            TaskStatus.FAILED, 2, finished_at=now - timedelta(days=2), error="ValueError: x"
        ),
        "refused": _task(
            TaskStatus.REFUSED, 3, finished_at=now - timedelta(minutes=5), reason="A person is acting on it."
        ),
        "due": _task(TaskStatus.DUE, 4, next_run_at=now - timedelta(seconds=20)),
        "overdue": _task(TaskStatus.DUE, 5, next_run_at=now - timedelta(minutes=30)),
        "later": _task(TaskStatus.RESCHEDULED, 6, next_run_at=now + timedelta(minutes=10)),
        "dry": _task(TaskStatus.DRY_RUN, 7, decision="approve", finished_at=now),
        "done": _task(TaskStatus.DECIDED, 8, decision="approve", finished_at=now),
    }


def _figure(page: str, name: str) -> tuple[str, str]:
    match = re.search(rf'data-figure="{name}" href="([^"]+)"><strong>([^<]+)</strong>', page)
    assert match, name
    return match.group(2), match.group(1).replace("&amp;", "&")


def test_each_figure_links_to_exactly_its_tasks(tasks, staff, client_of):
    client = client_of(staff("readonly"))
    page = dashboard_html(client)
    expected = {
        "failed": ["failed"],
        "refused": ["refused"],
        "waiting": ["due", "overdue", "later"],
        "overdue": ["overdue"],
        "dryrun": ["dry"],
    }
    for name, keys in expected.items():
        text, url = _figure(page, f"tasks{name}")
        assert text == str(len(keys)), name
        assert listed(client, url) == sorted(tasks[k].pk for k in keys), name


def test_failed_decisions_are_listed_with_what_went_wrong(tasks, staff, client_of):
    page = dashboard_html(client_of(staff("support")))
    widget = page.split('id="ch-w-automation"')[1].split("</section>")[0]
    rows = [int(pk) for pk in re.findall(r'<tr data-task="(\d+)">', widget)]
    assert rows == [tasks["refused"].pk, tasks["failed"].pk]  # newest first, the old one left out
    assert "KeyError: &#x27;email&#x27;" in widget and "A person is acting on it." in widget
    assert "Traceback" not in widget


def test_no_automation_widget_for_a_user_who_may_not_see_tasks(tasks, staff, client_of):
    page = dashboard_html(client_of(staff(None, "channelhub.view_upstreamaction")))
    assert 'id="ch-w-automation"' not in page
