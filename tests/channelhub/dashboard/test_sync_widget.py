"""Sync health on the dashboard: last success, lag, failures in a row, next run; "run now"
for supervisors only, through the stream states admin's own run-now (queued and audited)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule
from django_q.signals import pre_enqueue

from channelhub.models import AuditEvent, StreamState, SyncRun, SyncRunStatus
from channelhub.sync.dispatch import SYNC_TASK

from .conftest import dashboard_html

STREAM = "connect.products"  # a declared stream: it has a schedule of its own


def _stream_row(page: str, name: str) -> str:
    match = re.search(rf'<tr class="ch-stream[^"]*" data-stream="{re.escape(name)}">(.*?)</tr>', page, re.S)
    assert match, f"no row for {name}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


@pytest.fixture
def stream_history(db):
    now = timezone.now()
    StreamState.objects.create(stream=STREAM, last_success_at=now - timedelta(hours=2, seconds=30))
    SyncRun.objects.create(stream=STREAM, status=SyncRunStatus.FAILED, started_at=now - timedelta(hours=5))
    SyncRun.objects.create(
        stream=STREAM, status=SyncRunStatus.SUCCEEDED, started_at=now - timedelta(hours=2, minutes=1)
    )
    for minutes in (90, 60, 30):
        SyncRun.objects.create(
            stream=STREAM, status=SyncRunStatus.FAILED, started_at=now - timedelta(minutes=minutes)
        )
    Schedule.objects.create(
        name=f"sync:{STREAM}",
        func=SYNC_TASK,
        args=repr(STREAM),
        schedule_type=Schedule.MINUTES,
        minutes=15,
        repeats=-1,
        next_run=now + timedelta(minutes=7, seconds=30),
    )


def test_a_streams_health_in_figures(stream_history, staff, client_of):
    text = _stream_row(dashboard_html(client_of(staff("readonly"))), STREAM)
    assert "2 h 00 min" in text  # lag
    assert " 3 " in f" {text} "  # failures since the last success, not the one before it
    assert "in 7 min" in text  # next run, from its schedule
    assert "Run now" not in text


def test_a_stream_that_never_ran_says_so(db, staff, client_of):
    text = _stream_row(dashboard_html(client_of(staff("readonly"))), "connect.requests")
    assert "never" in text and "no schedule" in text


def test_failures_link_lists_the_failed_runs(stream_history, staff, client_of):
    client = client_of(staff("readonly"))
    page = dashboard_html(client)
    url = re.search(r'<a class="ch-over" href="([^"]+)">3</a>', page).group(1).replace("&amp;", "&")
    response = client.get(url)
    assert {r.status for r in response.context["cl"].result_list} == {SyncRunStatus.FAILED}
    assert response.context["cl"].result_count == 4  # every failed run of the stream, the list's own


@pytest.mark.parametrize("role", ["readonly", "support"])
def test_only_supervisors_see_or_use_run_now(role, stream_history, staff, client_of):
    client = client_of(staff(role))
    assert 'class="ch-run-now"' not in dashboard_html(client)
    url = reverse("admin:channelhub_streamstate_run_now", args=[STREAM])
    assert client.post(url, {"next": "/admin/"}).status_code == 403
    assert not AuditEvent.objects.filter(action="schedule.run_now").exists()


def test_run_now_hands_the_stream_to_the_worker_audited_and_comes_back(stream_history, staff, client_of):
    boss = staff("supervisor")
    client = client_of(boss)
    page = dashboard_html(client)
    assert page.count('class="ch-run-now"') >= 1
    url = reverse("admin:channelhub_streamstate_run_now", args=[STREAM])
    assert f'action="{url}"' in page
    queued = []

    def keep(sender, task, **kwargs):
        queued.append((task["func"], task["args"]))

    pre_enqueue.connect(keep, dispatch_uid="dashboard-run-now")
    try:
        response = client.post(url, {"next": "/admin/"})
    finally:
        pre_enqueue.disconnect(dispatch_uid="dashboard-run-now")
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert queued == [(SYNC_TASK, (STREAM,))]
    event = AuditEvent.objects.get(action="schedule.run_now")
    assert (event.target_id, event.actor_name) == (f"sync:{STREAM}", boss.username)
    messages = [str(m) for m in client.get("/admin/").context["messages"]]
    assert messages == [f"Handed to a worker: {STREAM}."]


def test_run_now_of_an_unknown_stream_is_404_and_get_is_refused(db, staff, client_of):
    client = client_of(staff("supervisor"))
    assert (
        client.post(reverse("admin:channelhub_streamstate_run_now", args=["nope.nothing"])).status_code == 404
    )
    assert client.get(reverse("admin:channelhub_streamstate_run_now", args=[STREAM])).status_code == 405
