"""Deterministic Connect world for a seed and a scale (N fulfillment requests).

Same seed + scale -> byte-identical documents: every timestamp is the fixed EPOCH plus a seeded
offset, every id comes from the seeded RNG. One RNG runs through the steps below in this order,
so a step may not draw more, fewer or differently ordered numbers without changing the world:

1. `catalog.build_world`: provider, vendors, hubs, marketplaces, products (4..14, slowly with N);
   `documents.put_reference_docs` writes them (no draws);
2. `accounts.seed_accounts`: tier-2 and tier-1 resellers, customers (~assets/2);
3. `requests.seed_requests`: assets (~N/1.7) and their 1..5 requests, with conversations;
4. `tier_configs.seed_tier_configs`: tier configs per reseller and product sold, tier config
   requests (~N/10, min 6, tier-1 only), with conversations.

One conversation per request and per TCR, with 1..3 messages (`conversations.py`).
"""

from __future__ import annotations

import random

from ...store import Session
from ..collections import ALL
from .accounts import seed_accounts
from .base import Seeding
from .catalog import build_world, product_templates
from .documents import put_reference_docs
from .requests import seed_requests
from .tier_configs import seed_tier_configs


def seed(session: Session, seed: int, scale: int) -> dict:
    """Fill an empty database (inside Store.building) with the seeded world. Returns counts."""
    rng = random.Random(f"connect-{seed}")
    scale = max(1, int(scale))
    world = build_world(rng, scale)
    s = Seeding(session=session, rng=rng, scale=scale, world=world)
    put_reference_docs(session, world)
    accounts = seed_accounts(s)
    seed_requests(s, accounts)
    seed_tier_configs(s, accounts)
    session.set_meta("connect.world", world)
    return s.counts


__all__ = ["ALL", "build_world", "product_templates", "seed"]
