"""Listings and Connect's subscriptions API (recurring assets, billing requests): stub, filled in
by the sandbox work."""

from __future__ import annotations

COLLECTIONS: list = []


def rules() -> list:
    """No routes yet."""
    return []


def seed(session, seed_value: int, scale: int) -> dict:
    """Nothing seeded yet."""
    return {}


def tick(session, rng) -> dict:
    """Nothing happens yet."""
    return {}
