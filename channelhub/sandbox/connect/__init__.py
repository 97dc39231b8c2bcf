"""The fake CloudBlue Connect: /public/v1/... (collections, RQL, actions), its seed and its life."""

from __future__ import annotations

from . import collections, life, routes, seed


class ConnectModule:
    name = "connect"
    prefix = routes.PREFIX
    collections = collections.ALL

    def rules(self):
        return routes.rules()

    def seed(self, session, seed_value: int, scale: int) -> dict:
        return seed.seed(session, seed_value, scale)

    def tick(self, session, rng) -> dict:
        return life.tick(session, rng)


__all__ = ["ConnectModule"]
