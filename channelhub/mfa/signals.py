"""Logins, failed logins and logouts into the audit trail (`channelhub.actions.services.audit`).

django-axes already logs and counts failures; this adds them to the audit trail beside every
other staff event. The username is kept, never the password. Only logins of a real HTTP
request are recorded: a login made by code outside one (a test client's `force_login`, a
shell) is not a person signing in.
"""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from channelhub.actions.services import audit

USERNAME_MAX = 255  # AuditEvent.target_id's length


def _from_request(request) -> bool:
    """Whether the signal came from a real request (it has a path), not a login made in code."""
    return request is not None and bool(getattr(request, "path", ""))


def _client(request) -> str:
    """Where the request came from, for the event's message (the proxy's address behind one)."""
    return request.META.get("REMOTE_ADDR", "") or "unknown address"


def _audit(actor, action: str, target_type: str, target_id: str, message: str) -> None:
    audit(actor=actor, action=action, target_type=target_type, target_id=target_id, message=message)


@receiver(user_logged_in, dispatch_uid="channelhub.mfa.login")
def audit_login(sender, request, user, **kwargs):
    """`auth.login`: who signed in, from where."""
    if _from_request(request):
        _audit(user, "auth.login", "auth.user", str(user.pk), f"signed in from {_client(request)}")


@receiver(user_login_failed, dispatch_uid="channelhub.mfa.login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    """`auth.login_failed`: the username tried (never the password), from where."""
    if not _from_request(request):
        return
    username = str((credentials or {}).get("username", ""))[:USERNAME_MAX]
    _audit(None, "auth.login_failed", "auth.username", username, f"sign-in refused from {_client(request)}")


@receiver(user_logged_out, dispatch_uid="channelhub.mfa.logout")
def audit_logout(sender, request, user, **kwargs):
    """`auth.logout`: who signed out (nothing when the session had no user)."""
    if user is not None and _from_request(request):
        _audit(user, "auth.logout", "auth.user", str(user.pk), "signed out")
