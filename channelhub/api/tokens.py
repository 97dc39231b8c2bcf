"""Issuing, changing and revoking API tokens: security events, so each is a service and audited.

The plain secret is returned once by `token_issue` and never stored, logged or audited; the
audit event names the token by its id, name, owner and prefix.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from channelhub.actions.services import audit
from channelhub.models.tokens import DEFAULT_LIFETIME_DAYS, ApiToken
from channelhub.services import ServiceError, require_perm


def _describe(token: ApiToken) -> dict:
    return {
        "name": token.name,
        "user": token.user.get_username(),
        "key_prefix": token.key_prefix,
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


def _audit(actor, action: str, token: ApiToken, before: dict | None, message: str = "") -> None:
    audit(
        actor=actor,
        action=action,
        target_type="api_token",
        target_id=str(token.pk),
        message=message,
        before=before,
        after=_describe(token),
    )


def token_issue(
    *,
    actor,
    user,
    name: str,
    expires_in_days: int | None = DEFAULT_LIFETIME_DAYS,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Issue a token for `user`; returns it with the plain secret (shown once, never stored).

    It expires after `expires_in_days` (90 unless told; None: never), or at `expires_at` when
    that is given (the admin's form, whose field starts 90 days ahead and may be emptied).
    """
    require_perm(actor, "channelhub.add_apitoken", "issue API tokens")
    if not user.is_active:
        raise ServiceError(f"User {user.get_username()!r} is inactive: its tokens would not authenticate.")
    with transaction.atomic():
        days = None if expires_at is not None else expires_in_days
        token, plain = ApiToken.issue(user=user, name=name, expires_in_days=days)
        if expires_at is not None:
            token.expires_at = expires_at
            token.save(update_fields=["expires_at"])
        _audit(actor, "token.issued", token, None, f"{token.name!r} for {user.get_username()}")
    return token, plain


def token_change(*, actor, token: ApiToken, name: str, expires_at: datetime | None) -> ApiToken:
    """Rename a token or change when it expires (extending a token's life is audited too)."""
    require_perm(actor, "channelhub.change_apitoken", "change API tokens")
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
        before = _describe(token)
        token.name, token.expires_at = name, expires_at
        token.full_clean()
        token.save(update_fields=["name", "expires_at"])
        if _describe(token) != before:
            _audit(actor, "token.changed", token, before)
    return token


def token_revoke(*, actor, token: ApiToken, reason: str = "") -> bool:
    """Revoke a token at once; False if it was already revoked."""
    require_perm(actor, "channelhub.change_apitoken", "revoke API tokens")
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
        if token.revoked_at is not None:
            return False
        before = _describe(token)
        token.revoke()
        _audit(actor, "token.revoked", token, before, reason)
    return True
