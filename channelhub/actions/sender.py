"""Sending queued actions upstream: claim, send (or confirm already applied), finish.

Exactly-once on top of an upstream without idempotency keys: a worker claims an action with
a conditional UPDATE (queued -> sending), so only one worker sends it; an attempt that may
have reached the upstream (timeout, reset) marks the action `maybe_applied`, and the next
attempt first reads the target and treats "already in the target state" as success.
Retryable failures back off and stay queued; rejections (4xx) fail with the upstream's
reason; after ACTION_MAX_ATTEMPTS retryable failures the action fails too and waits for a
supervisor's retry.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from channelhub.automation import triggers
from channelhub.models import ActionStatus, UpstreamAction
from channelhub.observability.logs import log_context
from channelhub.upstream.errors import UpstreamError, UpstreamRejected

from . import registry
from .services import audit
from .targets import lock_target

logger = logging.getLogger(__name__)


def backoff(attempt: int) -> timedelta:
    """The wait before retry `attempt`: ACTION_RETRY_BACKOFF doubled each time, at most an hour, jittered."""
    base = settings.ACTION_RETRY_BACKOFF * (2 ** max(attempt - 1, 0))
    return timedelta(seconds=min(base, 3600) * random.uniform(0.5, 1.0))  # noqa: S311 - jitter


def claim(action_id: int) -> UpstreamAction | None:
    """queued -> sending, if due and nobody else claimed it. None when there is nothing to do."""
    now = timezone.now()
    claimed = UpstreamAction.objects.filter(
        pk=action_id, status=ActionStatus.QUEUED, next_attempt_at__lte=now
    ).update(status=ActionStatus.SENDING, attempts=F("attempts") + 1, sending_since=now, updated_at=now)
    if not claimed:
        return None
    return UpstreamAction.objects.select_related("actor").get(pk=action_id)


def send_action(action_id: int) -> UpstreamAction | None:
    """Send one action if it is due. Returns the action as it ended, or None if not ours to send."""
    action = claim(action_id)
    if action is None:
        return None
    with log_context(action=action.pk):  # every line of the attempt carries the action's id
        return _send(action)


def _send(action: UpstreamAction) -> UpstreamAction:
    """One attempt at a claimed action: sent (or found applied), failed or queued again."""
    executor = registry.get(action.kind)
    try:
        client = executor.client()
        obj = None
        note = ""
        if action.maybe_applied:
            current = executor.current(action, client)
            if executor.is_applied(action, current):
                obj, note = current, "already applied upstream by an earlier attempt"
        if obj is None:
            obj = executor.send(action, client)
    except UpstreamRejected as exc:
        current = _read_current(action, executor, client)
        return _fail(action, exc, str(exc), executor=executor, current=current)
    except UpstreamError as exc:
        return _retry_later(action, exc)
    except Exception as exc:
        logger.exception("action %s (%s on %s) crashed", action.pk, action.kind, action.target_id)
        return _fail(action, None, f"{exc.__class__.__name__}: {exc}")
    return _succeed(action, executor, obj, note)


def _read_current(action, executor, client) -> dict | None:
    """After a rejection the mirror is usually what was stale (someone acted elsewhere):
    re-read the object so staff see its real state next to the upstream's reason."""
    try:
        return executor.current(action, client) or None
    except Exception:  # best effort: the rejection itself is what must be recorded
        logger.warning("could not re-read %s after a rejection", action.target_id, exc_info=True)
        return None


def _changed(action) -> None:
    """The action's answer changed the mirrored row: processors subscribed to it are asked
    again (the next sync finds the row unchanged, so it would not tell them)."""
    triggers.note_changes(apps.get_model(action.target_type), [action.target_id])


