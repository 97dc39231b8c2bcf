"""Issuing, changing and revoking API tokens are audited services; the secret is never stored."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from channelhub.actors import SYSTEM_USERNAME
from channelhub.models import AuditEvent
from channelhub.models.tokens import ApiToken

pytestmark = pytest.mark.django_db


def _all_audit_text() -> str:
    return " ".join(str(v) for v in AuditEvent.objects.values_list("message", "before", "after", "target_id"))


def test_the_admin_issues_changes_and_revokes_through_audited_services(
    admin_client, admin_user, django_user_model
):
    reader = django_user_model.objects.create_user(username="reader", password="pw-long-enough-123")
    add = reverse("admin:channelhub_apitoken_add")
    page = admin_client.post(add, {"user": reader.pk, "name": "billing", "expires_at": ""}, follow=True)
    token = ApiToken.objects.get(name="billing")
    shown = [str(m) for m in page.context["messages"]]
    plain = next(m.split("<code>")[1].split("</code>")[0] for m in shown if "<code>" in m)
    assert token.key_prefix == plain[:12]
    issued = AuditEvent.objects.get(action="token.issued")
    assert (issued.actor, issued.target_type, issued.target_id) == (admin_user, "api_token", str(token.pk))
    assert issued.after["user"] == "reader" and issued.after["name"] == "billing"

    change = reverse("admin:channelhub_apitoken_change", args=[token.pk])
    admin_client.post(change, {"name": "billing", "expires_at_0": "2031-01-01", "expires_at_1": "00:00:00"})
    changed = AuditEvent.objects.get(action="token.changed")
    assert changed.before["expires_at"] is None and changed.after["expires_at"].startswith("2031-01-01")

    changelist = reverse("admin:channelhub_apitoken_changelist")
    admin_client.post(changelist, {"action": "revoke_selected", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(action="token.revoked", target_id=str(token.pk)).count() == 1
    assert plain not in _all_audit_text()
    # Tokens are revoked, never deleted: the audit keeps naming them.
    assert admin_client.post(reverse("admin:channelhub_apitoken_delete", args=[token.pk])).status_code == 403


def test_an_inactive_users_token_is_refused_in_the_form(admin_client, django_user_model):
    gone = django_user_model.objects.create_user(username="gone", is_active=False)
    page = admin_client.post(reverse("admin:channelhub_apitoken_add"), {"user": gone.pk, "name": "x"})
    assert page.status_code == 200 and b"inactive" in page.content
    assert not ApiToken.objects.exists() and not AuditEvent.objects.exists()


def test_the_command_issues_as_the_system_actor(django_user_model):
    django_user_model.objects.create_user(username="reader", password="pw-long-enough-123")
    out = StringIO()
    call_command("issue_api_token", "reader", "--name", "ci", stdout=out, stderr=StringIO())
    plain = out.getvalue().strip()
    issued = AuditEvent.objects.get(action="token.issued")
    assert issued.actor_name == SYSTEM_USERNAME
    assert plain not in _all_audit_text()
