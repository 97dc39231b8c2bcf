"""Schedules declared in code and upserted by name (`manage.py setup_schedules`).

One django-q2 Schedule per declared stream, named `sync:<stream>`, running every
`stream.schedule_minutes`; and one dispatcher, `sync:dispatch`, every minute, which hands the
*provided* streams (made from rows at run time) that are due to the worker
(`channelhub.sync.dispatch`). Overlap is guarded by the stream's own lock: a tick that lands
while the previous run is still going exits at once (and the dispatcher does not even hand a
running or already queued stream over).

Schedules are code: their function and arguments come from here and nowhere else (the
allow-list and its guards are in `channelhub.taskguard`). What a supervisor may do to a
schedule is its own audited service: pause it, resume it, run it now (`run_sync`).
A paused schedule is django-q's own "never": `repeats = 0`; `setup_schedules` keeps it paused.
The same three for a stream (`stream_pause`, `stream_resume`, `stream_run_now`, the stream
states admin) act on a declared stream's schedule, and on a provided stream's `StreamState`.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule

from channelhub.models import StreamState
from channelhub.services import ServiceError, require_perm
from channelhub.taskguard import parse_literal

from . import registry
from .dispatch import enqueue
from .lock import ensure_state

PREFIX = "sync:"

DISPATCH = f"{PREFIX}dispatch"  # no stream is called "dispatch": a stream's name has a dot
RETENTION = "housekeeping:retention"

# Schedules that are not one stream's: (name, func, minutes).
FIXED = [
    # Every minute: send actions whose retry time has come, and any whose enqueue was lost.
    ("outbox:send-due", "channelhub.actions.tasks.send_due_actions_task", 1),
    # Every minute: hand the provided streams that are due (each by its own interval) to a worker.
    (DISPATCH, "channelhub.sync.tasks.dispatch_due_streams_task", 1),
    # Every minute: processors' due tasks (rescheduled ones, retries, any whose enqueue was lost).
    ("automation:run-due", "channelhub.automation.tasks.run_due_task", 1),
    # Daily: delete what the retention settings no longer keep (channelhub.retention).
    (RETENTION, "channelhub.retention.retention_task", 24 * 60),
]

# Prefixes of the schedules this module owns: `setup_schedules` removes a stale one, and a
# supervisor may pause, resume and run one now.
OWN_PREFIXES = (PREFIX, "outbox:", "housekeeping:")


def wanted_names() -> list[str]:
    """The name of every schedule `setup_schedules` makes: what /readyz expects to find."""
    return [f"{PREFIX}{name}" for name in registry.declared_streams()] + [name for name, _, _ in FIXED]


def setup_schedules() -> list[tuple[str, str]]:
    """Create or update every declared stream's schedule and the fixed ones (the outbox sweep,
    the dispatcher, the automation runner, the daily retention); remove schedules of streams that are gone.

    Returns (name, "created" | "updated" | "unchanged" | "removed") pairs.
    """
    result = []
    wanted = set()
    for stream in registry.declared_streams().values():
        name = f"{PREFIX}{stream.name}"
        wanted.add(name)
        defaults = {
            "func": "channelhub.sync.tasks.sync_stream_task",
            "args": repr(stream.name),
            "schedule_type": Schedule.MINUTES,
            "minutes": stream.schedule_minutes,
            "repeats": -1,
        }
        result.append((name, _upsert(name, defaults)))
    for name, func, minutes in FIXED:
        wanted.add(name)
        defaults = {
            "func": func,
            "args": None,
            "schedule_type": Schedule.MINUTES,
            "minutes": minutes,
            "repeats": -1,
        }
        result.append((name, _upsert(name, defaults)))
    managed = Schedule.objects.none()
    for prefix in OWN_PREFIXES:
        managed |= Schedule.objects.filter(name__startswith=prefix)
    for stale in managed.exclude(name__in=wanted):
        stale.delete()
        result.append((stale.name, "removed"))
    return result


def _upsert(name: str, defaults: dict) -> str:
    existing = Schedule.objects.filter(name=name).first()
    if existing is None:
        # First run right away, so a fresh install fills its mirror within a minute.
        Schedule.objects.create(name=name, next_run=timezone.now(), **defaults)
        return "created"
    if existing.repeats == 0:
        defaults = {**defaults, "repeats": 0}  # paused by a supervisor: stays paused
    changed = [k for k, v in defaults.items() if getattr(existing, k) != v]
    if not changed:
        return "unchanged"
    for k in changed:
        setattr(existing, k, defaults[k])
    existing.save(update_fields=changed)
    return "updated"


# --- what a supervisor may do to a schedule (audited) ---------------------------------------


def is_paused(schedule: Schedule) -> bool:
    """A paused schedule is django-q's "never": `repeats = 0`."""
    return schedule.repeats == 0


def _managed(schedule: Schedule) -> None:
    if not (schedule.name or "").startswith(OWN_PREFIXES):
        raise ServiceError(f"Schedule {schedule.name or schedule.pk!r} is not one of channelhub's own.")


def _audit(actor, action: str, schedule: Schedule, message: str) -> None:
    from channelhub.actions.services import audit  # noqa: PLC0415 - the outbox imports the sync models

    audit(actor=actor, action=action, target_type="schedule", target_id=schedule.name, message=message)


