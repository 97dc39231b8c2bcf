"""Fixtures of the inventory tests: a full throttling budget for each API test, and staff users
of a role logged in to the Django test client."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group


@pytest.fixture(autouse=True)
def _fresh_throttle(fresh_throttle):
    """Throttling counts live in the cache: each test starts with a full budget."""


@pytest.fixture
def as_role(client, db):
    """`as_role(role)`: the test client logged in as a new staff user of that role (None: no role)."""

    def login(role: str | None):
        name = f"user-{role or 'none'}"
        user = get_user_model().objects.create_user(name, f"{name}@example.com", "pw", is_staff=True)
        if role:
            user.groups.add(Group.objects.get(name=role))
        client.force_login(user)
        return client

    return login
