"""The dashboard's automation widget: failed decisions, the backlog, dry runs waiting for review."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from channelhub.automation.selectors import failed_decisions
from channelhub.models.automation import AutomationTask, TaskStatus

from .kit import Figure, Widget, bounded_counts, changelist_url, duration_words

LISTED = 5
FAILED_WITHIN = timedelta(hours=24)
#: A due task this long past its time means no worker runs automation (it runs every minute).
OVERDUE_AFTER = timedelta(minutes=5)
_TASKS = "admin:channelhub_automationtask_changelist"


class AutomationWidget(Widget):
    """What processors could not do, what waits for them, and what a dry run would have done."""

    key = "automation"
    title = "Automation"
    perm = "channelhub.view_automationtask"
    template = "admin/channelhub/dashboard/automation.html"

    def context(self, user) -> dict:
        """Two queries: one statement of bounded counts, and the latest failures."""
        now = timezone.now().replace(microsecond=0)  # links carry whole seconds: the same rows
        since, late = now - FAILED_WITHIN, now - OVERDUE_AFTER
        tasks = AutomationTask.objects.all()
        waiting = (TaskStatus.DUE, TaskStatus.RESCHEDULED)
        figures = {
            "failed": (
                tasks.filter(status=TaskStatus.FAILED, finished_at__gte=since),
                changelist_url(_TASKS, status__exact=TaskStatus.FAILED, finished_at__gte=since),
            ),
            "refused": (
                tasks.filter(status=TaskStatus.REFUSED, finished_at__gte=since),
                changelist_url(_TASKS, status__exact=TaskStatus.REFUSED, finished_at__gte=since),
            ),
            "waiting": (
                tasks.filter(status__in=waiting),
                changelist_url(_TASKS, status__in=",".join(waiting)),
            ),
            "overdue": (
                tasks.filter(status=TaskStatus.DUE, next_run_at__lt=late),
                changelist_url(_TASKS, status__exact=TaskStatus.DUE, next_run_at__lt=late),
            ),
            "dry_run": (
                tasks.filter(status=TaskStatus.DRY_RUN),
                changelist_url(_TASKS, status__exact=TaskStatus.DRY_RUN),
            ),
        }
        counts = bounded_counts({key: qs for key, (qs, _) in figures.items()})
        return {
            "figures": {key: Figure(counts[key], url) for key, (_, url) in figures.items()},
            "failed": [
                {"task": task, "last_line": _last_line(task), "ago": duration_words(now - task.finished_at)}
                for task in failed_decisions(limit=LISTED, hours=int(FAILED_WITHIN.total_seconds() // 3600))
            ],
            "overdue_after": duration_words(OVERDUE_AFTER),
            "processors_url": changelist_url("admin:channelhub_processorsetting_changelist"),
        }


def _last_line(task: AutomationTask) -> str:
    """What went wrong, in one line: the reason, or the exception's last line."""
    if task.reason:
        return task.reason
    lines = task.error.strip().splitlines()
    return lines[-1] if lines else "—"
