"""Per-token throttling: each token has its own budget (`API_THROTTLE_RATE`)."""

from rest_framework.throttling import UserRateThrottle

from .models import ApiToken


class TokenRateThrottle(UserRateThrottle):
    """Keys on the token when there is one, so two tokens of one user do not share a budget;
    a staff session is keyed on its user."""

    scope = "token"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
