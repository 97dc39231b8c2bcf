"""Read API fixtures for every test directory (loaded by tests/conftest.py's `pytest_plugins`):
users in the roles, their tokens, clients that send them, and `fresh_throttle`, which the API
test directories make autouse in their conftest."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from channelhub.models.tokens import ApiToken
from channelhub.roles import READONLY, ensure_roles


@pytest.fixture
def fresh_throttle():
    cache.clear()  # throttling counts live in the cache: each test starts with a full budget
    yield
    cache.clear()


@pytest.fixture
def make_token(django_user_model):
    def make(username="reader", groups=(READONLY,), **token_fields) -> tuple[ApiToken, str]:
        ensure_roles()
        user, _ = django_user_model.objects.get_or_create(username=username)
        for name in groups:
            user.groups.add(Group.objects.get(name=name))
        token, plain = ApiToken.issue(user=user, name=f"{username} token")
        # Marked used: the first request then does not write last_used_at (pinned query counts).
        token.last_used_at = timezone.now()
        for key, value in token_fields.items():
            setattr(token, key, value)
        token.save()
        return token, plain

    return make


@pytest.fixture
def reader_token(make_token):
    return make_token()


@pytest.fixture
def api(reader_token):
    """An APIClient with the readonly user's token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {reader_token[1]}")
    return client


@pytest.fixture
def anon():
    return APIClient()
