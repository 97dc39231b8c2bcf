"""The demo nflex connector (channelhub/sandbox/cmp_connector.py), called in-process with a small
context against the served feed: the full listing of an account over several pages, the
library's credential errors, other errors naming status and path without the token, state kept
between runs, and metrics over the window setup_time_interval gives."""

from datetime import datetime, timedelta

import pytest
import requests
from nflex_connector_utils.errors import InsufficientPermission, InvalidCredentials

from channelhub.sandbox import cmp_connector
from tests.inventory.sandbox.cmp_feed import LIMITED, TOKEN, feed_get, knobs, listing, without_last_seen


class Context:
    """What the lead's runner gives a module: log, get_state, update_state."""

    def __init__(self):
        self.lines = []
        self.state = {}

    def log(self, message, severity="INFO"):
        self.lines.append((severity, message))

    def get_state(self, key):
        return self.state.get(key)

    def update_state(self, key, value):
        self.state[key] = value


def event(server, token=TOKEN, **parameters):
    return {
        "credentials": {"url": server.cmp_url, "token": token},
        "parameters": {"account": "acc-1", **parameters},
        "poll_interval": 900,
    }


def test_get_returns_the_full_listing_of_the_account_over_pages(cmp):
    context = Context()
    got = cmp_connector.get(event(cmp, per_page=7), context)
    expected = listing(cmp, "acc-1")
    assert len(got) == len(expected) > 7
    assert [without_last_seen(d) for d in got] == [without_last_seen(d) for d in expected]
    pages = [m for _, m in context.lines if ": page " in m]
    assert len(pages) == len(expected) // 7 + 1  # until a short page (an empty one if it divides)
    assert context.state == {"acc-1.last_count": len(expected)}
    assert not any(TOKEN in m for _, m in context.lines)


def test_get_remembers_the_last_count_between_runs(cmp):
    context = Context()
    first = cmp_connector.get(event(cmp, per_page=500), context)
    knobs(cmp, vanish={"account": "acc-1", "count": 2})
    second = cmp_connector.get(event(cmp, per_page=500), context)
    assert len(second) == len(first) - 2
    assert context.state["acc-1.last_count"] == len(second)
    assert f"previous run: {len(first)}" in context.lines[-1][1]


def test_a_clamped_page_size_still_reads_everything(cmp):
    knobs(cmp, appear={"account": "acc-2", "count": 1000})
    got = cmp_connector.get(event(cmp, account="acc-2", per_page=5000), Context())
    total = int(feed_get(cmp, "/accounts/acc-2/resources").headers["x-total-count"])
    assert len(got) == total > 1000
    assert len({(d["type"], d["id"]) for d in got}) == total


def test_a_bad_token_raises_invalid_credentials(cmp):
    with pytest.raises(InvalidCredentials):
        cmp_connector.get(event(cmp, token="wrong"), Context())


def test_the_limited_token_raises_insufficient_permission(cmp):
    with pytest.raises(InsufficientPermission):
        cmp_connector.get(event(cmp, token=LIMITED), Context())


def test_another_error_names_status_and_path_never_the_token(cmp):
    requests.post(
        f"{cmp.url}/_sandbox/faults", json={"next": ["503"], "path": "^/cmp/"}, timeout=10
    ).raise_for_status()
    with pytest.raises(cmp_connector.CmpFeedError) as caught:
        cmp_connector.get(event(cmp), Context())
    message = str(caught.value)
    assert "503" in message and "/accounts/acc-1/resources" in message and TOKEN not in message
    with pytest.raises(cmp_connector.CmpFeedError, match="404.*acc-9"):
        cmp_connector.get(event(cmp, account="acc-9"), Context())


def test_get_metrics_reads_the_window_and_returns_its_end(cmp):
    last = (datetime.utcnow() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    answer = cmp_connector.get_metrics({**event(cmp), "last_update": last}, Context())
    end = datetime.strptime(answer["last_update"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert timedelta(seconds=0) < datetime.utcnow() - end < timedelta(minutes=2)  # now minus the skew
    times = {m["time"] for m in answer["metrics"]}
    assert len(times) in (11, 12)  # samples every 5 minutes over the hour
    assert min(times) >= last and max(times) < answer["last_update"]
    assert {m["metric"] for m in answer["metrics"]} == {"cpu-usage", "memory-used", "network-in", "disk-used"}


def test_get_metrics_catches_up_a_long_gap_a_window_at_a_time(cmp):
    last = (datetime.utcnow() - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    answer = cmp_connector.get_metrics({**event(cmp), "last_update": last}, Context())
    start = datetime.strptime(last, "%Y-%m-%dT%H:%M:%S.%fZ")
    end = datetime.strptime(answer["last_update"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert end - start == timedelta(seconds=cmp_connector.BACKFILL_SECONDS)
    assert answer["metrics"]


def test_get_metrics_with_a_future_last_update_reads_nothing(cmp):
    future = (datetime.utcnow() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    context = Context()
    answer = cmp_connector.get_metrics({**event(cmp), "last_update": future}, context)
    assert answer == {"metrics": [], "last_update": future}
    assert context.lines[-1][0] == "WARN"
