"""The sync engine against the real sandbox over HTTP."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from channelhub.models import StreamState, SyncRun, SyncRunStatus
from channelhub.sync import engine, lock, registry
from channelhub.sync.engine import run_stream
from fulfillment.models import (
    Conversation,
    ConversationMessage,
    FulfillmentRequest,
    Template,
    TierConfigRequest,
)

from .helpers import (
    COLLECTIONS,
    assert_mirror_equals_upstream,
    control,
    official,
    settled_log,
    upstream_objects,
)

pytestmark = pytest.mark.django_db


def sync_all(**kwargs) -> list[SyncRun]:
    connect = [name for name, stream in registry.all_streams().items() if stream.upstream == "connect"]
    runs = [run_stream(name, **kwargs) for name in connect]
    failed = [(r.stream, r.error) for r in runs if r.status != SyncRunStatus.SUCCEEDED]
    assert not failed, failed
    return runs


def test_full_sync_equals_the_sandbox(connect_settings):
    runs = sync_all()
    assert_mirror_equals_upstream(connect_settings)
    by_stream = {r.stream: r for r in runs}
    assert by_stream["connect.requests"].created == FulfillmentRequest.objects.count() > 0
    assert by_stream["connect.requests"].progress == 100
    # templates hang under products; every product's templates arrive
    products = upstream_objects(connect_settings, "/products")
    for pid in products:
        upstream = upstream_objects(connect_settings, f"/products/{pid}/templates")
        assert set(Template.objects.filter(product_id=pid).values_list("id", flat=True)) == set(upstream)
    assert Template.objects.exists()


def test_messages_are_mirrored_for_open_requests(connect_settings):
    sync_all()
    open_ids = list(
        FulfillmentRequest.objects.filter(status__in=["pending", "inquiring"]).values_list("id", flat=True)
    )
    assert open_ids
    conversation = Conversation.objects.filter(instance_id__in=open_ids).first()
    assert conversation is not None
    upstream = control(connect_settings, "GET", "state")  # sanity: the sandbox is up
    assert upstream
    messages = official(connect_settings).conversations[conversation.id].messages.all()
    expected = {m["id"] for m in messages}
    assert (
        set(ConversationMessage.objects.filter(conversation=conversation).values_list("id", flat=True))
        == expected
    )


def test_incremental_run_writes_nothing_when_nothing_changed(connect_settings):
    sync_all()
    second = sync_all()
    assert all(r.created == 0 and r.updated == 0 for r in second), [
        (r.stream, r.created, r.updated) for r in second
    ]
    requests_run = next(r for r in second if r.stream == "connect.requests")
    # incremental: it re-read only the overlap window, not the whole collection
    assert requests_run.fetched < FulfillmentRequest.objects.count()


def test_changes_between_runs_arrive(connect_settings):
    sync_all()
    for _ in range(3):
        control(connect_settings, "POST", "tick")
    runs = {r.stream: r for r in sync_all()}
    assert runs["connect.requests"].created + runs["connect.requests"].updated > 0
    assert_mirror_equals_upstream(connect_settings)


@pytest.mark.parametrize("crash_after_pages", [0, 2, 5])
def test_crash_mid_sync_then_rerun_converges(connect_settings, monkeypatch, crash_after_pages):
    real_upsert = engine.upsert_rows
    calls = {"n": 0}

    def crashing_upsert(model, rows, **kwargs):
        if model is FulfillmentRequest:
            if calls["n"] == crash_after_pages:
                raise RuntimeError("injected crash")
            calls["n"] += 1
        return real_upsert(model, rows, **kwargs)

    monkeypatch.setattr(engine, "upsert_rows", crashing_upsert)
    crashed = run_stream("connect.requests", page_size=7)
    assert crashed.status == SyncRunStatus.FAILED
    assert "injected crash" in crashed.error
    # what was committed is exactly the pages before the crash, with their cursor
    assert FulfillmentRequest.objects.count() == 7 * crash_after_pages
    state = StreamState.objects.get(stream="connect.requests")
    if crash_after_pages:
        assert state.cursor["id"] == FulfillmentRequest.objects.order_by("-updated", "-id").first().id
    else:
        assert state.cursor == {}
    assert state.locked_by == ""  # the lock was released

    monkeypatch.setattr(engine, "upsert_rows", real_upsert)
    rerun = run_stream("connect.requests", page_size=7)
    assert rerun.status == SyncRunStatus.SUCCEEDED
    assert_mirror_equals_upstream(connect_settings, {"/requests": FulfillmentRequest})


def test_pages_shifting_while_paging_lose_nothing(connect_settings):
    before = upstream_objects(connect_settings, "/requests")
    # Every list call first touches 2 objects (they move to the end of the update order)
    # and inserts a new one: offset paging would skip rows that shift under it.
    control(connect_settings, "POST", "faults", {"churn": 2, "path": "/requests"})
    run = run_stream("connect.requests", page_size=5)
    assert run.status == SyncRunStatus.SUCCEEDED
    control(connect_settings, "DELETE", "faults")
    after = upstream_objects(connect_settings, "/requests")
    mirror = dict(FulfillmentRequest.objects.values_list("id", "payload"))
    # Nothing that stood still was skipped, however much moved around it ...
    still = {k for k, v in before.items() if after[k] == v}
    assert len(still) >= 5
    assert {k for k in still if mirror.get(k) != after[k]} == set()
    # ... what moved while we paged was read again in the same run (all of it but what
    # raced the last page within the same second) ...
    moved = set(after) - still
    assert moved & {k for k in mirror if mirror[k] == after[k]}
    # ... and the next incremental run, starting an overlap behind the cursor, catches the rest.
    assert run_stream("connect.requests").status == SyncRunStatus.SUCCEEDED
    assert_mirror_equals_upstream(connect_settings, {"/requests": FulfillmentRequest})


@pytest.mark.parametrize("kind", ["500", "502", "503", "429", "timeout", "truncated", "reset"])
def test_transient_faults_are_retried(connect_settings, kind):
    control(connect_settings, "DELETE", "log")
    control(
        connect_settings, "POST", "faults", {"next": [kind, kind], "path": "/requests", "timeout_seconds": 3}
    )
    run = run_stream("connect.requests", page_size=50)
    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    log = settled_log(connect_settings, lambda entries: len([e for e in entries if e.get("fault")]) >= 2)
    assert len([e for e in log if e.get("fault")]) == 2
    assert_mirror_equals_upstream(connect_settings, {"/requests": FulfillmentRequest})


def test_permanent_error_is_recorded_on_the_run(connect_settings, settings):
    settings.UPSTREAM_MAX_RETRIES = 2
    control(connect_settings, "POST", "faults", {"rate": 1.0, "kinds": ["503"], "path": "/requests"})
    run = run_stream("connect.requests")
    assert run.status == SyncRunStatus.FAILED
    assert run.error_detail["status"] == 503
    assert "HTTP 503" in run.error
    assert SyncRun.objects.get(pk=run.pk).status == SyncRunStatus.FAILED


def test_rejected_credentials_are_recorded_with_the_upstream_code(connect_settings, settings):
    settings.CONNECT_API_KEY = " "
    run = run_stream("connect.requests")
    assert run.status == SyncRunStatus.FAILED
    assert run.error_detail["status"] == 401
    assert run.error_detail["error_code"] == "AUTH_001"


def test_not_configured_upstream_is_skipped(settings):
    settings.CONNECT_API_URL = ""
    run = run_stream("connect.requests")
    assert run.status == SyncRunStatus.SKIPPED
    assert "not configured" in run.error


def test_a_stream_held_by_another_run_is_skipped(connect_settings):
    assert lock.acquire("connect.requests", "someone-else")
    run = run_stream("connect.requests")
    assert run.status == SyncRunStatus.SKIPPED
    assert "already running" in run.error
    assert not FulfillmentRequest.objects.exists()


def test_an_expired_lease_is_taken_over(connect_settings):
    assert lock.acquire("connect.requests", "a-dead-worker", seconds=-1)  # lease already expired
    run = run_stream("connect.requests")
    assert run.status == SyncRunStatus.SUCCEEDED


def test_backfill_rereads_a_window_without_moving_the_cursor(connect_settings):
    run_stream("connect.requests")
    cursor = StreamState.objects.get(stream="connect.requests").cursor
    requests_ = list(FulfillmentRequest.objects.order_by("updated"))
    middle = requests_[len(requests_) // 2].updated
    FulfillmentRequest.objects.all().delete()
    run = run_stream("connect.requests", since=middle, backfill=True)
    assert run.status == SyncRunStatus.SUCCEEDED
    assert run.trigger == "backfill"
    assert StreamState.objects.get(stream="connect.requests").cursor == cursor
    assert FulfillmentRequest.objects.filter(updated__lt=middle).count() == 0
    assert FulfillmentRequest.objects.filter(updated__gte=middle).count() == sum(
        1 for r in requests_ if r.updated >= middle
    )


def test_tier_config_requests_follow_their_changes(connect_settings):
    sync_all()
    assert TierConfigRequest.objects.exists()
    assert_mirror_equals_upstream(connect_settings, {"/tier/config-requests": TierConfigRequest})


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_do_not_both_write(connect_settings):
    # Slow every page down so the two runs really overlap.
    # (a "timeout" fault shorter than the client's timeout is just a slow answer)
    control(
        connect_settings,
        "POST",
        "faults",
        {"rate": 1.0, "kinds": ["timeout"], "timeout_seconds": 0.05, "path": "/requests"},
    )
    results = []

    def worker():
        try:
            results.append(run_stream("connect.requests", page_size=5))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    statuses = sorted(r.status for r in results)
    assert statuses == [SyncRunStatus.SKIPPED, SyncRunStatus.SUCCEEDED], [
        (r.status, r.error) for r in results
    ]
    # the skipped one leaves a row too, saying who held the lock
    assert (
        SyncRun.objects.filter(stream="connect.requests").exclude(status=SyncRunStatus.SKIPPED).count() == 1
    )
    skipped = SyncRun.objects.get(stream="connect.requests", status=SyncRunStatus.SKIPPED)
    assert "already running: lock held by pid" in skipped.error
    control(connect_settings, "DELETE", "faults")
    assert_mirror_equals_upstream(connect_settings, {"/requests": FulfillmentRequest})


def test_every_collection_is_covered():
    names = set(registry.all_streams())
    assert {
        "connect.products",
        "connect.templates",
        "connect.marketplaces",
        "connect.hubs",
        "connect.tier_accounts",
        "connect.assets",
        "connect.requests",
    } <= names
    assert {"connect.tier_configs", "connect.tier_config_requests", "connect.conversations"} <= names
    assert len(COLLECTIONS) == 9


def test_a_run_counts_rows_per_model_it_wrote(connect_settings):
    assert run_stream("connect.requests").status == "succeeded"  # messages are read for open requests
    run = run_stream("connect.conversations")
    assert run.status == "succeeded", run.error
    counts = run.model_counts
    assert set(counts) >= {"fulfillment.conversation"}
    assert counts["fulfillment.conversation"]["created"] == run.created > 0
    # Messages are written in the same pages (for open requests): counted apart.
    messages = counts["fulfillment.conversationmessage"]
    assert messages["created"] == ConversationMessage.objects.count() > 0
