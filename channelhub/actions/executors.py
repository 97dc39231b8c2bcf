"""An executor turns one kind of `UpstreamAction` into upstream calls.

The sender (sender.py) owns claiming, retries, the "maybe applied" check and bookkeeping;
an executor only knows its upstream call (a typed method of the upstream's client), how to read the target's current state, when
that state means "done", and how to write the upstream's answer into the mirror.
"""

from __future__ import annotations

from channelhub.models import UpstreamAction


class Executor:
    """Base of every executor; built with the `ActionSpec` of its kind (`spec.make_executor()`)."""

    kind: str = ""
    description: str = ""

    def __init__(self, spec=None):
        self.spec = spec
        if spec is not None:
            self.kind = spec.kind
            self.verb = spec.kind.rsplit(".", 1)[-1]

    @property
    def target_state(self) -> str | None:
        """The state the action leads to (its spec's), or None when it changes no state."""
        return self.spec.to_state if self.spec is not None else None

    def client(self):
        """The upstream client this executor calls."""
        raise NotImplementedError

    def send(self, action: UpstreamAction, client) -> dict:
        """Do the upstream call(s); return the target object as the upstream has it now."""
        raise NotImplementedError

    def current(self, action: UpstreamAction, client) -> dict:
        """Read the target object upstream."""
        raise NotImplementedError

    def is_applied(self, action: UpstreamAction, obj: dict) -> bool:
        """Whether `obj` (the upstream's current state) shows the action already done."""
        raise NotImplementedError

    def write_mirror(self, obj: dict) -> None:
        """Write the upstream's current object into the mirror."""
        raise NotImplementedError

    def snapshot(self, obj: dict) -> dict:
        """The few fields an audit event keeps as 'after'."""
        return {"status": obj.get("status")}
