"""The dispatcher: one schedule (`sync:dispatch`, every minute) that hands the provided streams
that are due to the worker.

Provided streams come and go with rows (one per configured source), between deploys, so they
cannot each have a schedule made by `setup_schedules`; the declared streams keep theirs
(docs/operations.md, "Schedules"). A provided stream is **due** when no run of it started
(by a schedule, a command or the admin; backfills and skipped runs do not count) within its
own `schedule_minutes`: a failing stream is tried again at its interval, not every minute.
It is not due when:

- a supervisor paused it (`StreamState.paused_at`; resumed, it is due by its interval again),
- a run holds its lock (a live holder: a dead local one is taken over by the next run),
- its task is already in the broker and has not started (`StreamState.queued_at`, cleared by
  the task as it starts; one older than `QUEUED_FOR` is taken as lost, as the Redis broker
  loses a task cut short),
- its upstream is not configured (no skipped run every minute).

Claiming a stream is a conditional UPDATE of `queued_at`, so two dispatchers ticking at once
(two clusters) hand it over once. The run itself still takes the stream's lock, as every run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from channelhub.models import StreamState, SyncRun, SyncRunStatus, SyncTrigger

from . import lock, registry

logger = logging.getLogger(__name__)

SYNC_TASK = "channelhub.sync.tasks.sync_stream_task"
QUEUED_FOR = timedelta(minutes=30)  # a task in the broker longer than this is taken as lost
SLACK = timedelta(seconds=30)  # the dispatcher ticks every minute: a stream due in 20 s is due now
_COUNTED = (SyncTrigger.SCHEDULE, SyncTrigger.COMMAND, SyncTrigger.MANUAL)


@dataclass
class Dispatch:
    """What one tick did: streams handed over, streams left and why, errors."""

    enqueued: list[str] = field(default_factory=list)
    waiting: dict[str, str] = field(default_factory=dict)  # name -> why not now
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for django-q's task result."""
        line = (
            f"enqueued {len(self.enqueued)}: {', '.join(self.enqueued) or '-'}; waiting {len(self.waiting)}"
        )
        if self.errors:
            line += f"; errors: {'; '.join(self.errors)}"
        return line


def _states(names: list[str]) -> dict[str, StreamState]:
    """The streams' states (made if missing, so they show in the admin before a first run), each
    with `last_start`: when its last counted run started."""
    StreamState.objects.bulk_create([StreamState(stream=n) for n in names], ignore_conflicts=True)
    last = (
        SyncRun.objects.filter(stream=OuterRef("stream"), trigger__in=_COUNTED)
        .exclude(status=SyncRunStatus.SKIPPED)
        .order_by("-started_at")
        .values("started_at")[:1]
    )
    states = StreamState.objects.filter(stream__in=names).annotate(last_start=Subquery(last))
    return {state.stream: state for state in states}


def why_not_due(stream, state: StreamState, now: datetime) -> str | None:
    """Why `stream` is not to be handed over now, or None when it is due."""
    if state.paused_at:
        return "paused"
    if (
        state.locked_by
        and state.locked_until
        and state.locked_until > now
        and not lock.is_dead_local(state.locked_by)
    ):
        return "running"
    if state.queued_at and state.queued_at > now - QUEUED_FOR:
        return "queued"
    if not stream.is_configured():
        return "not configured"
    if state.last_start and state.last_start > now - timedelta(minutes=stream.schedule_minutes) + SLACK:
        return "not due"
    return None


def mark_queued(name: str, *, was: datetime | None, now: datetime) -> bool:
    """Claim the stream for one hand-over: True if this caller set `queued_at` (from `was`)."""
    return StreamState.objects.filter(stream=name, queued_at=was).update(queued_at=now) == 1


def enqueue(name: str, *, group: str | None = None) -> str:
    """Hand a stream's sync task to the broker; returns the task id."""
    from django_q.tasks import async_task  # noqa: PLC0415 - django-q's tasks need the app registry ready

    return async_task(SYNC_TASK, name, group=group or f"sync:{name}")


def dispatch_due(now: datetime | None = None) -> Dispatch:
    """Hand every provided stream that is due to the worker, once."""
    now = now or timezone.now()
    found = registry.provided()
    result = Dispatch(errors=list(found.errors))
    states = _states(list(found.streams))
    for name, stream in found.streams.items():
        state = states[name]
        why = why_not_due(stream, state, now)
        if why is None and not mark_queued(name, was=state.queued_at, now=now):
            why = "queued"  # another dispatcher took it a moment ago
        if why:
            result.waiting[name] = why
            continue
        try:
            enqueue(name)
        except Exception as exc:  # the broker is down: the stream stays due for the next tick
            StreamState.objects.filter(stream=name, queued_at=now).update(queued_at=state.queued_at)
            logger.exception("dispatch: could not hand %s to the worker", name)
            result.errors.append(f"{name}: could not hand it to the worker: {exc}")
            continue
        result.enqueued.append(name)
    for error in result.errors:
        logger.error("dispatch: %s", error)
    return result
