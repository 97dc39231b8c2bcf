"""Fixtures for the fulfillment mirror tests: real Connect payloads and admin users."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from tests.fulfillment.connect.factories import load_fixture


@pytest.fixture(autouse=True)
def _fresh_throttle(fresh_throttle):
    """The API tests here start with a full throttling budget (tests/plugins/api_clients.py)."""


@pytest.fixture
def connect_fixture():
    """`connect_fixture("fulfillment_request.json")` -> a fresh copy of a real Connect payload."""
    return load_fixture


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", "pw")


@pytest.fixture
def viewer(db):
    """A staff user who may only *view* the mirror and the sync state: the read-only group."""
    user = get_user_model().objects.create_user("viewer", "viewer@example.com", "pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=("fulfillment", "channelhub"), codename__startswith="view_"
        )
    )
    return user


@pytest.fixture(params=["superuser", "viewer"])
def admin_user_client(request, client):
    """The Django test client logged in as a superuser, then as a view-only staff user."""
    user = request.getfixturevalue(request.param)
    client.force_login(user)
    return client
