"""The upstreams the sandbox serves unless told otherwise (SandboxServer(modules=...)).

Adding one (the CMP inventory feed, say): write its package with a `SandboxModule` (module.py)
and add it to this list; app.py and server.py need no change. See docs/sandbox.md, "Adding a
sandbox module". Order matters: modules seed in list order, and a new module goes last so the
existing seeded state stays identical.
"""

from __future__ import annotations

from .channel import ChannelModule
from .connect import ConnectModule
from .module import SandboxModule


def default_modules() -> list[SandboxModule]:
    """Fresh instances: a module may keep per-server state (Channel's knobs and tokens)."""
    return [ConnectModule(), ChannelModule()]


__all__ = ["default_modules"]
