"""`Authorization: Bearer <token>` authentication for the read API."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header

from channelhub.models.tokens import ApiToken, hash_token

from .statements import PreparedModelQuery

# `last_used_at` is written at most this often per token: a busy client must not turn every
# read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)

# The token with its user, by hash: compiled once, so a request pays for the query only.
_TOKEN_BY_HASH = PreparedModelQuery(
    lambda key_hash: ApiToken.objects.select_related("user").filter(key_hash=key_hash)
)


class BearerTokenAuthentication(BaseAuthentication):
    """Authenticates an `ApiToken`; `request.auth` is the token (throttling keys on it).

    One query per request (token and user together), compiled once per process: the token
    is read fresh every time, so a revocation or a deactivated user counts at once. A
    missing header lets the next authenticator try; a wrong, expired or revoked token is a
    401, never a fallback.
    """

    keyword = "Bearer"

    def authenticate(self, request):
        """(user, token), None without a Bearer header; 401 for a wrong, revoked or expired token."""
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Invalid Authorization header: expected 'Bearer <token>'.")
        try:
            plain = parts[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        token = _TOKEN_BY_HASH.get(hash_token(plain))
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("Token revoked.")
        if token.is_expired:
            raise exceptions.AuthenticationFailed("Token expired.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token.user, token

    def authenticate_header(self, request):
        """`Bearer`, so DRF answers 401 with WWW-Authenticate rather than 403 when unauthenticated."""
        # Makes DRF answer 401 (with WWW-Authenticate) rather than 403 when unauthenticated.
        return self.keyword


class StaffSessionAuthentication(SessionAuthentication):
    """The admin's session, for staff browsing the API in a browser (CSRF-checked as usual)."""

    def authenticate(self, request):
        """The session's user only if staff; anyone else is left to the other authenticators (None)."""
        result = super().authenticate(request)
        if result is None or not result[0].is_staff:
            return None
        return result
