"""Services of the outbox: recording an action (called by domain services), retrying and
cancelling failed ones (supervisors). Each writes its audit event in the same transaction."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from channelhub.models import ActionStatus, AuditEvent, UpstreamAction
from channelhub.services import ServiceError, require_perm

from . import selectors
from .context import decided_by
from .targets import lock_target

logger = logging.getLogger(__name__)


def new_correlation_id() -> str:
    """A fresh random id tying an action to its audit events and logs."""
    return uuid.uuid4().hex


def audit(
    *,
    actor,
    action: str,
    target_type: str,
    target_id: str,
    upstream_action: UpstreamAction | None = None,
    correlation_id: str = "",
    message: str = "",
    before=None,
    after=None,
) -> AuditEvent:
    """Append one audit event (Zulip's RealmAuditLog habit: every write leaves one)."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=getattr(actor, "get_username", lambda: "")() if actor is not None else "",
        action=action,
        target_type=target_type,
        target_id=target_id,
        upstream_action=upstream_action,
        correlation_id=correlation_id or (upstream_action.correlation_id if upstream_action else ""),
        message=message,
        before=before,
        after=after,
    )


def open_action_for(target_type: str, target_id: str) -> UpstreamAction | None:
    """The target's open action (`channelhub.actions.selectors.open_action`)."""
    return selectors.open_action(target_type=target_type, target_id=target_id)


def _busy_message(existing: UpstreamAction | None, target_id: str) -> str:
    if existing is None:
        return f"Another action on {target_id} is still being sent; wait for it to finish."
    who = existing.actor.get_username() if existing.actor else "someone"
    return (
        f"{existing.verb.capitalize()} of {target_id}, asked by {who} at "
        f"{timezone.localtime(existing.created_at):%H:%M:%S}, is still {existing.get_status_display().lower()}; "
        "wait for it to finish."
    )


def action_record(
    *,
    kind: str,
    target_type: str,
    target_id: str,
    check: Callable[[models.Model | None], None],
    payload: dict,
    actor,
    before: dict | Callable[[models.Model], dict] | None,
    message: str = "",
) -> UpstreamAction:
    """Queue one upstream action and audit it, in the caller's transaction; send after commit.

    The target's mirrored row is locked and read afresh (`lock_target`) and `check(row)`, the
    caller's transition check, runs again on it: the caller's own read may be stale by now
    (the sender may just have written a result and closed an action), and until this
    transaction ends the sender cannot write one. `check` raises ServiceError to refuse;
    `before` may be a function of that row. Refuses (ServiceError, code "busy") while another
    action on the same target is open: the partial unique constraint makes that true even
    when two people click at the same instant.
    """
    with transaction.atomic():
        row = lock_target(target_type, target_id)
        check(row)
        existing = open_action_for(target_type, target_id)
        if existing is not None:
            raise ServiceError(_busy_message(existing, target_id), code="busy")
        correlation_id = new_correlation_id()
        try:
            with transaction.atomic():
                action = UpstreamAction.objects.create(
                    kind=kind,
                    target_type=target_type,
                    target_id=target_id,
                    payload=payload,
                    actor=actor,
                    correlation_id=correlation_id,
                )
        except IntegrityError:
            raise ServiceError(
                _busy_message(open_action_for(target_type, target_id), target_id), code="busy"
            ) from None
        audit(
            actor=actor,
            action=f"{kind}.queued",
            target_type=target_type,
            target_id=target_id,
            upstream_action=action,
            message=decided_by(message),
            before=before(row) if callable(before) else before,
        )
    logger.info("queued %s on %s (action %s, correlation %s)", kind, target_id, action.pk, correlation_id)
    transaction.on_commit(lambda: enqueue(action.pk))
    return action


def enqueue(action_id: int) -> None:
    """Hand the action to a worker now; the every-minute sweep catches anything missed."""
    from django_q.tasks import async_task  # noqa: PLC0415 - django-q's tasks need the app registry ready

    try:
        async_task("channelhub.actions.tasks.send_action_task", action_id, task_name=f"action-{action_id}")
    except Exception:  # the broker being down must not lose the action: the sweep sends it
        logger.exception("could not enqueue action %s; the periodic sweep will send it", action_id)


def action_retry(*, action: UpstreamAction, actor) -> UpstreamAction:
    """Send a failed action again (supervisors)."""
    require_perm(actor, "channelhub.retry_upstreamaction", "retry failed actions")
    with transaction.atomic():
        # The target first, then the action: the sender's order, so the two never deadlock.
        lock_target(action.target_type, action.target_id)
        action = UpstreamAction.objects.select_for_update().get(pk=action.pk)
        if action.status != ActionStatus.FAILED:
            raise ServiceError(
                f"Only a failed action can be retried; this one is {action.get_status_display().lower()}."
            )
        existing = open_action_for(action.target_type, action.target_id)
        if existing is not None:
            raise ServiceError(_busy_message(existing, action.target_id), code="busy")
        action.status = ActionStatus.QUEUED
        action.next_attempt_at = timezone.now()
        action.finished_at = None
        action.save(update_fields=["status", "next_attempt_at", "finished_at", "updated_at"])
        audit(
            actor=actor,
            action=f"{action.kind}.retried",
            target_type=action.target_type,
            target_id=action.target_id,
            upstream_action=action,
            message=f"Retry after: {action.last_error}",
        )
        transaction.on_commit(lambda: enqueue(action.pk))
    return action


def action_cancel(*, action: UpstreamAction, actor, reason: str = "") -> UpstreamAction:
    """Give up on a queued or failed action (supervisors). One already sending cannot be stopped."""
    require_perm(actor, "channelhub.cancel_upstreamaction", "cancel actions")
    with transaction.atomic():
        action = UpstreamAction.objects.select_for_update().get(pk=action.pk)
        if action.status not in (ActionStatus.QUEUED, ActionStatus.FAILED):
            raise ServiceError(
                f"Only a queued or failed action can be cancelled; this one is {action.get_status_display().lower()}."
            )
        updated = UpstreamAction.objects.filter(pk=action.pk, status=action.status).update(
            status=ActionStatus.CANCELLED, finished_at=timezone.now()
        )
        if not updated:
            raise ServiceError("The action changed while you were cancelling it; look at it again.")
        action.refresh_from_db()
        audit(
            actor=actor,
            action=f"{action.kind}.cancelled",
            target_type=action.target_type,
            target_id=action.target_id,
            upstream_action=action,
            message=reason,
        )
    return action
