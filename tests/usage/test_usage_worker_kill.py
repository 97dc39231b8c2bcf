"""Usage actions survive a killed worker, each applied once (issue 12: "faults and a killed
worker -> each action applied once").

A real `manage.py qcluster` (tests/channelhub/core/test_worker_shutdown.py's `start_cluster`:
this test's database and broker, its own process group) takes three usage sends queued
through the services: a report's create + upload, a provider's accept of a pending file and a
bulk close-records on an accepted one. Connect applies each and holds its answer (the
sandbox's `timeout` fault); the whole cluster is SIGKILLed while all three wait. The actions
are left *sending*, their tasks lost with the worker. A new cluster (ACTION_SENDING_TIMEOUT=0
in its environment) runs the outbox sweep, which queues them again as maybe applied; each
executor reads Connect first and finds its work done (the create: the file by its
external_id, still to be uploaded, so only the upload is sent). Connect's log then has one
create, one upload, one accept and one close-records, and our side records each action done
once.
"""

from __future__ import annotations

import os
import signal
import time
from urllib.parse import quote

import pytest
from django.conf import settings
from django_q.tasks import async_task

from channelhub.models import ActionStatus, AuditEvent, UpstreamAction
from channelhub.sync.schedules import FIXED
from tests.channelhub.sync.helpers import settled_log
from tests.plugins.worker import still_running
from tests.usage.test_usage_actions import control, files_with, get, make_user, mirror_file, report_like
from usage import services
from usage.choices import ReportStatus
from usage.models import UsageFile, UsageRecord, UsageReport

pytestmark = pytest.mark.django_db(transaction=True)  # the clusters must see our rows

HOLD_SECONDS = 3  # Connect's held answers end within the test, so their log entries land in it
# The first cluster: one worker per send, so all three are in flight at the kill.
FIRST_WORKERS = "3"
# The outbox's every-minute sweep; the new cluster is handed it at once, since django-q's
# scheduler first runs 30 s after a cluster starts.
SWEEP = next(func for name, func, _ in FIXED if name == "outbox:send-due")
EXTERNAL_ID = "ours killed 1"
BY_EXTERNAL_ID = "/usage/files?eq(external_id," + quote(f'"{EXTERNAL_ID}"') + ")"


def _env(sandbox, **extra: str) -> dict[str, str]:
    return {"CONNECT_API_URL": sandbox.connect_url, "CONNECT_API_KEY": settings.CONNECT_API_KEY, **extra}


def _wait(what: str, done, seconds: float, cluster) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, f"{what}:\n{cluster.output()}"
        time.sleep(0.1)


def _posts(log: list[dict], suffix: str) -> list[dict]:
    return [e for e in log if e["method"] == "POST" and e["path"].endswith(suffix)]


@pytest.fixture
def usage_sandbox(connect_settings):
    control(connect_settings, "POST", "usage", {"processing_seconds": 0})
    return connect_settings


def _queue_three(sandbox, supervisor) -> tuple[UsageReport, UsageFile, UsageFile, list[UpstreamAction]]:
    """The report's send, the accept and the bulk close, each to be held by Connect."""
    report = report_like(sandbox, files_with(sandbox, "ready")[0], external_id=EXTERNAL_ID)
    pending = mirror_file(sandbox, files_with(sandbox, "pending")[0]["id"])
    accepted = mirror_file(sandbox, files_with(sandbox, "accepted")[0]["id"])
    assert UsageRecord.objects.filter(usage_file=accepted, status="approved").count() >= 2
    control(sandbox, "DELETE", "log")
    control(
        sandbox,
        "POST",
        "faults",
        {
            "next": ["timeout"] * 3,
            "path": "/usage/files/$|/accept$|/usage/records/close-records$",
            "timeout_seconds": HOLD_SECONDS,
        },
    )
    actions = [
        services.send_report(report, user=supervisor),
        services.usage_file_accept(usage_file=pending, note="ok", actor=supervisor),
        services.usage_file_close_records(
            usage_file=accepted, billing_id="INV-{record}", all_approved=True, actor=supervisor
        ),
    ]
    return report, pending, accepted, actions


