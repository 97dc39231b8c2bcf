"""The fake Connect usage and subscriptions upstream (/public/v1/usage/..., /listings,
/subscriptions/...), served by the sandbox beside the core's Connect. Imports no Django: only
the sandbox kit (channelhub.sandbox).

Usage files, records and chunks are ours (files.py, records.py, machine.py, workbook.py, seed.py,
life.py); listings and subscriptions are billing.py's. Knobs: /_sandbox/usage (knobs.py)."""

from __future__ import annotations

from channelhub.sandbox.module import BaseModule

from . import billing, files, life, records, seed
from .collections import ALL
from .knobs import Knobs


def _merge(mine: dict, theirs: dict) -> dict:
    out = dict(mine)
    for key, value in theirs.items():
        if isinstance(value, int | float) and isinstance(out.get(key), int | float):
            out[key] += value
        else:
            out[key] = value
    return out


class UsageModule(BaseModule):
    """A `SandboxModule`: Connect's usage API and its billing side, on Connect's prefix."""

    name = "usage"
    title = "Connect usage"
    collections = (*ALL, *billing.COLLECTIONS)

    def __init__(self):
        self.knobs = Knobs()

    def rules(self):
        """Usage files, records, chunks, templates, then listing and subscription routes, under /public/v1."""
        return [*files.make_rules(self.knobs), *records.rules(), *billing.rules()]

    def seed(self, session, seed_value: int, scale: int) -> dict:
        """Seeded after Connect's world (it reads its products, assets and contracts); billing last."""
        return _merge(seed.seed(session, seed_value, scale), billing.seed(session, seed_value, scale))

    def tick(self, session, rng) -> dict:
        """One step of usage life, then of billing."""
        return _merge(life.tick(session, rng), billing.tick(session, rng))

    def control(self, method: str, body: dict) -> dict:
        """/_sandbox/usage: the knobs (`processing_seconds`)."""
        return self.knobs.control(method, body)

    def on_reset(self) -> None:
        """Knobs back to their defaults."""
        self.knobs.reset()

    def banner(self, server) -> list[str]:
        """Where it is (on Connect's API root)."""
        return [f"{server.url}/public/v1/usage/files, /listings, /subscriptions/assets (Connect's key)"]


__all__ = ["UsageModule"]
