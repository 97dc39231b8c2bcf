"""The fake CloudBlue Connect: /public/v1/... (collections, RQL, actions), its seed and its life."""

from __future__ import annotations

from typing import Any

from ..module import BaseModule
from . import collections, life, routes, seed


class ConnectModule(BaseModule):
    """A `SandboxModule` (module.py). Its errors are the core's default format, so it owns no
    path; it has no knobs. Adds `connect_url` (the API root, /public/v1) to SandboxServer."""

    name = "connect"
    prefix = routes.PREFIX
    collections = collections.ALL

    def rules(self):
        return routes.rules()

    def seed(self, session, seed_value: int, scale: int) -> dict:
        return seed.seed(session, seed_value, scale)

    def tick(self, session, rng) -> dict:
        return life.tick(session, rng)

    def server_attributes(self, server) -> dict[str, Any]:
        return {"connect_url": server.url + self.prefix}


__all__ = ["ConnectModule"]
