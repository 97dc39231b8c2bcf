"""Reads of automation for pages, the dashboard and the shell (each a bounded query)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from channelhub.models.automation import AutomationTask, Takeover, TaskStatus

RECENT_DECISIONS = 10


def decisions_of(*, target_type: str, target_id: str, limit: int = RECENT_DECISIONS) -> list[AutomationTask]:
    """The object's latest automation tasks, newest first (which processor decided what, why)."""
    return list(
        AutomationTask.objects.filter(target_type=target_type, target_id=target_id)
        .select_related("action")
        .order_by("-created_at", "-id")[:limit]
    )


def takeover_of(*, target_type: str, target_id: str) -> Takeover | None:
    """Who holds the object out of automation, if anyone."""
    return Takeover.objects.filter(target_type=target_type, target_id=target_id).first()


def dry_run_summary(*, processor: str) -> dict[str, int]:
    """{decision: count} of the processor's dry-run decisions ("approve 14, inquire 3, fail 1")."""
    rows = (
        AutomationTask.objects.filter(processor=processor, status=TaskStatus.DRY_RUN)
        .values_list("decision")
        .annotate(n=Count("id"))
        .order_by()
    )
    return dict(sorted(rows, key=lambda pair: -pair[1]))


def summary_in_words(counts: dict[str, int]) -> str:
    """'approve 14, inquire 3, fail 1' (or 'nothing yet')."""
    return ", ".join(f"{kind.replace('_', ' ')} {n}" for kind, n in counts.items()) or "nothing yet"


def failed_decisions(*, limit: int = 10, hours: int = 24) -> list[AutomationTask]:
    """The latest failed and refused tasks of the last `hours` (the dashboard's list)."""
    since = timezone.now() - timedelta(hours=hours)
    return list(
        AutomationTask.objects.filter(
            status__in=(TaskStatus.FAILED, TaskStatus.REFUSED), finished_at__gte=since
        ).order_by("-finished_at")[:limit]
    )


def backlog() -> dict[str, int]:
    """Open tasks by status (due, running, rescheduled), bounded by the index."""
    rows = (
        AutomationTask.objects.filter(status__in=TaskStatus.OPEN_STATES)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return dict(rows)
