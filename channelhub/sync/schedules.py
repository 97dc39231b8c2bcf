"""Schedules declared in code and upserted by name (`manage.py setup_schedules`).

One django-q2 Schedule per stream, named `sync:<stream>`, running every
`stream.schedule_minutes`. Overlap is guarded by the stream's own lock: a tick that lands
while the previous run is still going exits at once.
"""

from __future__ import annotations

from django.utils import timezone
from django_q.models import Schedule

from . import registry

PREFIX = "sync:"

# Schedules that are not streams: (name, func, minutes, in words).
FIXED = [
    # Every minute: send actions whose retry time has come, and any whose enqueue was lost.
    ("outbox:send-due", "channelhub.actions.tasks.send_due_actions_task", 1),
]


def setup_schedules() -> list[tuple[str, str]]:
    """Create or update every stream's schedule; remove schedules of streams that are gone.

    Returns (name, "created" | "updated" | "unchanged" | "removed") pairs.
    """
    result = []
    wanted = set()
    for stream in registry.all_streams().values():
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
    managed = Schedule.objects.filter(name__startswith=PREFIX) | Schedule.objects.filter(
        name__startswith="outbox:"
    )
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
    changed = [k for k, v in defaults.items() if getattr(existing, k) != v]
    if not changed:
        return "unchanged"
    for k in changed:
        setattr(existing, k, defaults[k])
    existing.save(update_fields=changed)
    return "updated"
