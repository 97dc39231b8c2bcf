"""Prometheus metrics, `channelhub_*`, served at `/metrics` to the scraper only.

Two kinds. Request latency (`channelhub_http_request_duration_seconds`, by the resolved URL
name, never the raw path) is a Histogram the middleware observes in each process; with
PROMETHEUS_MULTIPROC_DIR set (gunicorn with several workers) prometheus-client keeps it in
files there and a scrape of any worker adds up all of them. Everything else is read from the
database when scraped (`DatabaseCollector`), with a fixed number of bounded, indexed queries
however many rows there are; nothing is written per request.

The view answers 404 while METRICS_TOKEN is empty, and 401 to a request without
`Authorization: Bearer <METRICS_TOKEN>` (compared in constant time).
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cache

from django.conf import settings
from django.db import connection
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.fields.json import KT
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeHistogramMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from channelhub.models import ActionStatus, StreamState, SyncRun, SyncRunStatus, UpstreamAction

logger = logging.getLogger(__name__)

# The request histogram lives in our own registry (not prometheus-client's global one, which
# also holds the process collectors): what /metrics serves is exactly what this module says.
REGISTRY = CollectorRegistry()
REQUEST_LATENCY = Histogram(
    "channelhub_http_request_duration_seconds",
    "Time to answer a request, by the resolved URL name (endpoint), method and status class.",
    ["endpoint", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)

RUNS_PER_STREAM = 50  # the latest finished runs read per stream: failures count up to this
STREAMS_PER_QUERY = 200  # streams whose latest runs one UNION ALL query reads
# Applied actions are counted when finished within the hour; they are looked up among those
# created within CREATED_WITHIN (the (status, created_at) index): the outbox's own retries give
# up within about two hours, so only a supervisor's retry of an older action is left out.
LATENCY_WINDOW = timedelta(hours=1)
CREATED_WITHIN = timedelta(hours=24)
LATENCY_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200)


def observe_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request (the middleware's call)."""
    REQUEST_LATENCY.labels(endpoint=endpoint, method=method, status=f"{status // 100}xx").observe(seconds)


