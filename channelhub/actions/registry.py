"""Executors by action kind. A domain app registers one per kind it records."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .executors import Executor

_EXECUTORS: dict[str, Executor] = {}


def register(executor: Executor) -> Executor:
    if executor.kind in _EXECUTORS:
        raise ValueError(f"two executors for {executor.kind!r}")
    _EXECUTORS[executor.kind] = executor
    return executor


def get(kind: str) -> Executor:
    try:
        return _EXECUTORS[kind]
    except KeyError:
        raise LookupError(f"no executor for action kind {kind!r}") from None


def kinds() -> list[str]:
    return sorted(_EXECUTORS)
