"""The target of an action: its mirrored row, locked for the rest of the transaction.

Queueing an action (check the row's state, insert the action) and the sender writing an
action's result (the upstream's answer into the mirror, the action closed) both hold this
lock, so one never lands in the middle of the other. Without it, on PostgreSQL a service
could read "pending" while the first approve was still open, the sender then write
"approved" and close it, and the second approve pass the one-open-action rule.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models, transaction


def target_type_of(model: type[models.Model]) -> str:
    """`app_label.model_name`, the `target_type` of actions on `model`'s rows."""
    return f"{model._meta.app_label}.{model._meta.model_name}"


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
