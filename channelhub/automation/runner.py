"""Running processors: a due task claimed, its object read afresh, the handler called under a
time limit, and its decision recorded and, unless in dry run, made an outbox action.

Before the handler runs (the extension runner's habit) the object is read again and the task
dropped when it no longer needs one: gone from the mirror, taken over by a person, no longer in
a subscribed status, the processor switched off. While a person's action on it is open the task
waits. A decision becomes the app's own staff service as the system actor, inside
`deciding(...)` so the outbox's audit event names the processor and its version; the task and
its action commit together. An exception or a time-out is retried with backoff (30 s, 60 s,
120 s), then the task is failed with the traceback (cut), on the object's page and the dashboard.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
import traceback
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from channelhub.actions.context import deciding
from channelhub.actions.selectors import open_action
from channelhub.actors import system_actor
from channelhub.models.automation import AutomationTask, Takeover, TaskStatus
from channelhub.observability.logs import log_context
from channelhub.services import ServiceError

from . import contract
from .contract import Decision
from .processors import Settings, processor_named
from .subjects import subject_for_type
from .triggers import rows_waiting, subjects_of_processor

logger = logging.getLogger(__name__)

TRACEBACK_CHARS = 4000  # what the extension runner keeps of one
WAIT_FOR_PERSON = timedelta(seconds=60)


class HandlerTimeout(Exception):  # noqa: N818 - reads as what happened
    """The processor's handler ran past its time limit."""


def max_attempts() -> int:
    """How often a failing handler is tried before its task is failed (settings)."""
    return int(getattr(settings, "AUTOMATION_MAX_ATTEMPTS", 3))


def backoff(attempts: int) -> timedelta:
    """The wait before the next try: 30 s, then doubling (settings' base)."""
    base = float(getattr(settings, "AUTOMATION_RETRY_SECONDS", 30))
    return timedelta(seconds=base * 2 ** max(attempts - 1, 0))


def run_due(*, limit: int = 100, processor: str | None = None, now=None) -> list[AutomationTask]:
    """Run up to `limit` due tasks (oldest first); returns them as they ended."""
    reclaim_lost()
    now = now or timezone.now()
    due = AutomationTask.objects.filter(
        status__in=(TaskStatus.DUE, TaskStatus.RESCHEDULED), next_run_at__lte=now
    ).order_by("next_run_at", "pk")
    if processor:
        due = due.filter(processor=processor)
    done, run = [], Pass()
    for task in list(due[:limit]):
        if claim(task):
            done.append(run_task(task, run=run))
    return done


class Pass:
    """What one pass of the runner reads once and shares across its tasks: one processor
    object per name (what it reads once, its rules, serves them all), the settings, and the
    system actor (with its permission cache)."""

    def __init__(self):
        self.instances: dict = {}
        self._modes: Settings | None = None
        self._actor = None

    @property
    def modes(self) -> Settings:
        """The processors' settings, read once per pass."""
        if self._modes is None:
            self._modes = Settings()
        return self._modes

    @property
    def actor(self):
        """The system actor, read once per pass."""
        if self._actor is None:
            self._actor = system_actor()
        return self._actor

    def handler(self, processor):
        """The pass's instance of `processor`."""
        if processor.name not in self.instances:
            self.instances[processor.name] = processor()
        return self.instances[processor.name]


def claim(task: AutomationTask) -> bool:
    """Take the task for this worker (False when another worker took it first)."""
    now = timezone.now()
    claimed = AutomationTask.objects.filter(pk=task.pk, status=task.status).update(
        status=TaskStatus.RUNNING, running_since=now
    )
    if claimed:
        task.status, task.running_since = TaskStatus.RUNNING, now
    return bool(claimed)


def reclaim_lost() -> int:
    """Tasks left running by a worker that died: due again (their try counted)."""
    limit = timezone.now() - timedelta(seconds=2 * _longest_timeout() + 60)
    return AutomationTask.objects.filter(status=TaskStatus.RUNNING, running_since__lt=limit).update(
        status=TaskStatus.DUE, running_since=None, error="The worker running it was lost; tried again."
    )


def _longest_timeout() -> int:
    from .processors import all_processors  # noqa: PLC0415 - read when needed, after start-up

    return max((p.timeout for p in all_processors()), default=300)


def run_task(task: AutomationTask, *, run: Pass | None = None) -> AutomationTask:
    """Run one claimed task to its end (or to its next try), within a runner's `Pass`."""
    with log_context(automation_task=task.pk):  # every line of the task carries its id
        return _run_task(task, run=run or Pass())


def _run_task(task: AutomationTask, *, run: Pass) -> AutomationTask:
    try:
        processor = processor_named(task.processor)
        subject = subject_for_type(task.target_type)
    except LookupError as missing:
        return _finish(task, TaskStatus.DROPPED, reason=str(missing))
    row = subject.rows().filter(pk=task.target_id).first()
    why_not = _why_not_now(task, processor, subject, row, run.modes)
    if why_not is not None:
        return why_not
    started = time.monotonic()
    try:
        decision = decide(run.handler(processor), subject, row, processor)
    except Exception as exc:  # noqa: BLE001 - third-party handler code: any exception is a failed try
        return _failed(task, exc, seconds=time.monotonic() - started)
    return record(task, decision, subject=subject, row=row, processor=processor, actor=run.actor)


