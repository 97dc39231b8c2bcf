"""Fixtures for the Connect tests that need the sandbox mirrored and users in each role."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from tests.channelhub.actions.conftest import sync_mirror


@pytest.fixture
def mirrored(connect_settings, settings):
    """The sandbox's Connect world mirrored; retries immediate so tests need not wait."""
    settings.ACTION_RETRY_BACKOFF = 0
    settings.AUTOMATION_RETRY_SECONDS = 0
    sync_mirror()
    return connect_settings


def _user(role: str, username: str, **extra):
    user = get_user_model().objects.create_user(
        username=username, password="pw-long-enough-123", is_staff=True, **extra
    )
    user.groups.add(Group.objects.get(name=role))
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def supervisor(db):
    return _user("supervisor", "sam")


@pytest.fixture
def support(db):
    return _user("support", "sue", email="sue@example.com")
