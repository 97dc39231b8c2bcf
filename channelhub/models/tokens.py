"""API tokens: how other teams' programs authenticate to the read API.

A token belongs to a user and reads exactly what that user may read (its groups' view_*
permissions). Only a SHA-256 digest of the secret is stored: the plain token is shown once,
when it is issued (by `manage.py issue_api_token` or the admin), and cannot be recovered.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

TOKEN_PREFIX = "chb_"
#: How long a token lives unless its issuer says otherwise (`issue_api_token --expires never`, or
#: an empty "Expires at" in the admin, for a token that never expires).
DEFAULT_LIFETIME_DAYS = 90


def hash_token(plain: str) -> str:
    """The stored form of a token. SHA-256 is enough: the secret is 256 random bits, not a password."""
    return hashlib.sha256(plain.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    """The queries of API tokens: `usable()` is what authentication accepts."""

    def usable(self):
        """Tokens that authenticate now: not revoked, not expired, of an active user."""
        now = timezone.now()
        return self.filter(revoked_at__isnull=True, user__is_active=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A named, revocable, expiring bearer token of one user (`Authorization: Bearer chb_...`)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="Who or what uses it, e.g. 'billing team report job'")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(
        max_length=12, editable=False, help_text="The first characters of the token, to recognise it"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires")
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]
        verbose_name = "API token"

    def __str__(self):
        return f"{self.name} ({self.key_prefix}…, {self.user})"

    @classmethod
    def issue(
        cls, *, user, name: str, expires_in_days: int | None = DEFAULT_LIFETIME_DAYS
    ) -> tuple[ApiToken, str]:
        """Create a token, expiring after `expires_in_days` (default DEFAULT_LIFETIME_DAYS; None:
        never); returns it with the plain secret, which is never stored."""
        plain = cls.new_secret()
        token = cls(user=user, name=name)
        token.set_secret(plain)
        if expires_in_days:
            token.expires_at = timezone.now() + timedelta(days=expires_in_days)
        token.full_clean()
        token.save()
        return token, plain

    @staticmethod
    def new_secret() -> str:
        """A fresh plain token: the `chb_` prefix and 256 random bits, URL-safe."""
        return TOKEN_PREFIX + secrets.token_urlsafe(32)

    def set_secret(self, plain: str) -> None:
        """Store the digest and the recognisable first characters of `plain`, never `plain` itself."""
        self.key_hash = hash_token(plain)
        self.key_prefix = plain[:12]

    @property
    def is_expired(self) -> bool:
        """Whether the token's expiry time has passed."""
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        """Whether the token is neither revoked nor expired (its user's state is not looked at)."""
        return self.revoked_at is None and not self.is_expired

    def revoke(self) -> None:
        """Mark the token revoked now; revoking a revoked token keeps its first revocation time."""
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])
