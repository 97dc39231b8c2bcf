"""Staff MFA: enrolling a TOTP app with recovery codes, verifying after login where the role
requires it (admin and a session's API calls, never a token), and the audit trail of logins
and MFA events, which never holds a secret or a code."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from channelhub.actors import system_actor
from channelhub.api.tokens import token_issue
from channelhub.mfa.views import SETUP_KEY
from channelhub.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-enough-pw-123"  # noqa: S105 - a test user's
SETUP, VERIFY = "/admin/mfa/setup/", "/admin/mfa/verify/"


def _staff(django_user_model, role: str):
    user = django_user_model.objects.create_user(role, f"{role}@example.com", PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def _code(hex_key: str, offset: int = 0) -> str:
    """The code an authenticator app shows now (offset in 30 s steps) for a hex key."""
    return f"{totp(bytes.fromhex(hex_key), t0=-offset * 30):06d}"


def _wrong(hex_key: str) -> str:
    """A six-digit code that no step near now accepts."""
    near = {_code(hex_key, offset) for offset in range(-2, 3)}
    return next(c for c in (f"{n:06d}" for n in range(1_000_000)) if c not in near)


def _enrol(client: Client) -> tuple[str, list[str]]:
    """Enrol through the setup page; the device's key and the recovery codes it showed."""
    client.get(SETUP)
    key = client.session[SETUP_KEY]
    page = client.post(SETUP, {"code": _code(key)})
    assert page.status_code == 200, page.content
    return key, re.findall(r"<li><code>(\w+)</code></li>", page.content.decode())


def _secrets_in_audit() -> str:
    return " ".join(
        str(v)
        for row in AuditEvent.objects.values_list("message", "before", "after", "target_id", "actor_name")
        for v in row
    )


def _wait_out_throttling(user) -> None:
    """As if the user waited: django-otp refuses any code for a while after a failure."""
    TOTPDevice.objects.filter(user=user).update(
        throttling_failure_timestamp=timezone.now() - timedelta(minutes=5)
    )


@pytest.fixture
def required(settings):
    """Production's default: supervisors and superusers must verify."""
    settings.MFA_REQUIRED_FOR = ("supervisor", "superuser")


def test_a_wrong_code_enrols_nothing(client, django_user_model):
    client.force_login(_staff(django_user_model, "support"))
    page = client.get(SETUP)
    key = client.session[SETUP_KEY]
    assert page.status_code == 200
    assert f"secret={page.context['enrolment'].secret}" in page.context["enrolment"].uri
    wrong = _wrong(key)
    page = client.post(SETUP, {"code": wrong})
    assert page.status_code == 200 and "not the current one" in page.content.decode()
    assert not TOTPDevice.objects.exists() and not StaticDevice.objects.exists()
    assert AuditEvent.objects.filter(action="mfa.enrol_failed").count() == 1


def test_the_right_code_enrols_a_device_and_ten_recovery_codes(client, django_user_model):
    user = _staff(django_user_model, "support")
    client.force_login(user)
    key, codes = _enrol(client)
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed and device.key == key
    assert len(codes) == 10 and len(set(codes)) == 10
    assert sorted(StaticToken.objects.filter(device__user=user).values_list("token", flat=True)) == sorted(
        codes
    )
    assert SETUP_KEY not in client.session
    event = AuditEvent.objects.get(action="mfa.enrolled")
    assert (event.actor, event.target_type, event.target_id) == (user, "auth.user", str(user.pk))
    # The codes are shown once: the setup page now offers a new secret, not the old codes.
    assert not any(code in client.get(SETUP).content.decode() for code in codes)