def _applied_upstream(sandbox, pending: UsageFile, accepted: UsageFile, to_close: list[str]) -> bool:
    """Connect did all three (their answers are still held)."""
    if not get(sandbox, BY_EXTERNAL_ID):
        return False
    if get(sandbox, f"/usage/files/{pending.pk}")["status"] != "accepted":
        return False
    records = get(sandbox, f"/usage/records?eq(usage_file,{accepted.pk})&limit=1000")
    return all(r["status"] == "closed" for r in records if r["id"] in to_close)


def test_sends_cut_off_by_a_sigkill_are_recovered_by_a_new_cluster_and_applied_once(
    start_cluster,  # noqa: F811 - the imported fixture
    usage_sandbox,
):
    supervisor = make_user("supervisor")
    cluster = start_cluster(**_env(usage_sandbox, Q_WORKERS=FIRST_WORKERS))
    report, pending, accepted, actions = _queue_three(usage_sandbox, supervisor)
    to_close = [item["id"] for item in actions[2].payload["records"]]
    _wait(
        "the cluster never sent all three",
        lambda: _applied_upstream(usage_sandbox, pending, accepted, to_close),
        30,
        cluster,
    )
    os.killpg(cluster.process.pid, signal.SIGKILL)  # the worker dies waiting for the answers
    cluster.wait_gone(10)
    assert still_running(cluster.children) == [], cluster.output()
    for action in actions:
        action.refresh_from_db()
        assert (action.status, action.attempts) == (ActionStatus.SENDING, 1), action.kind

    recovery = start_cluster(**_env(usage_sandbox, ACTION_SENDING_TIMEOUT="0"))
    async_task(SWEEP)
    _wait(
        "the new cluster did not finish the lost sends",
        lambda: not UpstreamAction.objects.filter(status__in=ActionStatus.OPEN_STATES).exists(),
        60,
        recovery,
    )

    for action in actions:
        action.refresh_from_db()
        assert action.status == ActionStatus.SUCCEEDED, f"{action.kind}: {action.last_error}"
        assert (action.attempts, action.maybe_applied) == (2, True), action.kind
        trail = AuditEvent.objects.filter(upstream_action=action).order_by("pk")
        assert list(trail.values_list("action", flat=True)) == [
            f"{action.kind}.queued",
            f"{action.kind}.succeeded",
        ]
    create, accept, close = actions

    found = get(usage_sandbox, BY_EXTERNAL_ID)
    assert len(found) == 1, "a second file was created"
    file_id = found[0]["id"]
    report.refresh_from_db()
    assert (report.status, report.usage_file_id) == (ReportStatus.SENT, file_id)
    assert create.response["id"] == file_id
    assert get(usage_sandbox, f"/usage/files/{file_id}")["status"] == "ready"  # the upload was read

    # Accept and close-records had nothing left to do: recorded as done by the first attempt.
    for action in (accept, close):
        event = AuditEvent.objects.get(upstream_action=action, action__endswith=".succeeded")
        assert "already applied" in event.message, action.kind
    assert get(usage_sandbox, f"/usage/files/{pending.pk}")["status"] == "accepted"
    assert UsageFile.objects.get(pk=pending.pk).status == "accepted"
    assert (close.response["closed"], close.response["not_closed"]) == (len(to_close), 0)
    for record_id in to_close:
        assert get(usage_sandbox, f"/usage/records/{record_id}")["external_billing_id"] == f"INV-{record_id}"
    assert set(UsageRecord.objects.filter(pk__in=to_close).values_list("status", flat=True)) == {"closed"}

    upload = f"/usage/files/{file_id}/upload"
    log = settled_log(
        usage_sandbox,
        lambda entries: all(
            _posts(entries, s) for s in ("/usage/files/", "/accept", "/close-records", upload)
        ),
    )
    assert [e["fault"] for e in _posts(log, "/usage/files/")] == ["timeout"]  # created once
    uploads = _posts(log, upload)
    assert len(uploads) == 1 and uploads[0]["status"] < 400, uploads  # once, by the new cluster
    assert [e["fault"] for e in _posts(log, f"/{pending.pk}/accept")] == ["timeout"]  # not sent again
    assert [e["fault"] for e in _posts(log, "/usage/records/close-records")] == ["timeout"]