@never_cache
def metrics_view(request):
    """`/metrics`: 404 without METRICS_TOKEN, 401 without its bearer token, else the metrics."""
    token = getattr(settings, "METRICS_TOKEN", "")
    if not token:
        raise Http404("metrics are off")
    given = request.headers.get("Authorization", "").encode()
    if not hmac.compare_digest(given, f"Bearer {token}".encode()):
        response = HttpResponse("unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(Scrape()), content_type=CONTENT_TYPE_LATEST)


class Scrape:
    """What one scrape serves: the request histogram (this process's, or every worker's in
    multiprocess mode) and the database's figures read now."""

    def collect(self) -> Iterator[Metric]:
        """Every metric family, as prometheus-client's exposition asks for them."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            yield from MultiProcessCollector(None).collect()
        else:
            yield from REGISTRY.collect()
        yield from DatabaseCollector().collect()


class DatabaseCollector:
    """The figures read from the database at scrape time (streams, outbox, job queue)."""

    def collect(self) -> Iterator[Metric]:
        """Streams, then the outbox, then the job queue."""
        now = timezone.now()
        yield from stream_metrics(now)
        yield from outbox_metrics(now)
        yield from queue_metrics()


def _gauge(name: str, documentation: str, labels: Iterable[str] = ()) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"channelhub_{name}", documentation, labels=list(labels))


def stream_metrics(now: datetime) -> Iterator[Metric]:
    """Per stream: age of the last success, lag of the cursor, consecutive failures, rows
    written by the last run, paused. One query for the states, one per STREAMS_PER_QUERY
    streams for their latest runs."""
    age = _gauge(
        "stream_last_success_age_seconds",
        "Seconds since the stream last succeeded (+Inf: never).",
        ["stream"],
    )
    lag = _gauge(
        "stream_lag_seconds", "Seconds between now and the update time the cursor has reached.", ["stream"]
    )
    failures = _gauge(
        "stream_consecutive_failures",
        f"Failed runs since the last success (at most {RUNS_PER_STREAM}; skipped runs do not count).",
        ["stream"],
    )
    rows = _gauge(
        "stream_last_run_rows_written", "Rows created or updated by the last finished run.", ["stream"]
    )
    paused = _gauge("stream_paused", "1 while a supervisor has paused the stream.", ["stream"])
    states = list(
        StreamState.objects.order_by("stream")
        .annotate(cursor_at=KT("cursor__at"))
        .values_list("stream", "last_success_at", "paused_at", "cursor_at")
    )
    runs = latest_runs([state[0] for state in states])
    for name, last_success, paused_at, cursor_at in states:
        age.add_metric([name], (now - last_success).total_seconds() if last_success else float("inf"))
        at = _parse_time(cursor_at)
        if at is not None:
            lag.add_metric([name], max((now - at).total_seconds(), 0.0))
        paused.add_metric([name], 1.0 if paused_at else 0.0)
        finished = runs.get(name, [])
        if finished:
            rows.add_metric([name], finished[0][1])
        failures.add_metric([name], _failures(finished))
    yield from (age, lag, failures, rows, paused)


def _parse_time(value) -> datetime | None:
    """A cursor's `at` (ISO 8601) as an aware datetime; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at if timezone.is_aware(at) else at.replace(tzinfo=UTC)


def _failures(finished: list[tuple[str, int]]) -> int:
    """Failed runs at the head of the newest-first list, up to the first success."""
    count = 0
    for status, _written in finished:
        if status != SyncRunStatus.FAILED:
            break
        count += 1
    return count


def latest_runs(streams: list[str]) -> dict[str, list[tuple[str, int]]]:
    """Each stream's latest RUNS_PER_STREAM finished (succeeded or failed) runs, newest first, as
    (status, rows written): one UNION ALL of index-ordered, limited reads per STREAMS_PER_QUERY
    streams (the (stream, started_at) index), so a long history is never scanned."""
    found: dict[str, list[tuple[str, int, datetime, int]]] = {}
    for start in range(0, len(streams), STREAMS_PER_QUERY):
        chunk = streams[start : start + STREAMS_PER_QUERY]
        sql, params = _latest_runs_sql(chunk)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for stream, status, written, started_at, pk in cursor.fetchall():
                found.setdefault(stream, []).append((status, written, started_at, pk))
    return {
        stream: [
            (status, written)
            for status, written, *_ in sorted(rows, key=lambda r: (r[2], r[3]), reverse=True)
        ]
        for stream, rows in found.items()
    }


def _latest_runs_sql(streams: list[str]) -> tuple[str, list]:
    quote = connection.ops.quote_name
    table = quote(SyncRun._meta.db_table)
    columns = ", ".join(
        [
            quote("stream"),
            quote("status"),
            f"{quote('created')} + {quote('updated')}",
            quote("started_at"),
            quote("id"),
        ]
    )
    part = (
        f"SELECT * FROM (SELECT {columns} FROM {table} WHERE {quote('stream')} = %s"
        f" AND {quote('status')} IN (%s, %s)"
        f" ORDER BY {quote('started_at')} DESC, {quote('id')} DESC LIMIT {int(RUNS_PER_STREAM)}) AS r{{index}}"
    )
    sql = " UNION ALL ".join(part.format(index=index) for index in range(len(streams)))
    params: list = []
    for stream in streams:
        params += [stream, SyncRunStatus.SUCCEEDED, SyncRunStatus.FAILED]
    return sql, params


def outbox_metrics(now: datetime) -> Iterator[Metric]:
    """Open actions by status, the age of the oldest queued one, and the latency of the
    actions applied within LATENCY_WINDOW (queued -> applied), by kind: three queries."""
    depth = _gauge("outbox_actions", "Outbox actions still open, by status.", ["status"])
    counts = dict(
        UpstreamAction.objects.filter(status__in=ActionStatus.OPEN_STATES)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    for status in ActionStatus.OPEN_STATES:
        depth.add_metric([str(status)], counts.get(status, 0))
    yield depth
    oldest = (
        UpstreamAction.objects.filter(status=ActionStatus.QUEUED)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    yield GaugeMetricFamily(
        "channelhub_outbox_oldest_queued_age_seconds",
        "Seconds the oldest queued action has waited (0: none queued).",
        value=max((now - oldest).total_seconds(), 0.0) if oldest else 0.0,
    )
    yield action_latency(now)


def action_latency(now: datetime) -> GaugeHistogramMetricFamily:
    """Seconds from queued (created) to applied (finished) of the actions that succeeded within
    LATENCY_WINDOW, by kind: a histogram of that window as it is now (a gauge histogram: read
    it with histogram_quantile() directly, no rate()). One aggregate query."""
    latency = ExpressionWrapper(F("finished_at") - F("created_at"), output_field=DurationField())
    buckets = {
        f"le_{index}": Count("pk", filter=Q(latency__lte=timedelta(seconds=bound)))
        for index, bound in enumerate(LATENCY_BUCKETS)
    }
    rows = (
        UpstreamAction.objects.filter(
            status=ActionStatus.SUCCEEDED,
            created_at__gte=now - CREATED_WITHIN,
            finished_at__gte=now - LATENCY_WINDOW,
        )
        .annotate(latency=latency)
        .order_by()
        .values("kind")
        .annotate(count=Count("pk"), total=Sum("latency"), **buckets)
    )
    family = GaugeHistogramMetricFamily(
        "channelhub_action_latency_seconds",
        "Queued to applied, of the actions applied within the last hour, by kind.",
        labels=["kind"],
    )
    for row in rows:
        cumulative = [(str(float(bound)), row[f"le_{index}"]) for index, bound in enumerate(LATENCY_BUCKETS)]
        cumulative.append(("+Inf", row["count"]))
        total = row["total"]
        family.add_metric([row["kind"]], cumulative, gsum_value=total.total_seconds() if total else 0.0)
    return family


@cache
def _broker():
    from django_q.brokers import get_broker  # noqa: PLC0415 - django-q reads its settings on import

    return get_broker()


def queue_metrics() -> Iterator[Metric]:
    """Tasks waiting in django-q's queue (Redis: the list's length; ORM broker: one count of
    OrmQ), and whether the broker answered."""
    up = GaugeMetricFamily("channelhub_job_queue_up", "1 when the job broker answered the scrape.")
    try:
        depth = _broker().queue_size()
    except Exception:  # noqa: BLE001 - a broker down is what this metric reports
        logger.warning("metrics: the job broker did not answer", exc_info=True)
        up.add_metric([], 0.0)
        yield up
        return
    up.add_metric([], 1.0)
    yield up
    yield GaugeMetricFamily(
        "channelhub_job_queue_depth", "Tasks waiting in the job queue for a worker.", value=depth or 0
    )
