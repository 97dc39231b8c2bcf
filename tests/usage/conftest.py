"""Fixtures of the usage tests: staff users of a role, logged in to the Django test client."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group


@pytest.fixture
def staff_user(db):
    """`staff_user(name, group)`: a new staff user in `group` (a role's group name, or None: no role)."""

    def make(name: str, group: str | None = None):
        user = get_user_model().objects.create_user(name, f"{name}@example.com", "pw", is_staff=True)
        if group:
            user.groups.add(Group.objects.get(name=group))
        return user

    return make


@pytest.fixture
def as_role(client, staff_user):
    """`as_role(role)`: the test client logged in as a new staff user `user-<role>` of that role."""

    def login(role: str):
        client.force_login(staff_user(f"user-{role}", role))
        return client

    return login
