"""The fake Connect usage and subscriptions upstream (/public/v1/usage/..., /listings,
/subscriptions/...), served by the sandbox beside the core's Connect. Imports no Django: only
the sandbox kit (channelhub.sandbox)."""

from __future__ import annotations

from channelhub.sandbox.module import BaseModule

from . import billing


class UsageModule(BaseModule):
    """A `SandboxModule`: Connect's usage API and its billing side, on Connect's prefix."""

    name = "usage"
    title = "Connect usage"
    collections = tuple(billing.COLLECTIONS)

    def rules(self):
        """Usage, listing and subscription routes under /public/v1."""
        return billing.rules()

    def seed(self, session, seed_value: int, scale: int) -> dict:
        """Seeded after Connect's world (it reads its products, assets and contracts)."""
        return billing.seed(session, seed_value, scale)

    def tick(self, session, rng) -> dict:
        """One step of usage and billing life."""
        return billing.tick(session, rng)

    def banner(self, server) -> list[str]:
        """Where it is (on Connect's API root)."""
        return [f"{server.url}/public/v1/usage/files, /listings, /subscriptions/assets (Connect's key)"]


__all__ = ["UsageModule"]
