"""Failed staff logins are rate-limited (django-axes) and logged, through the real admin login view.

Lockout is per username + client IP: after LOGIN_FAILURE_LIMIT failures that pair is refused
(HTTP 429) even with the right password, until LOGIN_COOLOFF_MINUTES have passed or an
operator runs `manage.py axes_reset_username USER`.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

ROOT = Path(__file__).resolve().parents[3]
LOGIN_URL = "/admin/login/?next=/admin/"
PASSWORD = "right-password-123"  # noqa: S105 - test-only credential
WRONG = "wrong-password-456"  # a string that must never reach a log line


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Every attempt hashes a password (a wrong one too); PBKDF2 would make these tests slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user("staff", "staff@example.com", PASSWORD, is_staff=True)


def attempt(client: Client, username: str, password: str):
    return client.post(LOGIN_URL, {"username": username, "password": password})


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def lock_out(client: Client, username: str):
    """Fail exactly LOGIN_FAILURE_LIMIT times; return the responses."""
    return [attempt(client, username, WRONG) for _ in range(settings.AXES_FAILURE_LIMIT)]


def failure_records(caplog, username: str) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name.startswith("axes")
        and r.levelno == logging.WARNING
        and r.getMessage().startswith(("AXES: New login failure", "AXES: Repeated login failure"))
        and username in r.getMessage()
    ]


def test_configured_defaults():
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=15)


def test_env_vars_set_limit_and_cooloff():
    code = (
        "from django.conf import settings; "
        "print(settings.AXES_FAILURE_LIMIT, int(settings.AXES_COOLOFF_TIME.total_seconds()))"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_ENV")}
    env.update(LOGIN_FAILURE_LIMIT="3", LOGIN_COOLOFF_MINUTES="2")
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["3", "120"]


def test_failures_lock_out_even_the_right_password_and_each_is_logged(client, staff, caplog):
    caplog.set_level(logging.INFO)

    responses = lock_out(client, "staff")

    # Below the limit: the ordinary form error; at the limit: the lockout page.
    assert [r.status_code for r in responses[:-1]] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert all(b"Please enter the correct username and password" in r.content for r in responses[:-1])
    assert responses[-1].status_code == 429
    assert b"too many login attempts" in responses[-1].content

    locked = attempt(client, "staff", PASSWORD)
    assert locked.status_code == 429
    assert not logged_in(client)
    assert client.get("/admin/").status_code == 302  # still sent to the login page

    # One log line per failed attempt (the one with the right password during the lockout
    # counts too), carrying the username and IP but never a password.
    records = failure_records(caplog, "staff")
    assert len(records) == settings.AXES_FAILURE_LIMIT + 1
    assert all("127.0.0.1" in r.getMessage() for r in records)
    assert any("Locking out" in r.getMessage() for r in caplog.records)
    assert WRONG not in caplog.text
    assert PASSWORD not in caplog.text
    # ... nor in the stored attempt the admin shows.
    stored = AccessAttempt.objects.get(username="staff")
    assert WRONG not in stored.post_data and PASSWORD not in stored.post_data


def test_lockout_is_per_username_and_ip(client, staff):
    get_user_model().objects.create_user("other", "other@example.com", PASSWORD, is_staff=True)
    lock_out(client, "staff")
    assert attempt(client, "staff", PASSWORD).status_code == 429

    other_user = Client()
    assert attempt(other_user, "other", PASSWORD).status_code == 302
    assert logged_in(other_user)

    same_user_elsewhere = Client(REMOTE_ADDR="10.0.0.7")
    assert attempt(same_user_elsewhere, "staff", PASSWORD).status_code == 302
    assert logged_in(same_user_elsewhere)


def test_lockout_expires_after_the_cooloff(client, staff):
    lock_out(client, "staff")
    assert attempt(client, "staff", PASSWORD).status_code == 429

    # Let the cool-off pass (attempt_time is when the pair was last refused).
    AccessAttempt.objects.filter(username="staff").update(
        attempt_time=AccessAttempt.objects.get(username="staff").attempt_time
        - settings.AXES_COOLOFF_TIME
        - timedelta(seconds=1)
    )

    response = attempt(client, "staff", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert logged_in(client)


def test_lockout_is_still_on_just_before_the_cooloff_ends(client, staff):
    lock_out(client, "staff")
    AccessAttempt.objects.filter(username="staff").update(
        attempt_time=AccessAttempt.objects.get(username="staff").attempt_time
        - settings.AXES_COOLOFF_TIME
        + timedelta(seconds=30)
    )
    assert attempt(client, "staff", PASSWORD).status_code == 429


def test_operator_unlocks_with_axes_reset_username(client, staff):
    lock_out(client, "staff")
    assert attempt(client, "staff", PASSWORD).status_code == 429

    call_command("axes_reset_username", "staff")

    assert attempt(client, "staff", PASSWORD).status_code == 302
    assert logged_in(client)


def test_success_below_the_limit_is_unaffected_and_resets_the_count(client, staff):
    below = settings.AXES_FAILURE_LIMIT - 1
    for _ in range(below):
        assert attempt(client, "staff", WRONG).status_code == 200

    response = attempt(client, "staff", PASSWORD)
    assert response.status_code == 302
    assert logged_in(client)

    # The success wiped the count: as many failures again still do not lock out.
    client.logout()
    for _ in range(below):
        assert attempt(client, "staff", WRONG).status_code == 200
    assert attempt(client, "staff", PASSWORD).status_code == 302
