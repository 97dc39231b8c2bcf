"""django-q2 tasks of automation. Thin: the runner does the work."""

from __future__ import annotations

from .runner import run_due


def run_due_task(processor: str | None = None) -> str:
    """Every minute, after a sync page queued tasks, and on "run now" (one processor's): run
    the due ones."""
    done = run_due(limit=500, processor=processor)
    return f"ran {len(done)} automation task(s)"
