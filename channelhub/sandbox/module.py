"""The contract between the sandbox core (app.py, server.py) and a fake upstream.

The core knows no upstream by name: it gets a list of `SandboxModule`s (`modules.py` holds the
default list) and
- builds one store from every module's `collections` and one URL map from every `rules()`;
- seeds a fresh state by calling each module's `seed(session, seed, scale)` in list order (its
  counts land in /_sandbox/state's meta under `name`), and runs `tick(session, rng)` on each for
  /_sandbox/tick;
- answers errors it raises itself on a path (fault, unknown path, wrong method, crash) in the
  format of the module that `owns(path)`, or Connect's `{"error_code", "errors"}` body if none;
- serves GET/POST/PUT/DELETE /_sandbox/<name> with `control(method, body)` (a module's knobs),
  calls `on_reset()` after every /_sandbox/reset and `on_serve(server)` once the port is known;
- exposes `server_attributes(server)` as attributes of SandboxServer (`sandbox.connect_url`);
- prints, in the start-up banner (`SandboxServer.banner()`), each module's `banner(server)` lines
  under its `title`, and `/_sandbox/<name>` among the control endpoints if `control("GET", {})`
  answers (so a GET of a module's knobs must only read).

`BaseModule` gives every hook but the first five a do-nothing default; subclass it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from .common import ApiError
from .store import Collection, Session


class ServerInfo(Protocol):
    """What a module may read from the SandboxServer it is served by (a protocol, so this module
    need not import server.py)."""

    state_path: Path  # the state file; a module's own files go beside it

    @property
    def url(self) -> str:
        """http://host:port, known once the server listens."""


@runtime_checkable
class SandboxModule(Protocol):
    """One fake upstream served by the sandbox."""

    name: str  # its key in seed counts and tick results, and /_sandbox/<name>
    collections: Sequence[Collection]  # its tables in the shared store (names must not clash)

    def rules(self) -> list[Rule]:
        """werkzeug Rules; each endpoint is `handler(ctx, request, **values) -> Response`."""

    def seed(self, session: Session, seed: int, scale: int) -> dict:
        """Fill its collections for (seed, scale), deterministically; returns counts."""

    def tick(self, session: Session, rng: random.Random) -> dict:
        """One step of upstream life, drawing only from `rng`; returns what happened."""

    def owns(self, path: str) -> bool:
        """True if errors on `path` take this module's `error_response` format."""

    def error_response(self, status: int, message: str, headers: dict | None = None) -> Response:
        """An error in this upstream's own format (used for the paths it owns)."""

    def control(self, method: str, body: dict) -> dict:
        """Serve /_sandbox/<name> (its knobs); raise ApiError to refuse."""

    def on_reset(self) -> None:
        """Called after every /_sandbox/reset (e.g. knobs back to their defaults)."""

    def on_serve(self, server: ServerInfo) -> None:
        """Called once the server listens (its `url` is known), before the first request."""

    def server_attributes(self, server: ServerInfo) -> dict[str, Any]:
        """Extra SandboxServer attributes, e.g. {"connect_url": server.url + "/public/v1"}."""

    @property
    def title(self) -> str:
        """How the start-up banner names it ("Connect", "Channel")."""

    def banner(self, server: ServerInfo) -> list[str]:
        """The start-up banner's lines about it (where it is first, then how to authenticate)."""


class BaseModule:
    """Defaults for the optional hooks of `SandboxModule`: owns no path, has no knobs, does
    nothing on reset or serve, adds no server attributes, is titled by its name and shows its
    `<name>_url` in the banner. Subclasses set `name` and `collections` and implement `rules`,
    `seed` and `tick`."""

    name: str
    collections: Sequence[Collection]

    def owns(self, path: str) -> bool:
        """No path: errors take the core's default format (Connect's)."""
        return False

    def error_response(self, status: int, message: str, headers: dict | None = None) -> Response:
        """Connect's error body, as the core answers by default."""
        return ApiError(status, "SYS_001", message, headers).response()

    def control(self, method: str, body: dict) -> dict:
        """No knobs: /_sandbox/<name> is a 404."""
        raise ApiError(404, "NTF_001", f"No control endpoint {method} /_sandbox/{self.name}.")

    def on_reset(self) -> None:
        """Nothing to reset."""
        return None

    def on_serve(self, server: ServerInfo) -> None:
        """Nothing to write."""
        return None

    def server_attributes(self, server: ServerInfo) -> dict[str, Any]:
        """No extra attributes."""
        return {}

    @property
    def title(self) -> str:
        """Its name, capitalised."""
        return self.name.capitalize()

    def banner(self, server: ServerInfo) -> list[str]:
        """Its `<name>_url` server attribute if it has one, else the server's URL."""
        return [self.server_attributes(server).get(f"{self.name}_url", server.url)]
