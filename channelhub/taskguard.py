"""Only our own tasks run on the worker.

django-q calls whatever importable function a task or a schedule names, with whatever
arguments it carries, and calls a task's `hook` with its result. The worker holds the
Connect key, the Channel service-account key and the database, so a function name is code
and is never taken from a person: schedules are upserted from code by `setup_schedules`,
and this module refuses anything else at every door.

- `ALLOWED_TASKS` is the allow-list: the tasks channelhub itself enqueues or schedules.
- `check_schedule` (a `pre_save` receiver on django-q's `Schedule`) refuses to store a
  schedule whose function or hook is not ours, or whose arguments are not plain literals,
  whoever saves it (the admin, a shell, a script).
- `guard_enqueue` (a `pre_enqueue` receiver) sees every task before it is signed and sent to
  the broker: from the scheduler, from our services, from a "resubmit". A task that is not
  ours is not refused by raising (that would stop the scheduler's whole tick); it is
  rewritten into `refused_task`, which fails on the worker with the reason, so the attempt
  is recorded as a failed task and logged, and nothing of it runs.
"""

from __future__ import annotations

import ast
import logging

from django.db.models.signals import pre_save

logger = logging.getLogger(__name__)

ALLOWED_TASKS = frozenset(
    {
        "channelhub.sync.tasks.sync_stream_task",
        "channelhub.sync.tasks.dispatch_due_streams_task",
        "channelhub.actions.tasks.send_due_actions_task",
        "channelhub.actions.tasks.send_action_task",
        "channelhub.automation.tasks.run_due_task",
        "channelhub.retention.retention_task",
    }
)
REFUSED_TASK = "channelhub.taskguard.refused_task"


class TaskRefused(Exception):
    """A schedule or task names code that is not on the allow-list, or arguments that are not literals."""


def func_name(func) -> str:
    """The dotted name of a task's function, whether given as a string or as a callable."""
    if isinstance(func, str):
        return func
    module = getattr(func, "__module__", "") or ""
    qualname = getattr(func, "__qualname__", "") or repr(func)
    return f"{module}.{qualname}"


def is_allowed(func) -> bool:
    """Whether a task's function (a name or a callable) is on the allow-list."""
    return func_name(func) in ALLOWED_TASKS


def parse_literal(text: str, what: str):
    """Parse a schedule's `args` or `kwargs` text as a Python literal, or refuse it."""
    try:
        return ast.literal_eval(text)
    except (SyntaxError, ValueError) as exc:
        raise TaskRefused(f"The schedule's {what} must be a plain Python literal ({exc}).") from None


def check_schedule_fields(*, func, hook, args, kwargs) -> None:
    """Raise TaskRefused unless the schedule names one of our tasks with literal arguments."""
    if not is_allowed(func):
        raise TaskRefused(
            f"{func_name(func)!r} is not one of channelhub's tasks; schedules may only run "
            f"{', '.join(sorted(ALLOWED_TASKS))}."
        )
    if hook:
        raise TaskRefused("Schedules may not name a hook: a hook is code run with the task's result.")
    if args:
        parse_literal(args, "arguments")
    if kwargs:
        parsed = parse_literal(kwargs, "keyword arguments")
        if not isinstance(parsed, dict):
            raise TaskRefused("The schedule's keyword arguments must be a dict literal.")
        if "q_options" in parsed or "hook" in parsed:
            raise TaskRefused("The schedule's keyword arguments may not set task options or a hook.")


_CODE_FIELDS = ("func", "hook", "args", "kwargs")


def check_schedule(sender, instance, **kwargs) -> None:
    """pre_save on django_q.Schedule: no code that is not ours is ever written.

    A row that got in around the ORM (raw SQL, a restored dump) is not refused when the
    scheduler saves its bookkeeping: that would stop the scheduler's whole tick, every other
    schedule with it. Its code is left as it is (the enqueue guard refuses to run it) and it
    is paused, so it stops firing until someone removes it.
    """
    code = {name: getattr(instance, name) for name in _CODE_FIELDS}
    stored = None
    if instance.pk is not None:
        stored = type(instance).objects.filter(pk=instance.pk).values(*_CODE_FIELDS).first()
    try:
        check_schedule_fields(**code)
    except TaskRefused:
        if stored is None or stored != code:
            raise
        logger.error("schedule %r names code that is not ours; paused it", instance.name or instance.pk)
        instance.repeats = 0


def guard_enqueue(sender, task: dict, **kwargs) -> None:
    """pre_enqueue: rewrite a task that is not ours into one that fails with the reason."""
    func = task.get("func")
    hook = task.get("hook")
    if is_allowed(func) and not hook:
        return
    refused = func_name(func)
    reason = f"hook {func_name(hook)!r}" if is_allowed(func) else f"function {refused!r}"
    logger.error("refused a task that is not channelhub's own: %s (task %s)", reason, task.get("name"))
    task["func"] = REFUSED_TASK
    task["args"] = (reason,)
    task["kwargs"] = {}
    task.pop("hook", None)


def refused_task(reason: str) -> None:
    """What a refused task becomes: it runs nothing and fails, so the attempt is on record."""
    raise TaskRefused(f"Refused to run a task that is not channelhub's own ({reason}).")


def connect() -> None:
    """Wire the receivers (from the app's ready())."""
    # channelhub.apps imports this module before the app registry is ready: django-q's models
    # (and its signals module, which imports them) can only be imported once it is.
    from django_q.models import Schedule  # noqa: PLC0415 - models, only after app loading
    from django_q.signals import pre_enqueue  # noqa: PLC0415 - imports django-q's models

    pre_save.connect(check_schedule, sender=Schedule, dispatch_uid="channelhub.taskguard.schedule")
    pre_enqueue.connect(guard_enqueue, dispatch_uid="channelhub.taskguard.enqueue")
