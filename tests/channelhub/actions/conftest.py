"""Fixtures for outbox tests: a mirror synced from the sandbox, users in each role."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from channelhub.sync.engine import run_stream

MIRROR_STREAMS = (
    "connect.products",
    "connect.templates",
    "connect.requests",
    "connect.tier_config_requests",
    "connect.conversations",
)


def sync_mirror() -> None:
    for name in MIRROR_STREAMS:
        run = run_stream(name)
        assert run.status == "succeeded", (name, run.error)


@pytest.fixture
def mirrored(connect_settings, settings):
    """The sandbox mirrored into the database; retries immediate so tests need not wait."""
    settings.ACTION_RETRY_BACKOFF = 0
    sync_mirror()
    return connect_settings


@pytest.fixture
def make_user(db):
    def make(role: str | None, username: str | None = None, **extra):
        user = get_user_model().objects.create_user(
            username=username or f"{role or 'nobody'}-user",
            password="pw-long-enough-123",
            is_staff=True,
            **extra,
        )
        if role:
            user.groups.add(Group.objects.get(name=role))
        return get_user_model().objects.get(pk=user.pk)  # fresh: no cached permissions

    return make


@pytest.fixture
def support(make_user):
    return make_user("support", email="support@example.com")


@pytest.fixture
def supervisor(make_user):
    return make_user("supervisor")


@pytest.fixture
def readonly(make_user):
    return make_user("readonly")
