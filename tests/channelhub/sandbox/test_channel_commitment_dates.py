"""The Channel sandbox seeds its commitment periods around the seed day: some end this week,
some later, a few are past their renewal date; one seed, scale and day give the same dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from google.auth.transport.requests import AuthorizedSession

from channelhub.sandbox.channel.seed import CommitmentDates, seed_day

ACCOUNT = "accounts/C01sandbx"


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _all(http, url: str, key: str, **params) -> list[dict]:
    out, token = [], None
    while True:
        query = {"pageSize": 100, **params, **({"pageToken": token} if token else {})}
        body = http.get(url, params=query, timeout=10).json()
        out += body.get(key, [])
        token = body.get("nextPageToken")
        if not token:
            return out


@pytest.fixture
def commitments(sandbox, channel_credentials):
    """The sandbox's COMMITMENT entitlements, as its API lists them (customer by customer)."""
    http = AuthorizedSession(channel_credentials)
    base = f"{sandbox.channel_url}/v1"
    rows = []
    for customer in _all(http, f"{base}/{ACCOUNT}/customers", "customers"):
        rows += [
            e
            for e in _all(http, f"{base}/{customer['name']}/entitlements", "entitlements")
            if "commitmentSettings" in e
        ]
    assert len(rows) >= 5
    return rows


def test_seeded_commitments_lie_around_today(commitments):
    today = seed_day()
    week = today + timedelta(days=7)
    ends = [_parse(e["commitmentSettings"]["endTime"]) for e in commitments]
    starts = [_parse(e["commitmentSettings"]["startTime"]) for e in commitments]
    assert all(end - start == timedelta(days=365) for start, end in zip(starts, ends, strict=True))
    # Nothing from the fixed 2024 epoch any more: every end within a year of today.
    assert all(today - timedelta(days=60) <= end <= today + timedelta(days=330) for end in ends)
    this_week = [end for end in ends if today <= end < week]
    later = [end for end in ends if end >= week]
    past = [end for end in ends if end < today]
    assert this_week and later and past
    assert len(past) < len(ends) / 2  # a few past renewals, not most


def test_a_cancelled_renewal_ended_before_today(commitments):
    cancelled = [e for e in commitments if "RENEWAL_WITH_TYPE_CANCEL" in e.get("suspensionReasons", [])]
    assert cancelled
    assert all(_parse(e["commitmentSettings"]["endTime"]) < seed_day() for e in cancelled)


def test_commitment_dates_are_deterministic_per_seed_and_follow_the_day():
    day = datetime(2030, 5, 6, tzinfo=UTC)

    def dates(seed: int, on: datetime) -> list[tuple[str, str]]:
        planner = CommitmentDates(seed, 40, on)
        return [planner.next(cancelled_renewal=i % 7 == 6) for i in range(30)]

    assert dates(7, day) == dates(7, day)
    assert dates(7, day) != dates(8, day)
    shifted = dates(7, day + timedelta(days=3))
    for (start, end), (later_start, later_end) in zip(dates(7, day), shifted, strict=True):
        assert _parse(later_end) - _parse(end) == timedelta(days=3)
        assert _parse(later_start) - _parse(start) == timedelta(days=3)
    first_three = [_parse(end) for _, end in dates(7, day)[:3]]
    assert day <= first_three[0] < day + timedelta(days=7)  # one ends this week
    assert first_three[1] >= day + timedelta(days=8)  # one later
    assert first_three[2] < day  # one past its renewal date
