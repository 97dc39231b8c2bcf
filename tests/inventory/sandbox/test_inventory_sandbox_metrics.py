"""The CMP feed's metrics over real HTTP: samples every 5 minutes in [since, until) for servers
and volumes, the same values on every read, a window of at most 24 hours."""

import pytest

from tests.inventory.sandbox.cmp_feed import feed_get, listing

SINCE, UNTIL = "2026-03-01T10:00:00.000000Z", "2026-03-01T11:00:00.000000Z"


def metrics(server, account="acc-1", since=SINCE, until=UNTIL):
    response = feed_get(server, f"/accounts/{account}/metrics", since=since, until=until)
    assert response.status_code == 200, response.text
    return response.json()


def test_samples_every_five_minutes_for_servers_and_volumes(cmp):
    body = metrics(cmp)
    assert body["last_update"] == UNTIL
    docs = listing(cmp, "acc-1")
    servers = {d["id"] for d in docs if d["type"] == "server"}
    volumes = {d["id"] for d in docs if d["type"] == "volume"}
    times = sorted({m["time"] for m in body["metrics"]})
    assert times[0] == "2026-03-01T10:00:00.000000Z" and times[-1] == "2026-03-01T10:55:00.000000Z"
    assert len(times) == 12  # [since, until): 11:00 is out
    by_metric = {}
    for m in body["metrics"]:
        assert set(m) == {"metric", "value", "time", "unit", "counter", "resource_id", "resource_type"}
        by_metric.setdefault(m["metric"], set()).add((m["resource_type"], m["resource_id"]))
    assert (
        by_metric["cpu-usage"]
        == by_metric["memory-used"]
        == by_metric["network-in"]
        == {("server", s) for s in servers}
    )
    assert by_metric["disk-used"] == {("volume", v) for v in volumes}
    assert len(body["metrics"]) == 12 * (3 * len(servers) + len(volumes))
    units = {(m["metric"], m["unit"], m["counter"]) for m in body["metrics"]}
    assert units == {
        ("cpu-usage", "percent", False),
        ("memory-used", "bytes", False),
        ("network-in", "bytes", True),
        ("disk-used", "bytes", False),
    }
    assert all(0 <= m["value"] <= 100 for m in body["metrics"] if m["metric"] == "cpu-usage")


def test_values_are_the_same_on_every_read_and_when_the_window_is_split(cmp):
    whole = metrics(cmp)["metrics"]
    assert metrics(cmp)["metrics"] == whole
    first = metrics(cmp, until="2026-03-01T10:30:00Z")["metrics"]
    second = metrics(cmp, since="2026-03-01T10:30:00Z")["metrics"]
    key = lambda m: (m["resource_id"], m["metric"], m["time"])  # noqa: E731
    assert sorted(first + second, key=key) == sorted(whole, key=key)
    other = metrics(cmp, "acc-2")["metrics"]
    same_id = [m for m in other if m["resource_id"] == "srv-00001" and m["metric"] == "cpu-usage"]
    ours = [m for m in whole if m["resource_id"] == "srv-00001" and m["metric"] == "cpu-usage"]
    assert [m["value"] for m in same_id] != [m["value"] for m in ours]  # the accounts stay apart


def test_a_counter_only_grows(cmp):
    series = [
        m["value"]
        for m in metrics(cmp)["metrics"]
        if m["metric"] == "network-in" and m["resource_id"] == "srv-00001"
    ]
    assert len(series) == 12 and series == sorted(series)


def test_an_unaligned_window_takes_the_samples_inside_it(cmp):
    body = metrics(cmp, since="2026-03-01T10:02:00Z", until="2026-03-01T10:05:00.000001Z")
    assert {m["time"] for m in body["metrics"]} == {"2026-03-01T10:05:00.000000Z"}
    assert metrics(cmp, since="2026-03-01T10:01:00Z", until="2026-03-01T10:04:00Z")["metrics"] == []


@pytest.mark.parametrize(
    ("since", "until", "words"),
    [
        ("2026-03-01T00:00:00Z", "2026-03-02T00:00:01Z", "24 hours"),
        ("2026-03-01T11:00:00Z", "2026-03-01T10:00:00Z", "before"),
        ("yesterday", UNTIL, "since"),
        (SINCE, "2026-03-01 11:00:00", "until"),
        (None, UNTIL, "since is required"),
    ],
)
def test_a_bad_window_is_400_in_the_feed_body(cmp, since, until, words):
    params = {k: v for k, v in (("since", since), ("until", until)) if v is not None}
    response = feed_get(cmp, "/accounts/acc-1/metrics", **params)
    assert response.status_code == 400
    assert response.json()["error"] == "BadRequest" and words in response.json()["message"]


def test_a_full_day_is_allowed(cmp):
    body = metrics(cmp, since="2026-03-01T00:00:00Z", until="2026-03-02T00:00:00Z")
    assert len({m["time"] for m in body["metrics"]}) == 288