def test_a_supervisor_is_sent_to_verify_until_a_good_code(required, django_user_model):
    supervisor = _staff(django_user_model, "supervisor")
    client = Client()
    client.force_login(supervisor)
    # No device yet: every admin page leads to setup, which enrols and verifies the session.
    page = client.get("/admin/")
    assert page.status_code == 302 and page["Location"].startswith(SETUP)
    key, _ = _enrol(client)
    assert client.get("/admin/").status_code == 200
    # A new session (a new login) must verify again.
    client = Client()
    client.force_login(supervisor)
    page = client.get("/admin/channelhub/auditevent/")
    assert page.status_code == 302
    assert page["Location"] == VERIFY + "?next=%2Fadmin%2Fchannelhub%2Fauditevent%2F"
    assert client.get(VERIFY).status_code == 200  # the MFA pages themselves stay open
    assert client.get("/api/v1/").status_code == 403  # so does a session's API call: refused
    page = client.post(VERIFY, {"code": _wrong(key)})
    assert page.status_code == 200 and "not accepted" in page.content.decode()
    assert client.get("/admin/").status_code == 302
    _wait_out_throttling(supervisor)
    # The enrolment used this step's code (never twice): the next step's is accepted.
    page = client.post(VERIFY, {"code": _code(key, offset=1), "next": "/admin/channelhub/auditevent/"})
    assert page.status_code == 302 and page["Location"] == "/admin/channelhub/auditevent/"
    assert client.get("/admin/channelhub/auditevent/").status_code == 200
    assert client.get("/api/v1/").status_code == 200
    assert AuditEvent.objects.filter(action="mfa.verify_failed", actor=supervisor).count() == 1
    assert AuditEvent.objects.filter(action="mfa.verified", actor=supervisor).count() == 1


def test_a_token_is_not_asked_for_a_second_factor(required, client, django_user_model):
    supervisor = _staff(django_user_model, "supervisor")
    _, plain = token_issue(actor=system_actor(), user=supervisor, name="ci", expires_in_days=1)
    assert client.get("/api/v1/", HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 200


def test_a_recovery_code_works_once(required, django_user_model):
    supervisor = _staff(django_user_model, "supervisor")
    client = Client()
    client.force_login(supervisor)
    _, codes = _enrol(client)
    for attempt in ("first", "second"):
        client = Client()
        client.force_login(supervisor)
        page = client.post(VERIFY, {"code": codes[0]})
        if attempt == "first":
            assert page.status_code == 302 and client.get("/admin/").status_code == 200
        else:
            assert page.status_code == 200 and client.get("/admin/").status_code == 302
    assert StaticToken.objects.filter(device__user=supervisor).count() == 9
    used = AuditEvent.objects.get(action="mfa.recovery_code_used")
    assert used.actor == supervisor and "9 left" in used.message
    assert AuditEvent.objects.filter(action="mfa.verify_failed").count() == 1


def test_support_is_not_required_to_verify(required, client, django_user_model):
    client.force_login(_staff(django_user_model, "support"))
    assert client.get("/admin/").status_code == 200
    assert client.get("/api/v1/").status_code == 200


def test_nobody_is_required_outside_production_by_default(client, django_user_model):
    client.force_login(_staff(django_user_model, "supervisor"))
    assert client.get("/admin/").status_code == 200


def test_a_superuser_is_required(required, client, admin_user):
    client.force_login(admin_user)
    page = client.get("/admin/")
    assert page.status_code == 302 and page["Location"].startswith(SETUP)


def test_logins_logouts_and_mfa_events_are_audited_without_secrets(required, django_user_model):
    supervisor = _staff(django_user_model, "supervisor")
    client = Client()
    login = reverse("admin:login")
    page = client.post(login, {"username": "supervisor", "password": "wrong-password-xyz"})
    assert page.status_code == 200  # the form again, refused
    page = client.post(login, {"username": "supervisor", "password": PASSWORD, "next": "/admin/"})
    assert page.status_code == 302
    key, codes = _enrol(client)
    wrong = _wrong(key)
    client.post(VERIFY, {"code": wrong})  # refused (the session stays verified; the code is wrong)
    client.post(reverse("admin:logout"))
    client = Client()
    client.force_login(supervisor)
    client.post(VERIFY, {"code": codes[1]})

    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert failed.target_id == "supervisor" and failed.actor is None
    assert AuditEvent.objects.get(action="auth.login").actor == supervisor
    assert AuditEvent.objects.get(action="auth.logout").actor == supervisor
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"mfa.enrolled", "mfa.verify_failed", "mfa.recovery_code_used"} <= actions
    text = _secrets_in_audit()
    device = TOTPDevice.objects.get(user=supervisor)
    secrets = [key, device.key, "wrong-password-xyz", PASSWORD, *codes, _code(key), wrong]
    assert not [s for s in secrets if s in text]