def schedule_pause(*, schedule: Schedule, actor, reason: str = "") -> Schedule:
    """Stop a schedule from starting runs until it is resumed. A run already going finishes."""
    require_perm(actor, "channelhub.run_sync", "pause schedules")
    _managed(schedule)
    with transaction.atomic():
        schedule = Schedule.objects.select_for_update().get(pk=schedule.pk)
        if is_paused(schedule):
            raise ServiceError(f"{schedule.name} is already paused.")
        schedule.repeats = 0
        schedule.save(update_fields=["repeats"])
        _audit(actor, "schedule.paused", schedule, reason)
    return schedule


def schedule_resume(*, schedule: Schedule, actor) -> Schedule:
    """Start a paused schedule again; its next run is now."""
    require_perm(actor, "channelhub.run_sync", "resume schedules")
    _managed(schedule)
    with transaction.atomic():
        schedule = Schedule.objects.select_for_update().get(pk=schedule.pk)
        if not is_paused(schedule):
            raise ServiceError(f"{schedule.name} is not paused.")
        schedule.repeats = -1
        schedule.next_run = timezone.now()
        schedule.save(update_fields=["repeats", "next_run"])
        _audit(actor, "schedule.resumed", schedule, "")
    return schedule


def schedule_run_now(*, schedule: Schedule, actor) -> str:
    """Hand the schedule's task to a worker now (a sync run goes through the stream's lock)."""
    from django_q.tasks import async_task  # noqa: PLC0415 - django-q's tasks need the app registry ready

    require_perm(actor, "channelhub.run_sync", "start runs")
    _managed(schedule)
    args = parse_literal(schedule.args, "arguments") if schedule.args else ()
    if not isinstance(args, tuple):
        args = (args,)
    try:
        task_id = async_task(schedule.func, *args, group=schedule.name)
    except Exception as exc:  # the broker is down: say so, the schedule itself is untouched
        raise ServiceError(
            f"Could not hand {schedule.name} to the worker: {exc}", code="unavailable"
        ) from exc
    with transaction.atomic():
        _audit(actor, "schedule.run_now", schedule, f"task {task_id}")
    return task_id


# --- the same for a stream: its own schedule if declared, its StreamState if provided -------


def _schedule_of(name: str) -> Schedule | None:
    """A declared stream's schedule; None for a provided stream. ServiceError if no stream."""
    if name in registry.declared_streams():
        schedule = Schedule.objects.filter(name=f"{PREFIX}{name}").first()
        if schedule is None:
            raise ServiceError(f"{name} has no schedule yet: run `manage.py setup_schedules`.")
        return schedule
    try:
        registry.get(name)
    except registry.UnknownStream as exc:
        raise ServiceError(str(exc)) from None
    return None


def _audit_stream(actor, action: str, name: str, message: str) -> None:
    from channelhub.actions.services import audit  # noqa: PLC0415 - the outbox imports the sync models

    audit(actor=actor, action=action, target_type="stream", target_id=name, message=message)


def _locked_state(name: str) -> StreamState:
    ensure_state(name)
    return StreamState.objects.select_for_update().get(stream=name)


def stream_pause(*, stream: str, actor, reason: str = "") -> None:
    """Stop a stream from being run on schedule until it is resumed (a run going finishes)."""
    require_perm(actor, "channelhub.run_sync", "pause streams")
    schedule = _schedule_of(stream)
    if schedule is not None:
        schedule_pause(schedule=schedule, actor=actor, reason=reason)
        return
    with transaction.atomic():
        state = _locked_state(stream)
        if state.paused_at:
            raise ServiceError(f"{stream} is already paused.")
        state.paused_at = timezone.now()
        state.save(update_fields=["paused_at"])
        _audit_stream(actor, "stream.paused", stream, reason)


def stream_resume(*, stream: str, actor) -> None:
    """Let a paused stream run on schedule again (a provided one: due by its interval since its
    last run, so at once after a long pause)."""
    require_perm(actor, "channelhub.run_sync", "resume streams")
    schedule = _schedule_of(stream)
    if schedule is not None:
        schedule_resume(schedule=schedule, actor=actor)
        return
    with transaction.atomic():
        state = _locked_state(stream)
        if not state.paused_at:
            raise ServiceError(f"{stream} is not paused.")
        state.paused_at = None
        state.save(update_fields=["paused_at"])
        _audit_stream(actor, "stream.resumed", stream, "")


def stream_run_now(*, stream: str, actor) -> str:
    """Hand the stream's sync to a worker now (the run still takes the stream's lock)."""
    require_perm(actor, "channelhub.run_sync", "start runs")
    schedule = _schedule_of(stream)
    if schedule is not None:
        return schedule_run_now(schedule=schedule, actor=actor)
    ensure_state(stream)
    now = timezone.now()
    StreamState.objects.filter(stream=stream).update(queued_at=now)  # the dispatcher leaves it be
    try:
        task_id = enqueue(stream)
    except Exception as exc:  # the broker is down: say so
        StreamState.objects.filter(stream=stream, queued_at=now).update(queued_at=None)
        raise ServiceError(f"Could not hand {stream} to the worker: {exc}", code="unavailable") from exc
    with transaction.atomic():
        _audit_stream(actor, "stream.run_now", stream, f"task {task_id}")
    return task_id
