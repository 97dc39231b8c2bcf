"""The target of an action: its mirrored row, checked, then locked while the action is recorded.

`ActionTarget` is what every service of every upstream prepares and records through: the
actor's permission and a fresh read of the row, the spec's guards, state and checks on it
(`ActionSpec.check`), then `action_record`, which locks the row and runs the same checks
again on it as it is now.

Queueing an action (check the row's state, insert the action) and the sender writing an
action's result (the upstream's answer into the mirror, the action closed) both hold the
row's lock (`lock_target`), so one never lands in the middle of the other. Without it, on
PostgreSQL a service could read "pending" while the first approve was still open, the sender
then write "approved" and close it, and the second approve pass the one-open-action rule.
"""

from __future__ import annotations

from collections.abc import Callable

from django.apps import apps
from django.db import models, transaction

from channelhub.services import ServiceError, require_perm

from .specs import ActionSpec, spec_of, specs_of, target_type_of

__all__ = ["ActionTarget", "lock_target", "target_type_of"]

_DEFAULT = object()


def lock_target(target_type: str, target_id: str) -> models.Model | None:
    """Read the target's mirrored row afresh and lock it until the caller's transaction ends.

    None when there is no row (yet): a customer being created is named by its domain. On
    PostgreSQL this is SELECT ... FOR UPDATE, which also waits for a transaction writing the
    row to end and then reads what it wrote. SQLite ignores FOR UPDATE; there every
    transaction begins IMMEDIATE (settings), which serialises writers, so holding the caller's
    transaction is the lock.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"lock_target({target_type}, {target_id}) outside a transaction locks nothing")
    model = apps.get_model(target_type)
    return model._default_manager.select_for_update(of=("self",)).filter(pk=target_id).first()


class ActionTarget:
    """The actions on one model's rows: `prepare` (permission, fresh read, the spec's checks)
    and `record` (queue the action; the checks run again on the row locked).

    `what` names the model in refusals ("Request", "Entitlement"; the specs' by default);
    `snapshot(row)` is the audit event's "before"; `select_related` is what the checks read
    beside the row.
    """

    def __init__(
        self,
        model: type[models.Model],
        *,
        what: str = "",
        snapshot: Callable[[models.Model], dict] | None = None,
        select_related: tuple[str, ...] = (),
    ):
        self.model = model
        self._what = what
        self.snapshot = snapshot
        self.select_related = select_related
        self.target_type = target_type_of(model)

    @property
    def what(self) -> str:
        """The model in words, for refusals: given, else its specs' `what`, else its verbose name."""
        if self._what:
            return self._what
        named = [spec.what for spec in specs_of(self.model) if spec.what]
        return named[0] if named else str(self.model._meta.verbose_name).capitalize()

    def spec(self, action: str) -> ActionSpec:
        """The registered spec of `action` on this model."""
        return spec_of(self.model, action)

    def read(self, pk: str) -> models.Model | None:
        """The mirrored row as it is now (None when it is not in the mirror)."""
        queryset = self.model._default_manager.all()
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        return queryset.filter(pk=pk).first()

    def prepare(self, obj, actor, action: str, doing: str, *, check: Callable | None = None):
        """Permission, a fresh read of the mirrored row (the caller's copy may be stale), and
        the spec's checks (and `check(row)`, the service's own). Returns the fresh row."""
        require_perm(actor, self.spec(action).perm, doing)
        fresh = self.read(obj.pk)
        self.check(fresh, obj.pk, action, check)
        return fresh

    def check(self, fresh, pk: str, action: str, extra: Callable | None = None) -> None:
        """The checks of `action` on the mirrored row: run by prepare, and again by
        action_record on the row read under its lock."""
        spec = self.spec(action)
        if spec.creates:
            return
        if fresh is None:
            raise ServiceError(f"{self.what} {pk} is not in the mirror.", code="missing")
        spec.check(fresh)
        if extra is not None:
            extra(fresh)

    def record(
        self,
        obj,
        actor,
        action: str,
        payload: dict,
        message: str = "",
        *,
        check: Callable | None = None,
        before=_DEFAULT,
        target_id: str | None = None,
    ):
        """Queue `action` on `obj` (or on `target_id`, for an action that creates its target)
        in the caller's transaction; the checks run again on the row locked."""
        from .services import action_record  # noqa: PLC0415 - services import lock_target from here

        spec = self.spec(action)
        pk = target_id if target_id is not None else obj.pk
        if before is _DEFAULT:
            before = None if spec.creates else self.snapshot
        return action_record(
            kind=spec.kind,
            target_type=self.target_type,
            target_id=pk,
            check=lambda row: self.check(row, pk, action, check),
            payload=payload,
            actor=actor,
            before=before,
            message=message,
        )