def _succeed(action, executor, obj, note):
    now = timezone.now()
    with transaction.atomic():
        # Under the target's lock, as services check and queue (actions.targets): a service
        # sees either this action open or the mirror with its result, never neither.
        lock_target(action.target_type, action.target_id)
        executor.write_mirror(obj)
        _changed(action)
        action.status = ActionStatus.SUCCEEDED
        action.response = obj
        action.finished_at = now
        action.last_error = ""
        action.error_code = ""
        action.error_detail = {}
        action.save(
            update_fields=[
                "status",
                "response",
                "finished_at",
                "last_error",
                "error_code",
                "error_detail",
                "updated_at",
            ]
        )
        audit(
            actor=action.actor,
            action=f"{action.kind}.succeeded",
            target_type=action.target_type,
            target_id=action.target_id,
            upstream_action=action,
            message=note,
            after=executor.snapshot(obj),
        )
    logger.info(
        "action %s %s on %s succeeded (attempt %s)", action.pk, action.kind, action.target_id, action.attempts
    )
    return action


def _fail(
    action, exc: UpstreamError | None, message: str, *, gave_up: bool = False, executor=None, current=None
):
    """Close the action as failed. `current`, the object re-read upstream after a rejection,
    goes into the mirror in the same transaction, under the target's lock like _succeed."""
    with transaction.atomic():
        lock_target(action.target_type, action.target_id)
        if current:
            try:
                with transaction.atomic():
                    executor.write_mirror(current)
                _changed(action)
            except Exception:  # best effort: the rejection itself is what must be recorded
                logger.warning("could not refresh %s after a rejection", action.target_id, exc_info=True)
        action.status = ActionStatus.FAILED
        action.finished_at = timezone.now()
        if exc is not None and exc.errors and not gave_up:
            action.last_error = "; ".join(exc.errors)  # a rejection: the upstream's own words
        else:
            action.last_error = message
        action.error_code = exc.code if exc is not None else ""
        action.error_detail = exc.as_detail() if exc is not None else {"message": message}
        action.save(
            update_fields=["status", "finished_at", "last_error", "error_code", "error_detail", "updated_at"]
        )
        audit(
            actor=action.actor,
            action=f"{action.kind}.failed",
            target_type=action.target_type,
            target_id=action.target_id,
            upstream_action=action,
            message=action.last_error,
        )
    logger.warning("action %s %s on %s failed: %s", action.pk, action.kind, action.target_id, message)
    return action


def _retry_later(action, exc: UpstreamError):
    if action.attempts >= settings.ACTION_MAX_ATTEMPTS:
        return _fail(action, exc, f"gave up after {action.attempts} attempts: {exc}", gave_up=True)
    action.status = ActionStatus.QUEUED
    action.maybe_applied = action.maybe_applied or exc.maybe_applied
    action.next_attempt_at = timezone.now() + backoff(action.attempts)
    action.last_error = str(exc)
    action.error_code = exc.code
    action.error_detail = exc.as_detail()
    action.save(
        update_fields=[
            "status", "maybe_applied", "next_attempt_at", "last_error", "error_code", "error_detail", "updated_at",
        ]
    )  # fmt: skip
    logger.warning(
        "action %s %s on %s: attempt %s failed (%s); next at %s",
        action.pk,
        action.kind,
        action.target_id,
        action.attempts,
        exc,
        action.next_attempt_at,
    )
    return action


def requeue_stuck() -> int:
    """Actions left 'sending' by a worker that died: queue them again, as maybe applied."""
    limit = timezone.now() - timedelta(seconds=settings.ACTION_SENDING_TIMEOUT)
    return UpstreamAction.objects.filter(status=ActionStatus.SENDING, sending_since__lt=limit).update(
        status=ActionStatus.QUEUED, maybe_applied=True, next_attempt_at=timezone.now()
    )


def send_due(*, limit: int = 500) -> list[UpstreamAction]:
    """Send every due queued action once (oldest first). Used by the sweep and the command."""
    requeue_stuck()
    due = list(
        UpstreamAction.objects.filter(status=ActionStatus.QUEUED, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    done = []
    for pk in due:
        result = send_action(pk)
        if result is not None:
            done.append(result)
    return done
