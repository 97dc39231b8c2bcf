"""django-q2 tasks of automation. Thin: the runner does the work."""

from __future__ import annotations

from .runner import run_due


def run_due_task() -> str:
    """Every minute, and after a sync page queued tasks: run the due ones."""
    done = run_due(limit=500)
    return f"ran {len(done)} automation task(s)"
