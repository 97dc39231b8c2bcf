"""/metrics: served to the scraper's token only, its figures are the database's rows, one
scrape costs a fixed number of queries, and API requests show in the latency histogram."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from channelhub.models import ActionStatus, StreamState, SyncRun, SyncRunStatus, UpstreamAction
from channelhub.observability import metrics

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-0123456789"


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client) -> dict[tuple[str, tuple], float]:
    """The samples of one authorised scrape: (name, sorted labels) -> value."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_metrics_are_off_without_a_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_metrics_need_the_scrapers_token(client, metrics_token):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=metrics_token).status_code == 401  # no scheme
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {metrics_token}x")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"channelhub_" not in response.content
    ok = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {metrics_token}")
    assert ok.status_code == 200
    assert b"channelhub_outbox_actions" in ok.content
    assert "no-cache" in ok["Cache-Control"] or "max-age=0" in ok["Cache-Control"]


def run(stream, status, started, created=0, updated=0):
    return SyncRun.objects.create(
        stream=stream,
        status=status,
        started_at=started,
        finished_at=started,
        created=created,
        updated=updated,
    )


def test_stream_figures_are_the_rows(client, metrics_token):
    now = timezone.now()
    StreamState.objects.create(
        stream="connect.requests",
        last_success_at=now - timedelta(seconds=600),
        cursor={"at": (now - timedelta(seconds=900)).isoformat(), "id": "PR-1"},
    )
    StreamState.objects.create(stream="connect.hubs", paused_at=now)  # never succeeded, no cursor
    # Oldest to newest: a success, then failures with a skipped tick between (not counted).
    run("connect.requests", SyncRunStatus.FAILED, now - timedelta(minutes=30))
    run("connect.requests", SyncRunStatus.SUCCEEDED, now - timedelta(minutes=10), created=5, updated=2)
    run("connect.requests", SyncRunStatus.FAILED, now - timedelta(minutes=8))
    run("connect.requests", SyncRunStatus.SKIPPED, now - timedelta(minutes=7))
    run("connect.requests", SyncRunStatus.FAILED, now - timedelta(minutes=6), created=1, updated=3)
    # The age is the state's last_success_at (never set here), whatever the runs say.
    run("connect.hubs", SyncRunStatus.SUCCEEDED, now - timedelta(minutes=5), created=9)
    SyncRun.objects.create(stream="connect.requests", status=SyncRunStatus.RUNNING)  # not finished

    samples = scrape(client)
    requests_ = (("stream", "connect.requests"),)
    hubs = (("stream", "connect.hubs"),)
    assert samples[("channelhub_stream_last_success_age_seconds", requests_)] == pytest.approx(600, abs=30)
    assert math.isinf(samples[("channelhub_stream_last_success_age_seconds", hubs)])
    assert samples[("channelhub_stream_lag_seconds", requests_)] == pytest.approx(900, abs=30)
    assert ("channelhub_stream_lag_seconds", hubs) not in samples
    assert samples[("channelhub_stream_consecutive_failures", requests_)] == 2
    assert samples[("channelhub_stream_consecutive_failures", hubs)] == 0
    assert samples[("channelhub_stream_last_run_rows_written", requests_)] == 4  # the newest finished run
    assert samples[("channelhub_stream_last_run_rows_written", hubs)] == 9
    assert samples[("channelhub_stream_paused", requests_)] == 0
    assert samples[("channelhub_stream_paused", hubs)] == 1


def test_failures_are_counted_up_to_the_cap(client, metrics_token):
    now = timezone.now()
    StreamState.objects.create(stream="connect.assets")
    for minutes in range(metrics.RUNS_PER_STREAM + 5):
        run("connect.assets", SyncRunStatus.FAILED, now - timedelta(minutes=minutes))
    samples = scrape(client)
    assert samples[("channelhub_stream_consecutive_failures", (("stream", "connect.assets"),))] == (
        metrics.RUNS_PER_STREAM
    )


def action(target, status, *, created_ago, finished_ago=None, kind="connect.request.approve"):
    now = timezone.now()
    return UpstreamAction.objects.create(
        kind=kind,
        target_type="fulfillment.fulfillmentrequest",
        target_id=target,
        status=status,
        created_at=now - timedelta(seconds=created_ago),
        finished_at=None if finished_ago is None else now - timedelta(seconds=finished_ago),
    )


