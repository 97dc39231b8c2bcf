"""The per-token throttle's sliding window (two counters per token, whatever the rate)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.cache import cache

from channelhub.api.throttling import TokenRateThrottle
from channelhub.models.tokens import ApiToken


@pytest.fixture
def clock(monkeypatch):
    now = SimpleNamespace(t=600.0)  # the start of a period of 60 s
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "3/min"})
    monkeypatch.setattr(TokenRateThrottle, "timer", lambda self: now.t)
    cache.clear()
    yield now
    cache.clear()


def allowed(token_pk=1, n=1):
    request = SimpleNamespace(auth=ApiToken(pk=token_pk), user=None)
    return [TokenRateThrottle().allow_request(request, None) for _ in range(n)]


def test_budget_per_period_then_the_last_period_weighs_by_its_overlap(clock):
    assert allowed(n=4) == [True, True, True, False]
    assert allowed(token_pk=2) == [True]  # another token, its own budget
    clock.t = 661.0  # 1 s into the next period: the last one still weighs 59/60 * 3 = 2.95
    assert allowed(n=2) == [True, False]
    clock.t = 690.0  # half way: 1.5 + 1 < 3, 1.5 + 2 >= 3
    assert allowed(n=2) == [True, False]
    clock.t = 720.0  # the next period starts: the last one (2 allowed) weighs whole
    assert allowed(n=2) == [True, False]
    clock.t = 840.0  # after a whole quiet period the budget is whole again
    assert allowed(n=4) == [True, True, True, False]


def test_retry_after_is_the_rest_of_the_period(clock):
    clock.t = 615.5
    throttle = TokenRateThrottle()
    request = SimpleNamespace(auth=ApiToken(pk=1), user=None)
    assert [throttle.allow_request(request, None) for _ in range(4)][-1] is False
    assert throttle.wait() == 45


def test_state_stays_two_integers_at_any_rate(clock, monkeypatch):
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "100000/min"})
    assert all(allowed(n=500))
    key = TokenRateThrottle().cache_format % {"scope": "token", "ident": "token-1"}
    assert cache.get(f"{key}:10") == 500 and cache.get(key) is None
