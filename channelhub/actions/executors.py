"""An executor turns one kind of `UpstreamAction` into upstream calls.

The sender (sender.py) owns claiming, retries, the "maybe applied" check and bookkeeping;
an executor only knows its upstream call, how to read the target's current state, when
that state means "done", and how to write the upstream's answer into the mirror.
"""

from __future__ import annotations

from channelhub.models import UpstreamAction


class Executor:
    kind: str = ""
    description: str = ""

    def client(self):
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
