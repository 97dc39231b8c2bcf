"""Executors by action kind: each registered `ActionSpec` brings its own (built with the spec).

`register(executor)` adds one without a spec: the system check (channelhub.actions.checks)
refuses that at start-up, since nothing would say who may queue its kind or from which state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .specs import all_specs

if TYPE_CHECKING:
    from .executors import Executor

_UNDECLARED: dict[str, Executor] = {}


def register(executor: Executor) -> Executor:
    """Add an executor that no spec brings (the system check reports it)."""
    if executor.kind in _UNDECLARED:
        raise ValueError(f"two executors for {executor.kind!r}")
    _UNDECLARED[executor.kind] = executor
    return executor


def executors() -> dict[str, Executor]:
    """Every executor by kind: the specs' first, then any registered without a spec."""
    found = {}
    for spec in all_specs():
        executor = spec.make_executor()
        if executor is not None:
            found[executor.kind] = executor
    for kind, executor in _UNDECLARED.items():
        found.setdefault(kind, executor)
    return found


def undeclared() -> dict[str, Executor]:
    """Executors registered without a spec."""
    return dict(_UNDECLARED)


def get(kind: str) -> Executor:
    """The executor of an action kind (LookupError when there is none)."""
    try:
        return executors()[kind]
    except KeyError:
        raise LookupError(f"no executor for action kind {kind!r}") from None


def kinds() -> list[str]:
    """Every action kind that has an executor, sorted."""
    return sorted(executors())
