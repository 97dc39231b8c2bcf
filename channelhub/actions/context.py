"""Who decided an action when no person clicked: a processor, named in the audit trail.

`deciding("processor connect.purchase_rules 1", "every parameter valid")` around a service
call makes the action it records say so: the queued audit event's message starts with
"Decided by processor connect.purchase_rules 1: every parameter valid". The actor stays the
system user; this is the "which processor, which version, why" beside it.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

_DECIDER: ContextVar[tuple[str, str] | None] = ContextVar("channelhub_decider", default=None)


@contextmanager
def deciding(by: str, reason: str = ""):
    """Actions recorded inside are decided `by` (a processor and its version), for `reason`."""
    token = _DECIDER.set((by, reason))
    try:
        yield
    finally:
        _DECIDER.reset(token)


def decided_by(message: str = "") -> str:
    """`message` with the decider in front, when inside `deciding(...)`; else unchanged."""
    decider = _DECIDER.get()
    if decider is None:
        return message
    by, reason = decider
    words = f"Decided by {by}" + (f": {reason}" if reason else "")
    return f"{words}. {message}" if message else words
