"""A source's passes: run one now, dry-run one, confirm or discard a held one (supervisors).

Running goes through the dispatcher's hand-over (`channelhub.sync.dispatch`), so a pass
already queued or running is not started twice; a command runs it in place
(`run_stream`), under the stream's lock like every run. Confirming a held pass takes the
stream's lock and applies exactly the listing that was held (its keys were kept aside).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from channelhub.actions.services import audit
from channelhub.models import StreamState, SyncRun, SyncTrigger
from channelhub.services import ServiceError, require_perm
from channelhub.sync import dispatch, lock
from channelhub.sync import listing as listed_keys
from channelhub.sync.engine import run_stream

from ..models import InventorySource, SourceStatus
from ..streams import apply_pass
from .plans import PassPlan, plan_pass

PERM_RUN = "inventory.run_inventorysource"
TARGET = "inventory.inventorysource"


def pass_run_now(*, actor, source: InventorySource) -> str:
    """Hand the source's pass to the worker now (unless it is queued or running); audited.
    Returns what happened, in words."""
    require_perm(actor, PERM_RUN, "run inventory sources")
    if not source.enabled:
        raise ServiceError(f"Source {source.name} is disabled: enable it first.")
    name = source.stream_name
    StreamState.objects.get_or_create(stream=name)
    state = StreamState.objects.get(stream=name)
    now = timezone.now()
    if state.locked_until and state.locked_until > now and not lock.is_dead_local(state.locked_by):
        raise ServiceError(f"A pass of {source.name} is running now.", code="conflict")
    if state.queued_at and state.queued_at > now - dispatch.QUEUED_FOR:
        raise ServiceError(f"A pass of {source.name} is already waiting for a worker.", code="conflict")
    if not dispatch.mark_queued(name, was=state.queued_at, now=now):
        raise ServiceError(f"A pass of {source.name} was handed over a moment ago.", code="conflict")
    try:
        dispatch.enqueue(name)
    except Exception as exc:  # noqa: BLE001 - the broker is down: say so, leave the stream due
        StreamState.objects.filter(stream=name, queued_at=now).update(queued_at=state.queued_at)
        raise ServiceError(f"Could not hand the pass to the worker: {exc}") from None
    audit(actor=actor, action="inventory.source.run", target_type=TARGET, target_id=source.name,
          message=f"Pass of {source.name} queued")  # fmt: skip
    return f"A pass of {source.name} is queued."


def pass_run_here(*, actor, source: InventorySource, trigger: str = SyncTrigger.COMMAND) -> SyncRun:
    """Run the source's pass in this process (the command), under the stream's lock."""
    require_perm(actor, PERM_RUN, "run inventory sources")
    run = run_stream(source.stream_name, trigger=trigger)
    audit(actor=actor, action="inventory.source.run", target_type=TARGET, target_id=source.name,
          message=f"Pass of {source.name} run: {run.status}")  # fmt: skip
    return run


def pass_dry_run(*, actor, source: InventorySource) -> PassPlan:
    """What a pass would do now (create, update, unchanged, mark gone, revive), without
    writing the mirror; kept on the source for its page."""
    require_perm(actor, PERM_RUN, "dry-run inventory sources")
    plan = plan_pass(source)
    InventorySource.objects.filter(pk=source.pk).update(last_dry_run=plan.as_dict())
    audit(actor=actor, action="inventory.source.dry_run", target_type=TARGET, target_id=source.name,
          message=f"Dry run of {source.name}: {plan.summary()}")  # fmt: skip
    return plan


def _held(source: InventorySource) -> tuple[InventorySource, SyncRun]:
    source = InventorySource.objects.get(pk=source.pk)
    if source.held_run is None:
        raise ServiceError(f"No pass of {source.name} is held.", code="conflict")
    run = SyncRun.objects.filter(pk=source.held_run).first()
    if run is None:
        raise ServiceError("The held pass's run is gone (pruned): discard it and run a new pass.")
    return source, run


def _locked(source: InventorySource):
    owner = lock.new_owner()
    if not lock.acquire(source.stream_name, owner):
        raise ServiceError(
            f"A pass of {source.name} is running now: try again when it ends.", code="conflict"
        )
    return owner


def pass_confirm(*, actor, source: InventorySource) -> int:
    """Apply the held pass as listed: mark what it did not list gone. Returns rows changed."""
    require_perm(actor, PERM_RUN, "confirm held passes")
    source, run = _held(source)
    owner = _locked(source)
    try:
        with transaction.atomic():
            held = source.held_count
            changed = apply_pass(source, run.pk, started_at=run.started_at)
            listed_keys.drop(run.pk)
            audit(actor=actor, action="inventory.source.hold_confirm", target_type=TARGET, target_id=source.name,
                  message=f"Held pass {run.pk} of {source.name} confirmed: {held} resources marked gone")  # fmt: skip
    finally:
        lock.release(source.stream_name, owner)
    return changed


def pass_discard(*, actor, source: InventorySource) -> None:
    """Forget the held pass: nothing is marked; the next pass decides afresh."""
    require_perm(actor, PERM_RUN, "discard held passes")
    source, run = _held(source)
    owner = _locked(source)
    try:
        with transaction.atomic():
            held = source.held_count
            InventorySource.objects.filter(pk=source.pk).update(
                status=SourceStatus.OK if source.last_complete_at else SourceStatus.NEW,
                held_run=None, held_at=None, held_count=0, held_live=0,
                last_error=f"Held pass {run.pk} discarded: nothing was marked gone.",
            )  # fmt: skip
            listed_keys.drop(run.pk)
            audit(actor=actor, action="inventory.source.hold_discard", target_type=TARGET, target_id=source.name,
                  message=f"Held pass {run.pk} of {source.name} discarded ({held} would have vanished)")  # fmt: skip
    finally:
        lock.release(source.stream_name, owner)
