"""Per-token throttling: each token has its own budget (`API_THROTTLE_RATE`)."""

from __future__ import annotations

import math

from rest_framework.throttling import UserRateThrottle

from channelhub.models.tokens import ApiToken


class TokenRateThrottle(UserRateThrottle):
    """Keys on the token when there is one, so two tokens of one user do not share a budget;
    a staff session is keyed on its user.

    Counts with a sliding window of two counters (this period's and the last one's, the
    last weighted by how much of it still overlaps the window) instead of DRF's list of
    every request's timestamp: DRF's list is read, decoded, encoded and written back whole
    on each request, so at 1,200/min a busy token paid for 1,200 timestamps per request.
    Two integers cost the same at any rate, and `incr` is atomic in a shared cache (Redis).
    """

    scope = "token"

    def get_cache_key(self, request, view):
        """The token's key when a token authenticated, else the user's, else the client address."""
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view):
        """Allow unless this period's count plus the overlapping share of the last one reach the rate."""
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = self.timer()
        period = int(now // self.duration)
        self._into_period = now - period * self.duration
        current_key, previous_key = f"{key}:{period}", f"{key}:{period - 1}"
        counts = self.cache.get_many([current_key, previous_key])
        previous = counts.get(previous_key, 0)
        overlap = 1 - self._into_period / self.duration
        if previous * overlap + counts.get(current_key, 0) >= self.num_requests:
            return self.throttle_failure()
        self.cache.add(current_key, 0, self.duration * 2)
        try:
            self.cache.incr(current_key)
        except ValueError:  # expired between add and incr
            self.cache.set(current_key, 1, self.duration * 2)
        return self.throttle_success()

    def throttle_success(self):
        """Allowed, without DRF's timestamp-list write (`allow_request` has counted already)."""
        return True

    def wait(self):
        """Seconds until the current period ends (an upper bound: the window may open sooner)."""
        return max(1, math.ceil(self.duration - self._into_period))
