"""Fixtures of the Channel tests: users in each role, and Channel pointed nowhere (services
then validate against the mirror only) unless a test asks for the sandbox."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group


@pytest.fixture
def no_channel(settings):
    """Channel not configured: the services' upstream reads fall back to the mirror."""
    settings.CHANNEL_API_URL = ""
    settings.CHANNEL_ACCOUNT_ID = "C0test"
    return settings


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
        return get_user_model().objects.get(pk=user.pk)

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


@pytest.fixture
def mirrored(channel_settings, settings):
    """The sandbox's Channel world mirrored; retries immediate; short LRO waits."""
    from .helpers import sync_channel  # noqa: PLC0415 - imports the streams: after Django setup

    settings.ACTION_RETRY_BACKOFF = 0
    settings.CHANNEL_LRO_WAIT_SECONDS = 5
    sync_channel()
    return channel_settings


@pytest.fixture
def upstream(mirrored):
    """The sandbox's truth, read with Google's discovery client (helpers.Upstream)."""
    from .helpers import Upstream  # noqa: PLC0415 - the same

    return Upstream(mirrored)
