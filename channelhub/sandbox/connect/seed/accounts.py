"""Seeded tier accounts: tier-2 resellers, tier-1 resellers (most under a tier-2) and customers."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...common import at
from .. import shapes
from .base import SPAN, Seeding


@dataclass
class Accounts:
    """The seeded tier accounts, and the tiers a customer's requests name."""

    tier2: list[dict]
    tier1: list[dict]
    customers: list[dict] = field(default_factory=list)
    parents: dict[str, dict] = field(init=False)  # resellers by id

    def __post_init__(self):
        self.parents = {a["id"]: a for a in self.tier2 + self.tier1}

    def tiers_of(self, customer: dict) -> dict:
        """The `tiers` object of a customer's assets and requests: the customer, its tier-1 and (if any)
        tier-2 reseller."""
        t1 = self.parents[customer["parent"]["id"]]
        t2 = self.parents.get((t1.get("parent") or {}).get("id", ""))
        return {
            "customer": shapes.tier_ref(customer),
            "tier1": shapes.tier_ref(t1),
            "tier2": shapes.tier_ref(t2) if t2 else {},
        }


def seed_accounts(s: Seeding) -> Accounts:
    """customers ~ assets/2 (min 5), tier-1 resellers ~ N/100 (min 3), tier-2 ~ N/400 (min 2)."""
    rng, world, taken, scale = s.rng, s.world, s.taken, s.scale
    n_assets_target = max(2, round(scale / 1.7))
    n_customers = max(5, n_assets_target // 2)
    n_tier1 = max(3, scale // 100)
    n_tier2 = max(2, scale // 400)
    tier2 = []
    for _ in range(n_tier2):
        ident = shapes.new_id(rng, "TA-0", (4, 4, 4), taken)
        tier2.append(
            shapes.tier_account(
                rng,
                ident,
                kind="reseller",
                scopes=["tier2"],
                parent=None,
                world=world,
                when=at(rng.uniform(-200, 0) * 86400),
            )
        )
    tier1 = []
    for i in range(n_tier1):
        ident = shapes.new_id(rng, "TA-0", (4, 4, 4), taken)
        parent = tier2[i % len(tier2)] if i % 5 != 4 else None  # every 5th sells directly
        tier1.append(
            shapes.tier_account(
                rng,
                ident,
                kind="reseller",
                scopes=["tier1"],
                parent=parent,
                world=world,
                when=at(rng.uniform(-200, 0) * 86400),
            )
        )
    accounts = Accounts(tier2=tier2, tier1=tier1)
    for _ in range(n_customers):
        ident = shapes.new_id(rng, "TA", (4, 4, 4), taken)
        reseller = rng.choice(tier1)
        accounts.customers.append(
            shapes.tier_account(
                rng,
                ident,
                kind="customer",
                scopes=["customer"],
                parent=reseller,
                world=world,
                when=at(rng.uniform(0, SPAN * 0.8)),
            )
        )
    s.session.put_many("tier_accounts", [(a, {}) for a in tier2 + tier1 + accounts.customers])
    return accounts
