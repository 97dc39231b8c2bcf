"""Sends a signed-in user whose role needs MFA (`MFA_REQUIRED_FOR`) to verify before anything else.

On the admin: every page but the MFA pages, login, logout and the JavaScript catalogue
redirects to `/admin/mfa/verify/` (or `/admin/mfa/setup/` without a device), `next` kept.
On the API a staff *session* is refused the same way (403); a Bearer token is not a session
and is left to the token authentication alone. Static files never get here (whitenoise).
"""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from channelhub.mfa import services

OPEN_ADMIN_PAGES = ("admin:login", "admin:logout", "admin:jsi18n", "mfa-setup", "mfa-verify")


class MfaRequiredMiddleware:
    """After django-otp's OTPMiddleware: the session's second factor, enforced per role."""

    def __init__(self, get_response):
        """Keep the next handler; the open paths are resolved on first use (URL conf loaded)."""
        self.get_response = get_response
        self._open: tuple[str, ...] | None = None

    def __call__(self, request):
        """Redirect (admin) or refuse (API) a required, unverified session; pass anything else."""
        refusal = self._refusal(request)
        return refusal if refusal is not None else self.get_response(request)

    def _open_paths(self) -> tuple[str, ...]:
        if self._open is None:
            self._open = tuple(reverse(name) for name in OPEN_ADMIN_PAGES)
        return self._open

    def _refusal(self, request):
        path = request.path_info
        api = path.startswith("/api/")
        if not (api or path.startswith("/admin/")) or path.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return None
        if api and request.headers.get("Authorization", "").split(" ", 1)[0].lower() == "bearer":
            return None  # a token, not the session, authenticates this request
        user = request.user
        if not user.is_authenticated or services.is_verified(request) or not services.mfa_required(user):
            return None
        if api:
            return JsonResponse({"detail": "Verify your second factor in the back office first."}, status=403)
        if path in self._open_paths():
            return None
        target = "mfa-verify" if services.has_device(user) else "mfa-setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
