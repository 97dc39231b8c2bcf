"""The fake CMP inventory feed (/cmp/api/...): accounts whose resources are served exactly as
nflex connectors serialize them (nflex-connector-utils 0.2.0), with metrics, served by the sandbox
beside the core's upstreams. Imports no Django: only the sandbox kit (channelhub.sandbox).

Its state is its own SQLite file beside the sandbox's (state.py); the world is seed.py and
world.py, life life.py, metrics metrics.py, routes routes.py, knobs knobs.py (/_sandbox/cmp).
Registered by the inventory app: `registry.register_sandbox_module("inventory.sandbox:CmpFeedModule")`.
"""

from __future__ import annotations

import random

from channelhub.sandbox.common import ApiError
from channelhub.sandbox.module import BaseModule

from . import life
from .knobs import ACTIONS, DEFAULTS, Knobs, check_action
from .routes import Routes, error_response
from .state import CmpState

PREFIX = "/cmp/"


class CmpFeedModule(BaseModule):
    """A `SandboxModule`: the CMP inventory feed, with its own state file, knobs and error format."""

    name = "cmp"
    title = "CMP feed"
    collections = ()  # nothing in the shared store: the feed keeps its own file (state.py)

    def __init__(self):
        self.state = CmpState()
        self.knobs = Knobs()
        self._routes = Routes(self.state, self.knobs)
        self._actions = 0

    def rules(self):
        """/cmp/api/accounts, .../<account>/resources, .../<account>/metrics."""
        return self._routes.rules()

    def seed(self, session, seed: int, scale: int) -> dict:
        """Counted here for the sandbox's meta; the feed's own file is seeded when a reset installs
        it (state.py), since the shared store's seeded copies may be reused without a call here."""
        return self.state.seed_counts(seed, scale)

    def tick(self, session, rng) -> dict:
        """One step of life in every account, in the feed's own file."""
        self.state.bind(session.store.path)
        with self.state.session() as own, own.write():
            return life.tick(own, rng)

    def owns(self, path: str) -> bool:
        """Errors under /cmp/ (faults, unknown paths, wrong methods, crashes) take the feed's format."""
        return path.startswith(PREFIX)

    def error_response(self, status: int, message: str, headers: dict | None = None):
        """`{"error": <name by status>, "message": ...}`."""
        return error_response(status, message, headers)

    def control(self, method: str, body: dict) -> dict:
        """/_sandbox/cmp: GET shows the knobs (and counts once bound), POST/PUT sets knobs and runs
        actions, DELETE restores the defaults."""
        if method in ("POST", "PUT"):
            unknown = set(body) - set(DEFAULTS) - set(ACTIONS)
            if unknown:
                raise ApiError(400, "VAL_001", f"Unknown cmp knobs: {', '.join(sorted(unknown))}.")
            changes = self.knobs.check(body)  # every setting and action is checked before any applies
            done = self._act(body)
            self.knobs.apply(changes)
            return {**self._show(), "done": done}
        if method == "DELETE":
            self.knobs.reset()
        return self._show()

    def _act(self, body: dict) -> dict:
        wanted = [name for name in ACTIONS if name in body]
        if not wanted:
            return {}
        if self.state.path is None:
            raise ApiError(
                409, "VAL_001", "The CMP feed's state is not ready yet (the server has not started)."
            )
        with self.state.session() as session, session.write():
            accounts = life.account_ids(session)
            specs = {name: check_action(name, body[name], accounts) for name in wanted}
            done = {}
            for name, (account, count, rtype) in specs.items():
                self._actions += 1
                rng = random.Random(f"cmp-{name}-{account}-{self._actions}")
                if name == "appear":
                    done[name] = life.appear(session, rng, account, count, rtype)
                elif name == "change":
                    done[name] = life.change(session, rng, account, count)
                else:
                    done[name] = life.vanish(session, rng, account, count)
        return done

    def _show(self) -> dict:
        out = self.knobs.show()
        if self.state.path is not None:
            with self.state.session() as session, session.snapshot():
                rows = session.conn.execute(
                    "SELECT account, rtype, COUNT(*) FROM cmp_resources GROUP BY account, rtype ORDER BY account, rtype"
                ).fetchall()
            counts: dict = {}
            for account, rtype, n in rows:
                counts.setdefault(account, {})[rtype] = n
            out["state_path"] = str(self.state.path)
            out["counts"] = counts
        return out

    def on_reset(self) -> None:
        """Knobs back to their defaults, the feed's file back to its seeded state."""
        self.knobs.reset()
        self._actions = 0
        self.state.reset()

    def on_serve(self, server) -> None:
        """Bind the feed's file beside the server's state (seeding it if missing or a reset is due)."""
        self.state.bind(server.state_path)

    def server_attributes(self, server) -> dict:
        """`cmp_url` (the feed's API root) and `cmp_token`."""
        return {"cmp_url": f"{server.url}/cmp/api", "cmp_token": self.knobs.get("token")}

    def banner(self, server) -> list[str]:
        """Where it is and how to authenticate."""
        return [
            f"{server.url}/cmp/api/accounts (Authorization: Bearer <token>: the `token` knob, docs/sandbox.md)",
            f"state: {self.state.path}",
        ]


__all__ = ["CmpFeedModule"]
