"""django-q2 tasks of the sync engine. Thin: they take a stream name and call the engine."""

from __future__ import annotations

import logging

from channelhub.models import StreamState, SyncRunStatus, SyncTrigger

from .dispatch import dispatch_due
from .engine import run_stream

logger = logging.getLogger(__name__)


def sync_stream_task(name: str) -> str:
    """Scheduled entry point. Returns a one-line summary that django-q2 stores on the task."""
    # Out of the broker now: the dispatcher may hand the stream over again once it is due.
    StreamState.objects.filter(stream=name, queued_at__isnull=False).update(queued_at=None)
    run = run_stream(name, trigger=SyncTrigger.SCHEDULE)
    summary = (
        f"{name}: {run.status} pages={run.pages} created={run.created} "
        f"updated={run.updated} unchanged={run.unchanged}"
    )
    if run.status == SyncRunStatus.FAILED:
        logger.warning("%s error=%s", summary, run.error)
        summary += f" error={run.error}"
    elif run.status == SyncRunStatus.SKIPPED:
        summary += f" ({run.error})"  # who holds the lock, until when
    return summary


def dispatch_due_streams_task() -> str:
    """Every minute (`sync:dispatch`): hand the provided streams that are due to the worker."""
    return dispatch_due().summary()
