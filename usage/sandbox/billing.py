"""Listings and Connect's subscriptions API (recurring assets, billing requests) in the sandbox:
what `usage/sandbox/__init__.py` calls (`COLLECTIONS`, `rules()`, `seed()`, `tick()`).

The pieces: billing_collections.py (tables, indexed columns), billing_shapes.py (documents and
calendar periods), billing_seed.py (seeded from Connect's assets), billing_life.py (tick, and the
writes the API shares), billing_routes.py (the HTTP routes). Imports only the sandbox kit.
"""

from __future__ import annotations

from channelhub.sandbox.common import now_iso

from . import billing_life, billing_routes, billing_seed
from .billing_collections import ALL

COLLECTIONS = list(ALL)


def rules() -> list:
    """/listings, /subscriptions/assets, /subscriptions/requests (+ create, attributes) under /public/v1."""
    return billing_routes.rules()


def seed(session, seed_value: int, scale: int) -> dict:
    """Listings, recurring assets and billing requests derived from Connect's seeded world; returns counts."""
    return billing_seed.seed(session, seed_value, scale)


def tick(session, rng) -> dict:
    """Follow Connect's changed assets, bill the assets that are due, touch a request's attributes."""
    return billing_life.tick(session, rng, now_iso())