def _why_not_now(task, processor, subject, row, modes: Settings) -> AutomationTask | None:
    """Close (or defer) the task when its object no longer needs it now; None to go on."""
    if row is None:
        return _finish(task, TaskStatus.DROPPED, reason=f"{task.target_id} is no longer in the mirror.")
    held = Takeover.objects.filter(target_type=task.target_type, target_id=task.target_id).first()
    if held is not None:
        return _finish(task, TaskStatus.DROPPED, reason=f"Taken over by {held.user_name or 'a person'}.")
    event, status = subject.event_type(row), subject.status_of(row)
    if status not in processor.statuses_for(event):
        return _finish(
            task, TaskStatus.DROPPED, reason=f"Now {status or 'without a status'}: not a status it handles."
        )
    mode = modes.mode(processor.name, subject.product_of(row) or "")
    if not mode.enabled:
        return _finish(task, TaskStatus.DROPPED, reason="The processor was switched off for this product.")
    task.dry_run = mode.dry_run
    busy = open_action(target_type=task.target_type, target_id=task.target_id)
    if busy is not None and not mode.dry_run:
        who = busy.actor.get_username() if busy.actor else "someone"
        return _finish(
            task,
            TaskStatus.RESCHEDULED,
            reason=f"Waiting: {busy.verb} by {who} is still open.",
            next_run_at=timezone.now() + WAIT_FOR_PERSON,
        )
    return None


def record(
    task: AutomationTask, decision: Decision, *, subject, row, processor, actor=None
) -> AutomationTask:
    """Store the decision; unless it is quiet or a dry run, do it through the app's service."""
    task.decision, task.detail, task.reason = decision.kind, decision.as_record(), decision.reason
    if decision.kind == contract.SKIP:
        return _finish(task, TaskStatus.SKIPPED)
    if decision.kind == contract.RESCHEDULE:
        later = timezone.now() + timedelta(seconds=decision.after_seconds)
        return _finish(task, TaskStatus.RESCHEDULED, next_run_at=later, attempts=0)
    if task.dry_run:
        return _finish(task, TaskStatus.DRY_RUN)
    apply = subject.apply.get(decision.kind)
    if apply is None:
        return _finish(
            task, TaskStatus.REFUSED, error=f"A {subject.target_type} cannot be '{decision.kind}'."
        )
    try:
        with transaction.atomic(), deciding(f"processor {processor.label()}", decision.reason):
            action = apply(row, decision, actor or system_actor())
            task.action = action
            return _finish(task, TaskStatus.DECIDED)
    except ServiceError as refused:
        words = refused.message
        if refused.code == "busy":
            words = f"A person acted first: {words}"
        return _finish(task, TaskStatus.REFUSED, error=words)


def _failed(task: AutomationTask, exc: BaseException, *, seconds: float = 0.0) -> AutomationTask:
    """A handler that raised or ran too long: try again later, or fail it for good."""
    task.attempts += 1
    text = "".join(traceback.format_exception(exc))[-TRACEBACK_CHARS:]
    if isinstance(exc, HandlerTimeout):
        text = f"Timed out after {seconds:.0f} s.\n{text}"
    logger.warning(
        "processor %s on %s raised (try %s): %s", task.processor, task.target_id, task.attempts, exc
    )
    if task.attempts < max_attempts():
        return _finish(task, TaskStatus.DUE, error=text, next_run_at=timezone.now() + backoff(task.attempts))
    return _finish(task, TaskStatus.FAILED, error=text, reason=f"{type(exc).__name__}: {exc}"[:500])


def _finish(task: AutomationTask, status: str, **changes) -> AutomationTask:
    for name, value in changes.items():
        setattr(task, name, value)
    task.status = status
    task.running_since = None
    if status not in TaskStatus.OPEN_STATES:
        task.finished_at = timezone.now()
    task.save()
    logger.info("processor %s on %s: %s %s", task.processor, task.target_id, status, task.decision)
    return task


@contextmanager
def time_limit(seconds: float):
    """Raise HandlerTimeout in the handler after `seconds` (SIGALRM, in the main thread).

    Shares the process's one real-time timer with django-q's own task timeout: the sooner of
    the two is armed, and django-q's is put back, less the time spent, on the way out. Off the
    main thread (no signals there) the handler runs without a limit and a warning is logged.
    """
    if threading.current_thread() is not threading.main_thread():
        logger.warning("processor time limit not enforced off the main thread")
        yield
        return

    def on_alarm(signum, frame):
        raise HandlerTimeout(f"the handler ran past its {seconds:g} s limit")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    outer, _ = signal.getitimer(signal.ITIMER_REAL)
    started = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, min(seconds, outer) if outer else seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - started), 0.001))


def decide(handler, subject, row, processor) -> Decision:
    """The handler's decision on one row, under the processor's time limit: the SDK's
    exceptions read as decisions, no answer as a skip; anything else the handler raised, a
    time-out, or an answer that is not a `Decision`, raised (a failed try)."""
    try:
        with time_limit(processor.timeout):
            decision = handler.process(subject.view(row))
    except (contract.InquireRequest, contract.FailRequest, contract.SkipRequest) as sdk:
        return contract.decision_of_exception(sdk)
    if decision is None:
        return Decision.skip("The processor answered nothing.")
    if not isinstance(decision, Decision):
        raise TypeError(f"process() returned {type(decision).__name__}, not a Decision")
    return decision


def preview(processor, *, limit: int = 1000):
    """What `processor` would decide about each row now in its statuses, writing nothing: yields
    `(target_id, decision or None, error text)` (`processors run NAME --dry-run`)."""
    handler = processor()
    for subject in subjects_of_processor(processor):
        for row in rows_waiting(processor, subject).order_by("pk")[:limit]:
            if subject.status_of(row) not in processor.statuses_for(subject.event_type(row)):
                continue  # a status another of the subject's event types subscribes to
            try:
                yield row.pk, decide(handler, subject, row, processor), ""
            except Exception as exc:  # noqa: BLE001 - a preview reports what the handler raised
                yield row.pk, None, f"{type(exc).__name__}: {exc}"