def test_outbox_figures_are_the_rows(client, metrics_token):
    action("PR-1", ActionStatus.QUEUED, created_ago=700)
    action("PR-2", ActionStatus.QUEUED, created_ago=30)
    action("PR-3", ActionStatus.SENDING, created_ago=5)
    # Applied within the hour after 3 s, 40 s and 4000 s; one applied two hours ago is not.
    action("PR-4", ActionStatus.SUCCEEDED, created_ago=100, finished_ago=97)
    action("PR-5", ActionStatus.SUCCEEDED, created_ago=100, finished_ago=60)
    action("PR-6", ActionStatus.SUCCEEDED, created_ago=4100, finished_ago=100)
    action("PR-7", ActionStatus.SUCCEEDED, created_ago=7300, finished_ago=7200)
    action("PR-8", ActionStatus.FAILED, created_ago=100, finished_ago=50)  # not applied
    action("TCR-1", ActionStatus.SUCCEEDED, created_ago=20, finished_ago=10, kind="connect.tcr.approve")

    samples = scrape(client)
    assert samples[("channelhub_outbox_actions", (("status", "queued"),))] == 2
    assert samples[("channelhub_outbox_actions", (("status", "sending"),))] == 1
    assert samples[("channelhub_outbox_oldest_queued_age_seconds", ())] == pytest.approx(700, abs=30)

    def bucket(le, kind="connect.request.approve"):
        return samples[("channelhub_action_latency_seconds_bucket", (("kind", kind), ("le", le)))]

    assert bucket("1.0") == 0
    assert bucket("5.0") == 1
    assert bucket("30.0") == 1
    assert bucket("60.0") == 2
    assert bucket("3600.0") == 2
    assert bucket("7200.0") == 3
    assert bucket("+Inf") == 3
    kind = (("kind", "connect.request.approve"),)
    assert samples[("channelhub_action_latency_seconds_gcount", kind)] == 3
    assert samples[("channelhub_action_latency_seconds_gsum", kind)] == pytest.approx(4043, abs=1)
    assert bucket("15.0", kind="connect.tcr.approve") == 1


def test_no_queued_action_is_an_age_of_zero(client, metrics_token):
    samples = scrape(client)
    assert samples[("channelhub_outbox_oldest_queued_age_seconds", ())] == 0
    assert samples[("channelhub_outbox_actions", (("status", "queued"),))] == 0


def test_job_queue_depth_is_the_brokers(client, metrics_token):
    before = scrape(client)
    assert before[("channelhub_job_queue_up", ())] == 1
    broker = metrics._broker()
    task_id = broker.enqueue("not-a-real-task")
    try:
        after = scrape(client)
    finally:
        if hasattr(broker.connection, "lrem"):  # Redis: the ORM broker's row goes with the test
            broker.connection.lrem(broker.list_key, 1, "not-a-real-task")
    assert task_id is not None
    assert after[("channelhub_job_queue_depth", ())] == before[("channelhub_job_queue_depth", ())] + 1


def test_an_api_request_shows_in_the_latency_histogram(client, metrics_token, make_token, fresh_throttle):
    key = ("channelhub_http_request_duration_seconds_count",) + (
        (("endpoint", "channelhub-syncrun-list"), ("method", "GET"), ("status", "2xx")),
    )
    before = scrape(client).get(key, 0)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token()[1]}")
    assert api.get("/api/v1/channelhub/sync-runs").status_code == 200
    assert api.get("/api/v1/channelhub/sync-runs?limit=1").status_code == 200
    samples = scrape(client)
    assert samples[key] == before + 2
    # The label is the URL's name, never the raw path: a 404's is "unmatched".
    client.get("/no/such/page/12345")
    names = {dict(labels).get("endpoint") for (_name, labels) in scrape(client)}
    assert "unmatched" in names
    assert not any(name and "12345" in name for name in names)


def fill(start: int, stop: int) -> None:
    """Streams start..stop-1, each with a success then a failure, a queued and an applied action."""
    now = timezone.now()
    for index in range(start, stop):
        name = f"test.stream_{index:03d}"
        StreamState.objects.create(stream=name, last_success_at=now, cursor={"at": now.isoformat()})
        run(name, SyncRunStatus.SUCCEEDED, now - timedelta(minutes=2), created=1)
        run(name, SyncRunStatus.FAILED, now - timedelta(minutes=1))
        action(f"PR-Q{index}", ActionStatus.QUEUED, created_ago=60)
        action(f"PR-D{index}", ActionStatus.SUCCEEDED, created_ago=60, finished_ago=30, kind=f"k.{index % 5}")


def queries_of_one_scrape() -> tuple[int, bytes]:
    with CaptureQueriesContext(connection) as queries:
        body = generate_latest(metrics.Scrape())
    return len(queries), body


def test_one_scrape_costs_the_same_queries_for_1_or_50_streams_and_actions():
    fill(0, 1)
    few, body = queries_of_one_scrape()
    assert b'channelhub_stream_consecutive_failures{stream="test.stream_000"} 1.0' in body
    fill(1, 50)
    many, body = queries_of_one_scrape()
    assert b'channelhub_stream_consecutive_failures{stream="test.stream_049"} 1.0' in body
    assert b'channelhub_outbox_actions{status="queued"} 50.0' in body
    assert many == few <= 8
