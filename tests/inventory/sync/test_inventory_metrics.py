"""Metrics (issue 13): the seed's safe expressions through the library's parsers (never eval),
poll windows as `setup_time_interval` defines them, and a source's metrics stream against the
sandbox's feed: samples of mirrored resources, mapped, each written once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from channelhub.models import StreamState, SyncRunStatus
from channelhub.sync.engine import run_stream
from inventory import metrics
from inventory.models import MetricMapping, MetricSample, Resource

from .helpers import run_pass, sandbox_source

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("expression", "value", "expected"),
    [
        ("value / 1024", 2048, 2.0),
        ("value * 8 + 1", 2, 17.0),
        ("1 if value > 5 else 0", 7, 1.0),
        ("1 if value > 5 else 0", 3, 0.0),
        ("CASE WHEN value > 90 THEN 2 WHEN value > 50 THEN 1 ELSE 0 END", 70, 1.0),
        ("case when value < 0 then 0 else value end", -4, 0.0),
        ("2 ^ 3 ^ 2", 0, 512.0),
    ],
)
def test_expressions_of_the_three_grammars(expression, value, expected):
    assert metrics.evaluate(expression, value=value) == expected


@pytest.mark.parametrize(
    "expression",
    ['__import__("os").system("true")', "value.real", "max(value, 1)", "x + 1", "10 ^ 400", "1 +", "a" * 600],
)
def test_what_is_not_a_safe_expression_is_refused_with_a_reason(expression):
    problem = metrics.check_expression(expression)
    assert problem
    with pytest.raises(metrics.ExpressionError):
        metrics.evaluate(expression, value=1)


def _source_with_options(sandbox, name="acc1", **options):
    source = sandbox_source(sandbox, name, poll_minutes=15)
    source.parameters["metrics"] = options
    source.save()
    return source


@freeze_time("2026-12-01 12:00:00")
def test_the_first_window_is_one_poll_back_and_skew_shifts_its_end(sandbox):
    source = _source_with_options(sandbox, skew_seconds=60, initial_interval_seconds=300)
    start, end = metrics.window(source, {})
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    assert end == now - timedelta(seconds=60)
    assert start == end - timedelta(seconds=15 * 60 + 300)


@freeze_time("2026-12-01 12:00:00")
def test_a_late_window_catches_up_by_the_backfill_at_most(sandbox):
    source = _source_with_options(sandbox, backfill_seconds=3600)
    last = datetime(2026, 12, 1, 6, tzinfo=UTC)
    start, end = metrics.window(source, {"at": last.isoformat()})
    assert (start, end) == (last, last + timedelta(hours=1))
    no_cap = _source_with_options(sandbox, "nocap")
    assert metrics.window(no_cap, {"at": last.isoformat()})[1] == datetime(2026, 12, 1, 12, tzinfo=UTC)


def test_the_metrics_stream_writes_mapped_samples_once(sandbox):
    source = sandbox_source(sandbox)
    assert run_pass(source).status == SyncRunStatus.SUCCEEDED
    MetricMapping.objects.create(source=source, key="memory-used", name="memory-used-mib", unit="MiB",
                                 conversion_expr="value / 1048576")  # fmt: skip
    MetricMapping.objects.create(
        key="cpu-usage", name="cpu-band", conversion_expr="CASE WHEN value > 50 THEN 1 ELSE 0 END"
    )
    run = run_stream(source.metrics_stream_name)
    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    samples = MetricSample.objects.filter(resource__source=source)
    assert samples.exists()
    names = set(samples.values_list("metric", flat=True))
    assert {"memory-used-mib", "cpu-band"} <= names and "memory-used" not in names
    assert set(samples.filter(metric="cpu-band").values_list("value", flat=True)) <= {0.0, 1.0}
    mib = samples.filter(metric="memory-used-mib").first()
    assert mib.unit == "MiB" and mib.value == mib.payload["value"] / 1048576
    assert all(s.resource.type in ("server", "volume") for s in samples.select_related("resource")[:50])
    cursor = StreamState.objects.get(stream=source.metrics_stream_name).cursor
    assert cursor["at"]
    count = samples.count()
    StreamState.objects.filter(stream=source.metrics_stream_name).update(cursor={})  # read the window again
    again = run_stream(source.metrics_stream_name)
    assert again.status == SyncRunStatus.SUCCEEDED and again.created == 0
    assert MetricSample.objects.filter(resource__source=source).count() == count


def test_samples_of_resources_not_mirrored_are_skipped_and_counted(sandbox):
    source = sandbox_source(sandbox)
    run = run_stream(source.metrics_stream_name)  # no pass yet: no resource to attach them to
    assert run.status == SyncRunStatus.SUCCEEDED
    assert not MetricSample.objects.exists()
    skipped = StreamState.objects.get(stream=source.metrics_stream_name).cursor["skipped"]
    assert skipped["unmatched"] > 0
    assert Resource.objects.count() == 0


def test_a_mapping_with_an_unreadable_expression_is_refused_on_save():
    from django.core.exceptions import ValidationError  # noqa: PLC0415 - only here

    with pytest.raises(ValidationError, match="conversion"):
        MetricMapping(key="cpu", conversion_expr='__import__("os")').full_clean()
    MetricMapping(key="cpu", conversion_expr="value * 100").full_clean()
