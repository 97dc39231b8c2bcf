"""Retention: rows past their window go, newer and still-needed ones stay, a dry run deletes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_q.models import OrmQ, Schedule, Task

from channelhub.models import (
    ActionStatus,
    AuditEvent,
    AutomationTask,
    ListedKey,
    SyncRun,
    SyncRunStatus,
    UpstreamAction,
)
from channelhub.models.automation import TaskStatus
from channelhub.retention import references, run_retention
from channelhub.sync import schedules
from channelhub.taskguard import is_allowed

pytestmark = pytest.mark.django_db

NOW = timezone.now()
OLD = NOW - timedelta(days=400)
RECENT = NOW - timedelta(days=1)


def _task(stopped, *, success=True) -> Task:
    return Task.objects.create(
        id=uuid.uuid4().hex,
        name=uuid.uuid4().hex,
        func="channelhub.sync.tasks.sync_stream_task",
        started=stopped,
        stopped=stopped,
        success=success,
    )


def _run(stream: str, status: str, started) -> SyncRun:
    return SyncRun.objects.create(stream=stream, status=status, started_at=started, finished_at=started)


def _action(target: str, status: str, finished, *, created=None) -> UpstreamAction:
    return UpstreamAction.objects.create(
        kind="connect.request.approve",
        target_type="fulfillment.request",
        target_id=target,
        status=status,
        created_at=created or finished or OLD,
        finished_at=finished,
    )


def _decision(status: str, finished, action=None) -> AutomationTask:
    return AutomationTask.objects.create(
        processor="demo",
        event_type="request.pending",
        target_type="fulfillment.request",
        target_id=uuid.uuid4().hex,
        status=status,
        action=action,
        created_at=finished or OLD,
        finished_at=finished,
    )


def _exists(obj) -> bool:
    return type(obj).objects.filter(pk=obj.pk).exists()


def test_task_results_and_broker_leftovers_past_the_window_go():
    old_ok, old_failed, recent = _task(OLD), _task(OLD, success=False), _task(RECENT)
    last_of_schedule = _task(OLD)
    Schedule.objects.create(name="sync:connect.requests", func="channelhub.sync.tasks.sync_stream_task",
                            args="'connect.requests'", task=last_of_schedule.id)  # fmt: skip
    taken_long_ago = OrmQ.objects.create(key="channelhub", payload="x", lock=OLD)
    waiting = OrmQ.objects.create(key="channelhub", payload="y", lock=None)
    run_retention()
    assert not _exists(old_ok) and not _exists(old_failed) and not _exists(taken_long_ago)
    assert _exists(recent) and _exists(last_of_schedule) and _exists(waiting)


def test_sync_runs_keep_each_streams_latest_the_running_and_held_ones():
    gone_success = _run("connect.requests", SyncRunStatus.SUCCEEDED, OLD)
    gone_failure = _run("connect.requests", SyncRunStatus.FAILED, OLD)
    last_failure = _run("connect.requests", SyncRunStatus.FAILED, OLD + timedelta(hours=1))
    running = _run("connect.requests", SyncRunStatus.RUNNING, OLD)
    last_success = _run("connect.requests", SyncRunStatus.SUCCEEDED, RECENT)
    only_run = _run("connect.products", SyncRunStatus.SUCCEEDED, OLD)
    held = _run("inventory.resources.x", SyncRunStatus.SUCCEEDED, OLD)
    _run("inventory.resources.x", SyncRunStatus.SUCCEEDED, RECENT)
    ListedKey.objects.create(stream=held.stream, run=held.pk, model="inventory.resource", key="r-1")
    run_retention()
    assert not _exists(gone_success) and not _exists(gone_failure)
    for kept in (last_failure, running, last_success, only_run, held):
        assert _exists(kept), kept


def test_finished_actions_go_and_nothing_points_at_them_afterwards():
    succeeded = _action("PR-1", ActionStatus.SUCCEEDED, OLD)
    cancelled = _action("PR-2", ActionStatus.CANCELLED, OLD)
    recent = _action("PR-3", ActionStatus.SUCCEEDED, RECENT)
    queued = _action("PR-4", ActionStatus.QUEUED, None, created=OLD)
    failed_alone = _action("PR-5", ActionStatus.FAILED, OLD)  # still waits for a retry
    superseded = _action("PR-6", ActionStatus.FAILED, OLD)
    _action("PR-6", ActionStatus.SUCCEEDED, RECENT)  # done since by a later action
    event = AuditEvent.objects.create(action="request.approve.succeeded", target_type="fulfillment.request",
                                      target_id="PR-1", upstream_action=succeeded, created_at=OLD)  # fmt: skip
    decided = _decision(TaskStatus.DECIDED, RECENT, action=succeeded)
    run_retention()
    for gone in (succeeded, cancelled, superseded):
        assert not _exists(gone), gone
    for kept in (recent, queued, failed_alone):
        assert _exists(kept), kept
    event.refresh_from_db()
    decided.refresh_from_db()
    assert event.upstream_action is None and event.target_id == "PR-1"  # the audit trail stays
    assert decided.action is None


def test_every_reference_to_a_deleted_table_lets_go_of_the_row():
    found = references()
    assert found["channelhub.UpstreamAction"] == [
        "channelhub.AuditEvent.upstream_action (SET_NULL)",
        "channelhub.AutomationTask.action (SET_NULL)",
    ]
    assert not any(found[label] for label in found if label != "channelhub.UpstreamAction")


def test_finished_automation_tasks_go_open_ones_stay():
    old_decided = _decision(TaskStatus.DECIDED, OLD)
    old_failed = _decision(TaskStatus.FAILED, OLD)
    old_due = _decision(TaskStatus.DUE, None)
    recent = _decision(TaskStatus.SKIPPED, RECENT)
    run_retention()
    assert not _exists(old_decided) and not _exists(old_failed)
    assert _exists(old_due) and _exists(recent)


def test_audit_events_are_kept_unless_a_window_is_set(settings):
    old = AuditEvent.objects.create(action="x", target_type="t", target_id="1", created_at=OLD)
    recent = AuditEvent.objects.create(action="x", target_type="t", target_id="2", created_at=RECENT)
    outcome = {o.label: o for o in run_retention()}["audit events"]
    assert outcome.kept_for_ever and _exists(old)
    settings.RETENTION_AUDIT_DAYS = 365
    assert {o.label: o.count for o in run_retention()}["audit events"] == 1
    assert not _exists(old) and _exists(recent)


def test_a_zero_window_keeps_everything(settings):
    settings.RETENTION_TASK_RESULTS_DAYS = 0
    old = _task(OLD)
    assert {o.label: o.count for o in run_retention()}["django-q task results"] == 0
    assert _exists(old)


def test_rows_go_in_batches_until_none_is_left(settings):
    settings.RETENTION_BATCH_SIZE = 2
    for _ in range(5):
        _task(OLD)
    assert {o.label: o.count for o in run_retention()}["django-q task results"] == 5
    assert not Task.objects.exists()


def test_dry_run_counts_and_deletes_nothing():
    _task(OLD)
    _run("connect.requests", SyncRunStatus.SUCCEEDED, OLD)
    _run("connect.requests", SyncRunStatus.SUCCEEDED, RECENT)
    _action("PR-1", ActionStatus.SUCCEEDED, OLD)
    out = StringIO()
    call_command("retention", "--dry-run", stdout=out)
    lines = out.getvalue().splitlines()
    assert "django-q task results (django_q_task, 14 days): 1 would delete" in lines
    assert "sync runs (channelhub_syncrun, 30 days): 1 would delete" in lines
    assert "outbox actions (channelhub_upstreamaction, 90 days): 1 would delete" in lines
    assert "audit events (channelhub_auditevent): kept for ever" in lines
    assert Task.objects.count() == 1 and SyncRun.objects.count() == 2 and UpstreamAction.objects.count() == 1
    out = StringIO()
    call_command("retention", stdout=out)
    assert "sync runs (channelhub_syncrun, 30 days): 1 deleted" in out.getvalue().splitlines()
    assert Task.objects.count() == 0 and SyncRun.objects.count() == 1 and UpstreamAction.objects.count() == 0


def test_the_daily_schedule_exists_after_setup_schedules_and_is_allowed():
    result = dict(schedules.setup_schedules())
    assert result[schedules.RETENTION] == "created"
    schedule = Schedule.objects.get(name=schedules.RETENTION)
    assert schedule.func == "channelhub.retention.retention_task" and is_allowed(schedule.func)
    assert schedule.schedule_type == Schedule.MINUTES and schedule.minutes == 24 * 60
    assert schedule.repeats == -1
    assert dict(schedules.setup_schedules())[schedules.RETENTION] == "unchanged"
