"""Services of automation: switching processors on, off or to dry run, and taking an object
out of automation (and giving it back). Each writes its audit event in the same transaction."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from channelhub.actions.services import audit
from channelhub.actions.specs import specs_of
from channelhub.models.automation import AutomationTask, ProcessorSetting, Takeover, TaskStatus
from channelhub.services import ServiceError, require_perm

from . import triggers
from .processors import Settings, processor_named
from .subjects import subject_for_type

RUN_PERM = "channelhub.run_processor"
RUN_TASK = "channelhub.automation.tasks.run_due_task"


def _processor(name: str):
    try:
        return processor_named(name)
    except LookupError as missing:
        raise ServiceError(str(missing), code="missing") from None


@transaction.atomic
def processor_enable(*, name: str, actor, product_id: str = "", dry_run: bool = False) -> int:
    """Switch a processor on (or to dry run) for a product or all; queue what waits already.

    Returns how many tasks were queued for the objects already in its statuses.
    """
    require_perm(actor, RUN_PERM, "enable processors")
    processor = _processor(name)
    ProcessorSetting.objects.update_or_create(
        processor=processor.name,
        product_id=product_id or "",
        defaults={"enabled": True, "dry_run": dry_run, "updated_by": actor.get_username()},
    )
    mode = "dry run" if dry_run else "on"
    audit(
        actor=actor,
        action="automation.processor.enabled",
        target_type="automation.processor",
        target_id=processor.name,
        message=f"{processor.label()} {mode} for {product_id or 'every product'}",
    )
    return triggers.queue_backlog(processor, product_id=product_id, modes=Settings())


@transaction.atomic
def processor_disable(*, name: str, actor, product_id: str = "") -> int:
    """Switch a processor off for a product or all; its open tasks are dropped. Returns how many."""
    require_perm(actor, RUN_PERM, "disable processors")
    processor = _processor(name)
    ProcessorSetting.objects.update_or_create(
        processor=processor.name,
        product_id=product_id or "",
        defaults={"enabled": False, "dry_run": False, "updated_by": actor.get_username()},
    )
    tasks = AutomationTask.objects.filter(processor=processor.name, status__in=TaskStatus.OPEN_STATES)
    if product_id:
        tasks = tasks.filter(product_id=product_id)
    dropped = tasks.exclude(status=TaskStatus.RUNNING).update(
        status=TaskStatus.DROPPED, reason="The processor was switched off.", finished_at=timezone.now()
    )
    audit(
        actor=actor,
        action="automation.processor.disabled",
        target_type="automation.processor",
        target_id=processor.name,
        message=f"{processor.label()} off for {product_id or 'every product'}",
    )
    return dropped


def processor_run_now(*, name: str, actor) -> tuple[int, str]:
    """One pass now, on a worker: queue what waits in the processor's statuses, then hand the
    processor's due tasks to a worker. Returns (tasks queued, the worker task's id).

    Refused while the processor is off everywhere (nothing would run). When the broker cannot
    take the task, the queued tasks stay due and the every-minute run picks them up.
    """
    require_perm(actor, RUN_PERM, "run processors")
    processor = _processor(name)
    modes = Settings()
    if not modes.maybe_on(processor.name):
        raise ServiceError(f"{processor.name} is off everywhere: switch it on or to dry run first.")
    with transaction.atomic():
        queued = triggers.queue_backlog(processor, modes=modes)
        audit(
            actor=actor,
            action="automation.processor.run_now",
            target_type="automation.processor",
            target_id=processor.name,
            message=f"One pass of {processor.label()} now ({queued} object(s) queued)",
        )
    from django_q.tasks import async_task  # noqa: PLC0415 - django-q's tasks need the app registry ready

    try:
        task_id = async_task(RUN_TASK, processor=processor.name, group=f"automation:{processor.name}")
    except Exception as exc:  # the broker is down: say so; the scheduled run takes the tasks
        raise ServiceError(
            f"Could not hand {processor.name} to a worker ({exc}); its {queued} queued task(s) "
            "run with the next scheduled pass.",
            code="unavailable",
        ) from exc
    return queued, task_id


def hold_perm(target_type: str) -> str:
    """The permission to take an object of this type over (and give it back): the one to act
    on it; "" when nothing can be done on it."""
    specs = specs_of(subject_for_type(target_type).model_class)
    return specs[0].perm if specs else ""


def _require_act(actor, target_type: str, doing: str) -> None:
    perm = hold_perm(target_type)
    if not perm:
        raise ServiceError(f"Nothing can be done on {target_type}.")
    require_perm(actor, perm, doing)


@transaction.atomic
def take_over(*, target_type: str, target_id: str, actor, note: str = "") -> Takeover:
    """Take the object out of automation: no processor is asked about it until it is released."""
    _require_act(actor, target_type, "take objects over from automation")
    held = Takeover.objects.filter(target_type=target_type, target_id=target_id).first()
    if held is not None:
        raise ServiceError(f"{target_id} is already held by {held.user_name or 'someone'}.", code="busy")
    takeover = Takeover.objects.create(
        target_type=target_type, target_id=target_id, user=actor, user_name=actor.get_username(), note=note
    )
    AutomationTask.objects.filter(
        target_type=target_type, target_id=target_id, status__in=(TaskStatus.DUE, TaskStatus.RESCHEDULED)
    ).update(
        status=TaskStatus.DROPPED, reason=f"Taken over by {actor.get_username()}.", finished_at=timezone.now()
    )
    audit(
        actor=actor,
        action="automation.taken_over",
        target_type=target_type,
        target_id=target_id,
        message=note or "Taken over from automation",
    )
    return takeover


@transaction.atomic
def release(*, target_type: str, target_id: str, actor) -> int:
    """Give the object back to automation; the processors are asked about it as it is now.

    Returns how many tasks were queued.
    """
    _require_act(actor, target_type, "give objects back to automation")
    deleted, _ = Takeover.objects.filter(target_type=target_type, target_id=target_id).delete()
    if not deleted:
        raise ServiceError(f"{target_id} is not held by anyone.")
    audit(
        actor=actor,
        action="automation.released",
        target_type=target_type,
        target_id=target_id,
        message="Given back to automation",
    )
    return triggers.note_changes(subject_for_type(target_type).model_class, [target_id])
