"""API tokens live 90 days unless asked otherwise (issue 15): the command, the admin, the README."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from channelhub.models.tokens import DEFAULT_LIFETIME_DAYS, ApiToken
from tests.paths import ROOT

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(django_user_model):
    return django_user_model.objects.create_user(username="reader", password="pw-long-enough-123")


def _issue(*args) -> tuple[ApiToken, str, str]:
    out, err = StringIO(), StringIO()
    call_command("issue_api_token", "reader", *args, stdout=out, stderr=err)
    return ApiToken.objects.get(), out.getvalue().strip(), err.getvalue()


def _days_left(token: ApiToken) -> float:
    return (token.expires_at - timezone.now()) / timedelta(days=1)


def test_a_token_expires_after_90_days_by_default(reader):
    token, plain, said = _issue()
    assert DEFAULT_LIFETIME_DAYS == 90
    assert 89.9 < _days_left(token) <= 90
    assert f"expires {token.expires_at:%Y-%m-%d}" in said
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert client.get("/api/v1/channelhub/sync-runs").status_code == 403  # authenticated, no role


def test_expires_never_gives_a_token_without_expiry(reader):
    token, _, said = _issue("--expires", "never")
    assert token.expires_at is None and "never expires" in said


def test_expires_takes_a_number_of_days(reader):
    token, _, _ = _issue("--expires", "7")
    assert 6.9 < _days_left(token) <= 7


@pytest.mark.parametrize(("value", "message"), [("soon", "number of days or 'never'"), ("-3", "positive")])
def test_expires_refuses_anything_else(reader, value, message):
    with pytest.raises(CommandError, match=message):
        _issue("--expires", value)
    assert not ApiToken.objects.exists()


def test_an_expired_token_is_refused(reader):
    token, plain, _ = _issue("--expires", "1")
    token.expires_at = timezone.now() - timedelta(seconds=1)
    token.save(update_fields=["expires_at"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert client.get("/api/v1/channelhub/sync-runs").status_code == 401


def test_the_admin_form_starts_90_days_ahead_and_empty_means_never(admin_client, reader):
    form = admin_client.get(reverse("admin:channelhub_apitoken_add")).context["adminform"].form
    assert 89.9 < (form.initial["expires_at"] - timezone.now()) / timedelta(days=1) <= 90
    admin_client.post(reverse("admin:channelhub_apitoken_add"), {"user": reader.pk, "name": "forever"})
    assert ApiToken.objects.get(name="forever").expires_at is None
    admin_client.post(
        reverse("admin:channelhub_apitoken_add"),
        {"user": reader.pk, "name": "dated", "expires_at_0": "2031-01-01", "expires_at_1": "00:00:00"},
    )
    assert ApiToken.objects.get(name="dated").expires_at.year == 2031


def test_the_readme_says_tokens_expire_after_90_days():
    readme = (ROOT / "README.md").read_text()
    assert "expires after 90 days" in readme and "--expires DAYS|never" in readme
