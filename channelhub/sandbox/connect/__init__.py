"""The fake CloudBlue Connect: /public/v1/... (collections, RQL, actions), its seed and its life."""

from __future__ import annotations

from typing import Any

from ..module import BaseModule
from . import collections, life, routes, seed


class ConnectModule(BaseModule):
    """A `SandboxModule` (module.py). Its errors are the core's default format, so it owns no
    path; it has no knobs. Adds `connect_url` (the API root, /public/v1) to SandboxServer."""

    name = "connect"
    title = "Connect"
    prefix = routes.PREFIX
    collections = collections.ALL

    def rules(self):
        """Connect's read routes and actions under /public/v1."""
        return routes.rules()

    def seed(self, session, seed_value: int, scale: int) -> dict:
        """The seeded Connect world (seed/__init__.py); returns its counts."""
        return seed.seed(session, seed_value, scale)

    def tick(self, session, rng) -> dict:
        """New requests, answered inquiries and touched objects (life.py)."""
        return life.tick(session, rng)

    def server_attributes(self, server) -> dict[str, Any]:
        """`connect_url`: the API root, /public/v1 on the server's URL."""
        return {"connect_url": server.url + self.prefix}

    def banner(self, server) -> list[str]:
        """The API root and the header it wants."""
        return [
            f"{server.url}{self.prefix}  (header  Authorization: ApiKey SU-000-000-000:sandbox ;"
            " any non-empty key works)"
        ]


__all__ = ["ConnectModule"]
