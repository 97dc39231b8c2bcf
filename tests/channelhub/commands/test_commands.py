"""The operator's commands: sync, backfill, setup_schedules, ensure_admin."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django_q.models import Schedule

from channelhub.models import SyncRun, SyncRunStatus
from channelhub.sync import lock, registry
from channelhub.sync.tasks import sync_stream_task
from fulfillment.models import FulfillmentRequest, Product
from tests.channelhub.sync.helpers import control

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


def test_sync_list_names_every_stream():
    out = run("sync", "--list")
    for name in registry.all_streams():
        assert name in out


def test_sync_needs_streams_or_all():
    with pytest.raises(CommandError, match="--all"):
        run("sync")


def test_sync_rejects_unknown_streams_and_lists_the_known_ones():
    with pytest.raises(CommandError, match=r"unknown stream.*nope.*Known streams: connect\.products"):
        run("sync", "nope")


def test_sync_skips_an_upstream_that_is_not_configured(settings):
    settings.CONNECT_API_URL = ""
    out = run("sync", "--all")
    assert "connect: Connect is not configured" in out
    assert "channel: Cloud Channel is not configured" in out  # (not configured in tests by default)
    assert out.count("not configured") == 2  # one line per upstream, not one per stream
    assert not SyncRun.objects.exclude(status=SyncRunStatus.SKIPPED).exists()


def test_sync_named_streams(connect_settings):
    out = run("sync", "connect.products", "connect.requests")
    assert "connect.products: succeeded" in out and "connect.requests: succeeded" in out
    assert Product.objects.exists() and FulfillmentRequest.objects.exists()


def test_sync_failure_exits_nonzero_with_the_error(connect_settings, settings):
    settings.UPSTREAM_MAX_RETRIES = 0
    control(connect_settings, "POST", "faults", {"rate": 1.0, "kinds": ["500"], "path": "/requests"})
    with pytest.raises(CommandError, match="some streams failed"):
        run("sync", "connect.requests")
    assert SyncRun.objects.get(stream="connect.requests").status == SyncRunStatus.FAILED


def test_sync_of_a_locked_stream_exits_3_saying_who_holds_it(connect_settings):
    assert lock.acquire("connect.requests", "elsewhere:1:4242:0badf00d")
    with pytest.raises(
        CommandError, match=r"connect\.requests \(already running: lock held by pid 1 on elsewhere"
    ) as exc:
        run("sync", "connect.products", "connect.requests")
    assert exc.value.returncode == 3
    assert "until" in str(exc.value)
    assert SyncRun.objects.get(stream="connect.products").status == SyncRunStatus.SUCCEEDED
    assert (
        SyncRun.objects.get(stream="connect.requests").status == SyncRunStatus.SKIPPED
    )  # a row in the run list


def test_backfill_a_window(connect_settings):
    run("sync", "connect.requests")
    all_ids = set(FulfillmentRequest.objects.values_list("id", flat=True))
    FulfillmentRequest.objects.all().delete()
    out = run("backfill", "connect.requests", "--since", "2000-01-01", "--until", "2100-01-01")
    assert "connect.requests: succeeded" in out
    assert set(FulfillmentRequest.objects.values_list("id", flat=True)) == all_ids


@pytest.mark.parametrize(
    "args, message",
    [
        (["backfill", "connect.requests", "--since", "yesterday"], "not a date"),
        (
            ["backfill", "connect.requests", "--since", "2025-02-01", "--until", "2025-01-01"],
            "before --until",
        ),
        (["backfill", "connect.marketplaces", "--since", "2025-01-01"], "read whole"),
        (["backfill", "nope"], "unknown stream"),
    ],
)
def test_backfill_bad_input_is_a_clear_error(connect_settings, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_setup_schedules_is_idempotent():
    others = 4  # the outbox sweep, the sync dispatcher, the automation runner, the daily retention
    first = run("setup_schedules")
    assert first.count("created") == len(registry.all_streams()) + others
    assert "automation:run-due: created" in first
    second = run("setup_schedules")
    assert "created" not in second and second.count("unchanged") == len(registry.all_streams()) + others
    requests = Schedule.objects.get(name="sync:connect.requests")
    assert requests.minutes == 1 and requests.func == "channelhub.sync.tasks.sync_stream_task"
    assert Schedule.objects.get(name="sync:connect.products").minutes == 60


def test_setup_schedules_removes_stale_ones():
    Schedule.objects.create(name="sync:gone", func="channelhub.sync.tasks.sync_stream_task", args="'gone'")
    assert "sync:gone: removed" in run("setup_schedules")


def test_scheduled_task_runs_the_stream(connect_settings):
    summary = sync_stream_task("connect.products")
    assert summary.startswith("connect.products: succeeded")
    assert SyncRun.objects.get(stream="connect.products").trigger == "schedule"


def test_ensure_admin_creates_one_login_once():
    out = run("ensure_admin")
    assert "password" in out
    assert get_user_model().objects.filter(is_superuser=True).count() == 1
    assert "exists already" in run("ensure_admin")


def test_backfill_takes_a_window_for_every_stream_that_supports_one(channel_settings):
    # Channel's entitlement history filters by create time, so it takes --since/--until too
    # (the command used to refuse every stream that was not a Connect keyset stream).
    windowed = {name for name, stream in registry.all_streams().items() if stream.supports_window}
    assert {
        "connect.requests",
        "channel.entitlement_changes",
    } <= windowed and "connect.marketplaces" not in windowed
    out = run("backfill", "channel.entitlement_changes", "--since", "2000-01-01", "--until", "2100-01-01")
    assert "channel.entitlement_changes: succeeded" in out
    assert SyncRun.objects.get(stream="channel.entitlement_changes").window_since is not None
