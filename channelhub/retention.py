"""Retention: the rows that are kept only for a while, and the daily task that deletes the rest.

The database should not grow with time alone. Each kind of row below is kept for its
`RETENTION_*_DAYS` setting after it ended (0 keeps it for ever), and deleted by the daily
`housekeeping:retention` schedule (`retention_task`) or `manage.py retention [--dry-run]`:

| what | kept | never deleted |
| --- | --- | --- |
| django-q task results (Success, Failure) | `RETENTION_TASK_RESULTS_DAYS` after they stopped | the last task of each schedule |
| django-q ORM broker rows taken and never acknowledged | as long, after they were taken | queued rows not taken yet |
| sync runs | `RETENTION_SYNC_RUNS_DAYS` after they started | a running run, each stream's latest run of each status, a run whose listing is kept aside (a held pass) |
| outbox actions | `RETENTION_ACTIONS_DAYS` after they finished | queued or sending ones; a failed one, unless a later action on its target succeeded (until then it waits for a supervisor's retry or cancel) |
| automation tasks | `RETENTION_AUTOMATION_DAYS` after they finished | due, running or rescheduled ones |
| audit events | `RETENTION_AUDIT_DAYS` (0, the default: for ever) | |

Rows go in batches of `RETENTION_BATCH_SIZE` primary keys, each batch its own short
transaction, so a big table is never locked for long and other writers go on between batches.
Deletes go through the ORM so `on_delete` holds: an automation task's `action` and an audit
event's `upstream_action` are SET_NULL (the event keeps its kind, target, correlation id and
message); nothing else points at these rows (`references()` lists what does, a test checks it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, Max, Model, OuterRef, Q, QuerySet
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

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Policy:
    """One kind of row: its setting of days and the rows older than a cutoff that may go."""

    label: str
    setting: str
    model: type[Model]
    select: Callable[[datetime], QuerySet]

    @property
    def days(self) -> int:
        """The days the rows are kept (0: for ever)."""
        return int(getattr(settings, self.setting))


def _task_results(cutoff: datetime) -> QuerySet:
    last_of_schedules = Schedule.objects.exclude(task__isnull=True).values("task")
    return Task.objects.filter(stopped__lt=cutoff).exclude(id__in=last_of_schedules)


def _broker_leftovers(cutoff: datetime) -> QuerySet:
    return OrmQ.objects.filter(lock__lt=cutoff)


def _sync_runs(cutoff: datetime) -> QuerySet:
    latest = (
        SyncRun.objects.values("stream", "status").annotate(last=Max("pk")).values_list("last", flat=True)
    )
    return (
        SyncRun.objects.filter(started_at__lt=cutoff, status__in=SyncRunStatus.finished())
        .exclude(pk__in=list(latest))
        .exclude(pk__in=ListedKey.objects.values("run"))
    )


def _ended_before(cutoff: datetime) -> Q:
    """Finished before the cutoff (a row without a finish time: last changed before it)."""
    return Q(finished_at__lt=cutoff) | Q(finished_at__isnull=True, created_at__lt=cutoff)


def _actions(cutoff: datetime) -> QuerySet:
    later_success = UpstreamAction.objects.filter(
        target_type=OuterRef("target_type"),
        target_id=OuterRef("target_id"),
        created_at__gt=OuterRef("created_at"),
        status=ActionStatus.SUCCEEDED,
    )
    done = Q(status__in=[ActionStatus.SUCCEEDED, ActionStatus.CANCELLED])
    superseded = Q(status=ActionStatus.FAILED) & Exists(later_success)
    return UpstreamAction.objects.filter(_ended_before(cutoff)).filter(done | superseded)


def _automation_tasks(cutoff: datetime) -> QuerySet:
    return AutomationTask.objects.filter(_ended_before(cutoff)).exclude(status__in=TaskStatus.OPEN_STATES)


def _audit_events(cutoff: datetime) -> QuerySet:
    return AuditEvent.objects.filter(created_at__lt=cutoff)


POLICIES = (
    Policy("django-q task results", "RETENTION_TASK_RESULTS_DAYS", Task, _task_results),
    Policy("django-q broker leftovers", "RETENTION_TASK_RESULTS_DAYS", OrmQ, _broker_leftovers),
    Policy("sync runs", "RETENTION_SYNC_RUNS_DAYS", SyncRun, _sync_runs),
    Policy("automation tasks", "RETENTION_AUTOMATION_DAYS", AutomationTask, _automation_tasks),
    Policy("outbox actions", "RETENTION_ACTIONS_DAYS", UpstreamAction, _actions),
    Policy("audit events", "RETENTION_AUDIT_DAYS", AuditEvent, _audit_events),
)


@dataclass(frozen=True)
class Outcome:
    """What one policy deleted (or would delete): `kept_for_ever` when its setting is 0."""

    label: str
    table: str
    days: int
    count: int

    @property
    def kept_for_ever(self) -> bool:
        """The setting is 0: nothing of this kind is ever deleted."""
        return self.days <= 0

    def line(self, *, dry_run: bool) -> str:
        """One line for people: `sync runs (channelhub_syncrun, 30 days): 12 deleted`."""
        if self.kept_for_ever:
            return f"{self.label} ({self.table}): kept for ever"
        verb = "would delete" if dry_run else "deleted"
        return f"{self.label} ({self.table}, {self.days} days): {self.count} {verb}"


def _delete_in_batches(queryset: QuerySet, batch_size: int) -> int:
    """Delete the queryset's rows a batch of primary keys at a time; returns the rows deleted."""
    model = queryset.model
    deleted = 0
    while True:
        pks = list(queryset.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not pks:
            return deleted
        # The ORM's delete (not a raw one): SET_NULL on the rows that point here, in one transaction.
        _, per_model = model.objects.filter(pk__in=pks).delete()
        deleted += per_model.get(model._meta.label, 0)
        if len(pks) < batch_size:
            return deleted


def run_retention(*, dry_run: bool = False, now: datetime | None = None) -> list[Outcome]:
    """Apply every policy: delete (or, dry run, count) the rows past their retention."""
    now = now or timezone.now()
    batch_size = max(int(settings.RETENTION_BATCH_SIZE), 1)
    outcomes = []
    for policy in POLICIES:
        table = policy.model._meta.db_table
        days = policy.days
        count = 0
        if days > 0:
            rows = policy.select(now - timedelta(days=days))
            count = rows.count() if dry_run else _delete_in_batches(rows, batch_size)
        outcomes.append(Outcome(policy.label, table, days, count))
    return outcomes


def references() -> dict[str, list[str]]:
    """Every foreign key pointing at a table retention deletes from: `model -> [field (on_delete)]`."""
    found = {}
    for model in dict.fromkeys(policy.model for policy in POLICIES):
        found[model._meta.label] = sorted(
            f"{rel.related_model._meta.label}.{rel.field.name} ({rel.on_delete.__name__})"
            for rel in model._meta.related_objects
        )
    return found


def retention_task() -> str:
    """The daily `housekeeping:retention` schedule: apply the retention settings, one line per kind."""
    outcomes = run_retention()
    for outcome in outcomes:
        if outcome.count:
            logger.info("retention: %s", outcome.line(dry_run=False))
    return "; ".join(outcome.line(dry_run=False) for outcome in outcomes)
