"""django-q2 tasks of the outbox. Thin: ids in, sender calls out."""

from __future__ import annotations

from .sender import send_action, send_due


def send_action_task(action_id: int) -> str:
    """Send one queued action (enqueued when it is recorded); the result says how it ended."""
    action = send_action(action_id)
    return (
        "not due or already taken" if action is None else f"{action.kind} {action.target_id}: {action.status}"
    )


def send_due_actions_task() -> str:
    """Every minute: retries whose time has come, and actions whose enqueue was lost."""
    done = send_due()
    return f"sent {len(done)} action(s)"
