"""Streams made at run time from rows (providers), the dispatcher that runs them when due, and
the `<upstream>.<collection>` names with their data migration.

A provider is registered here as an app would in `ready()`, into a fresh store (the real one
is frozen once read, as tests/core/test_registry.py shows); its streams read the sandbox's
Connect marketplaces over real HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from importlib import import_module
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule
from django_q.signing import SignedPackage

from channelhub import registry as app_registry
from channelhub.models import AuditEvent, StreamState, SyncRun, SyncRunStatus
from channelhub.registry import Store
from channelhub.services import ServiceError
from channelhub.sync import dispatch, lock, names, registry, schedules
from channelhub.sync.engine import run_stream
from channelhub.sync.streams import Batch, RunContext, Stream
from channelhub.sync.tasks import dispatch_due_streams_task, sync_stream_task
from fulfillment.connect.mappers import map_marketplace
from fulfillment.models import Marketplace

SYNC_TASK = "channelhub.sync.tasks.sync_stream_task"
SOURCE = "connect.marketplaces.src-1"


class SourceStream(Stream):
    """What a provider makes from one source row: here, the sandbox's Connect marketplaces."""

    upstream = "connect"
    model = Marketplace
    description = "marketplaces of one configured source"
    mapper = staticmethod(map_marketplace)

    def __init__(self, name: str, minutes: int = 15):
        self.name = name
        self.schedule_minutes = minutes

    def batches(self, ctx: RunContext) -> Iterator[Batch]:
        items = list(ctx.client.iter_all("/marketplaces"))
        yield Batch(writes=[(Marketplace, self.map_rows(items))], fetched=len(items), remaining=0)


@pytest.fixture
def rows(monkeypatch):
    """The "source rows" a provider makes streams of: a list the test fills, read on every call."""
    made: list[Stream] = []
    store = Store("stream_providers")
    store.add(lambda: list(made))
    monkeypatch.setitem(app_registry.STORES, "stream_providers", store)
    return made


class _Broker:
    """Stands in for django-q's broker; keeps the tasks it is given."""

    list_key = "test"

    def __init__(self):
        self.tasks = []

    def enqueue(self, pack):
        self.tasks.append(SignedPackage.loads(pack))
        return len(self.tasks)


@pytest.fixture
def broker(monkeypatch):
    broker = _Broker()
    monkeypatch.setattr("django_q.tasks.get_broker", lambda *a, **k: broker)
    return broker


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_queued(broker: _Broker) -> list[str]:
    """Run what the dispatcher handed over, as a worker would; returns the summaries."""
    done = []
    for task in broker.tasks:
        assert task["func"] == SYNC_TASK
        done.append(sync_stream_task(*task["args"]))
    broker.tasks.clear()
    return done


def supervisor():
    user = get_user_model().objects.create_user(username="sup", password="pw-long-enough-123", is_staff=True)
    user.groups.add(Group.objects.get(name="supervisor"))
    return get_user_model().objects.get(pk=user.pk)


# --- providers: listed, synced by name, backfilled -----------------------------------------


@pytest.mark.django_db
def test_provided_streams_are_listed_synced_and_backfilled_by_name(connect_settings, rows):
    out, _ = run("sync", "--list")
    assert SOURCE not in out
    rows.append(SourceStream(SOURCE))  # a source row added at run time: no deploy, no restart
    out, err = run("sync", "--list")
    line = next(line for line in out.splitlines() if line.startswith(SOURCE))
    assert "provided; run by the dispatcher" in line and "every 15 min" in line
    assert out.index("connect.requests") < out.index(SOURCE) and not err

    out, _ = run("sync", SOURCE)
    assert f"{SOURCE}: succeeded" in out
    assert SyncRun.objects.get(stream=SOURCE).created == Marketplace.objects.count() > 0
    out, _ = run("backfill", SOURCE)
    assert f"{SOURCE}: succeeded" in out
    with pytest.raises(CommandError, match="read whole"):
        run("backfill", SOURCE, "--since", "2025-01-01")


# --- the dispatcher ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_dispatcher_runs_a_provided_stream_when_due_and_not_before(connect_settings, rows, broker):
    rows.append(SourceStream(SOURCE, minutes=15))
    tick = dispatch.dispatch_due()
    assert tick.enqueued == [SOURCE] and not tick.errors
    assert [(t["func"], t["args"], t["group"]) for t in broker.tasks] == [
        (SYNC_TASK, (SOURCE,), f"sync:{SOURCE}")
    ]
    # Still in the broker: the next tick does not hand it over again.
    assert dispatch.dispatch_due().waiting == {SOURCE: "queued"} and len(broker.tasks) == 1

    assert run_queued(broker) == [
        f"{SOURCE}: succeeded pages=1 created={Marketplace.objects.count()} updated=0 unchanged=0"
    ]
    assert StreamState.objects.get(stream=SOURCE).queued_at is None
    assert "waiting 1" in dispatch_due_streams_task()  # ran a moment ago, every 15 minutes
    assert dispatch.dispatch_due().waiting == {SOURCE: "not due"} and not broker.tasks

    # Fourteen minutes later it is not due yet; sixteen minutes later it is.
    SyncRun.objects.filter(stream=SOURCE).update(started_at=timezone.now() - timedelta(minutes=14))
    assert dispatch.dispatch_due().waiting == {SOURCE: "not due"}
    SyncRun.objects.filter(stream=SOURCE).update(started_at=timezone.now() - timedelta(minutes=16))
    assert dispatch.dispatch_due().enqueued == [SOURCE]
    summary = run_queued(broker)[0]
    assert (
        summary.startswith(f"{SOURCE}: succeeded") and f"unchanged={Marketplace.objects.count()}" in summary
    )
    assert SyncRun.objects.filter(stream=SOURCE, status=SyncRunStatus.SUCCEEDED).count() == 2


@pytest.mark.django_db
def test_the_dispatcher_leaves_a_locked_or_paused_stream_and_takes_a_lost_task_as_lost(
    connect_settings, rows, broker
):
    rows.append(SourceStream(SOURCE))
    assert lock.acquire(SOURCE, "elsewhere:1:4242:0badf00d")  # a run on another machine
    assert dispatch.dispatch_due().waiting == {SOURCE: "running"} and not broker.tasks
    lock.release(SOURCE, "elsewhere:1:4242:0badf00d")

    boss = supervisor()
    schedules.stream_pause(stream=SOURCE, actor=boss, reason="source is down")
    assert dispatch.dispatch_due().waiting == {SOURCE: "paused"} and not broker.tasks
    schedules.stream_resume(stream=SOURCE, actor=boss)
    assert dispatch.dispatch_due().enqueued == [SOURCE]
    events = AuditEvent.objects.filter(target_type="stream", target_id=SOURCE).order_by("id")
    assert [(e.action, e.actor_name) for e in events] == [("stream.paused", "sup"), ("stream.resumed", "sup")]

    # Handed over, then lost by the broker (a Redis task cut short): taken as lost after a while.
    broker.tasks.clear()
    StreamState.objects.filter(stream=SOURCE).update(queued_at=timezone.now() - dispatch.QUEUED_FOR)
    assert dispatch.dispatch_due().enqueued == [SOURCE]


@pytest.mark.django_db
def test_a_provided_stream_of_an_upstream_not_configured_is_not_handed_over(settings, rows, broker):
    settings.CONNECT_API_URL = ""
    rows.append(SourceStream(SOURCE))
    assert dispatch.dispatch_due().waiting == {SOURCE: "not configured"} and not broker.tasks
    assert not SyncRun.objects.exists()  # no skipped run every minute


@pytest.mark.django_db
def test_run_now_of_a_provided_stream_hands_it_over_and_is_audited(connect_settings, rows, broker):
    rows.append(SourceStream(SOURCE))
    boss = supervisor()
    schedules.stream_run_now(stream=SOURCE, actor=boss)
    assert [t["args"] for t in broker.tasks] == [(SOURCE,)]
    assert dispatch.dispatch_due().waiting == {SOURCE: "queued"}
    assert (
        AuditEvent.objects.filter(action="stream.run_now", target_type="stream", target_id=SOURCE).count()
        == 1
    )


@pytest.mark.django_db
def test_setup_schedules_makes_the_dispatcher_on_the_allow_list_and_not_one_per_provided_stream(rows):
    rows.append(SourceStream(SOURCE))
    result = dict(schedules.setup_schedules())
    assert result["sync:dispatch"] == "created" and f"sync:{SOURCE}" not in result
    dispatcher = Schedule.objects.get(name="sync:dispatch")
    assert dispatcher.func == "channelhub.sync.tasks.dispatch_due_streams_task" and dispatcher.minutes == 1
    assert Schedule.objects.get(name="sync:connect.requests").args == "'connect.requests'"


# --- names stay unique: a clash is an error shown, not a crash of every sync --------------------


def _failing_provider():
    raise RuntimeError("inventory_source table is not there yet")


@pytest.mark.django_db
def test_a_clashing_or_misnamed_provided_stream_is_left_out_with_an_error_and_the_rest_go_on(
    connect_settings, rows, broker, monkeypatch, client
):
    rows.extend(
        [
            SourceStream("connect.requests"),  # the declared stream's name
            SourceStream(SOURCE),
            SourceStream(SOURCE),  # two rows made the same name
            SourceStream("Inventory Source 1"),
        ]
    )
    app_registry.STORES["stream_providers"].add(_failing_provider)
    assert [type(s).__name__ for s in registry.all_streams().values()].count("SourceStream") == 1
    assert type(registry.get("connect.requests")).__name__ == "RequestStream"

    out, err = run("sync", "--list")  # lists what stands, says what is left out
    assert SOURCE in out and "connect.requests" in out
    assert "duplicate stream name 'connect.requests'" in err and f"duplicate stream name '{SOURCE}'" in err
    assert "'Inventory Source 1' is not <upstream>.<collection>" in err
    assert "inventory_source table is not there yet" in err

    tick = dispatch.dispatch_due()
    assert tick.enqueued == [SOURCE] and len(tick.errors) == 4
    assert "errors: duplicate stream name" in tick.summary()
    assert run_queued(broker)[0].startswith(f"{SOURCE}: succeeded")
    assert run_stream("connect.requests").status == SyncRunStatus.SUCCEEDED  # the declared one

    client.force_login(supervisor())
    page = client.get(reverse("admin:channelhub_streamstate_changelist"))
    assert page.status_code == 200 and b"Stream left out: duplicate stream name" in page.content


class _Misnamed(SourceStream):
    """A declared stream still carrying an old-style name."""


STREAMS = [_Misnamed("marketplaces")]  # this module, registered as an app's streams module below


@pytest.fixture
def declared_misnamed(monkeypatch):
    store = Store("stream_modules")
    store.add(__name__)
    monkeypatch.setitem(app_registry.STORES, "stream_modules", store)
    registry.declared_streams.cache_clear()
    yield
    registry.declared_streams.cache_clear()


def test_a_declared_stream_that_is_not_upstream_dot_collection_fails_the_system_check(declared_misnamed):
    errors = registry.check_streams()
    assert [e.id for e in errors] == ["channelhub.E001"]
    assert "'marketplaces' is not <upstream>.<collection> for upstream 'connect'" in errors[0].msg


def test_what_a_stream_name_may_be():
    assert names.name_problem("connect.requests", "connect") is None
    assert names.name_problem("connect.resources.eu-west", "connect") is None
    assert "for upstream 'connect'" in names.name_problem("channel.requests", "connect")
    assert names.name_problem("connect.", "connect") and names.name_problem("connect.Requests", "connect")
    assert "longer than 64" in names.name_problem("connect." + "x" * 60, "connect")


# --- old names: a clear error naming the new one ----------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args,new",
    [
        (["sync", "requests"], "connect.requests"),
        (["sync", "connect.products", "channel_entitlements"], "channel.entitlements"),
        (["backfill", "tier_config_requests", "--since", "2025-01-01"], "connect.tier_config_requests"),
    ],
)
def test_an_old_stream_name_is_a_clear_error_naming_the_new_one(args, new):
    old = next(a for a in args[1:] if a in names.FORMER)
    with pytest.raises(CommandError, match=rf"'{old}' is now called '{new}'"):
        run(*args)
    assert not SyncRun.objects.exists()


@pytest.mark.django_db
def test_a_task_or_run_with_an_old_name_fails_naming_the_new_one():
    with pytest.raises(registry.UnknownStream, match="'requests' is now called 'connect.requests'"):
        run_stream("requests")
    with pytest.raises(registry.UnknownStream, match="'channel_offers' is now called 'channel.offers'"):
        sync_stream_task("channel_offers")  # a task queued before the upgrade
    with pytest.raises(
        registry.UnknownStream, match="unknown stream 'nope'; known streams: connect.products"
    ):
        registry.get("nope")


# --- the data migration, forward and back --------------------------------------------------------

BEFORE = ("channelhub", "0009_sync_run_model_counts")
RENAMED = ("channelhub", "0010_stream_names")


def _migrate(target) -> object:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


@pytest.mark.django_db(transaction=True)
def test_the_data_migration_renames_states_runs_and_schedules_and_back():
    assert import_module("channelhub.migrations.0010_stream_names").RENAMES == names.FORMER
    leaf = MigrationExecutor(connection).loader.graph.leaf_nodes("channelhub")[0]
    apps = _migrate(BEFORE)
    old_state, old_run = apps.get_model("channelhub", "StreamState"), apps.get_model("channelhub", "SyncRun")
    old_schedule = apps.get_model("django_q", "Schedule")
    old_state.objects.create(stream="requests", cursor={"at": "2025-01-01T00:00:00+00:00", "id": "PR-1"})
    old_state.objects.create(stream="channel_entitlements")
    old_run.objects.create(stream="requests", status="succeeded")
    old_run.objects.create(stream="channel_entitlements", status="failed")
    paused_at = timezone.now() + timedelta(minutes=7)
    old_schedule.objects.create(
        name="sync:requests",
        func=SYNC_TASK,
        args="'requests'",
        schedule_type="I",
        minutes=1,
        repeats=0,
        next_run=paused_at,
    )
    old_schedule.objects.create(
        name="sync:channel_offers", func=SYNC_TASK, args="'channel_offers'", minutes=60, repeats=-1
    )
    old_schedule.objects.create(
        name="mine", func=SYNC_TASK, args="'requests'"
    )  # not setup_schedules': left be

    apps = _migrate(RENAMED)
    state, sync_run = apps.get_model("channelhub", "StreamState"), apps.get_model("channelhub", "SyncRun")
    schedule = apps.get_model("django_q", "Schedule")
    assert set(state.objects.values_list("stream", flat=True)) == {"connect.requests", "channel.entitlements"}
    assert state.objects.get(stream="connect.requests").cursor["id"] == "PR-1"
    assert sorted(sync_run.objects.values_list("stream", flat=True)) == [
        "channel.entitlements",
        "connect.requests",
    ]
    requests = schedule.objects.get(name="sync:connect.requests")
    assert (requests.args, requests.repeats, requests.next_run) == (
        "'connect.requests'",
        0,
        paused_at,
    )  # still paused
    assert schedule.objects.get(name="sync:channel.offers").args == "'channel.offers'"
    assert schedule.objects.get(name="mine").args == "'requests'"

    apps = _migrate(BEFORE)
    state, sync_run = apps.get_model("channelhub", "StreamState"), apps.get_model("channelhub", "SyncRun")
    schedule = apps.get_model("django_q", "Schedule")
    assert set(state.objects.values_list("stream", flat=True)) == {"requests", "channel_entitlements"}
    assert state.objects.get(stream="requests").cursor["id"] == "PR-1"
    assert sorted(sync_run.objects.values_list("stream", flat=True)) == ["channel_entitlements", "requests"]
    assert set(schedule.objects.values_list("name", "args")) == {
        ("sync:requests", "'requests'"),
        ("sync:channel_offers", "'channel_offers'"),
        ("mine", "'requests'"),
    }
    assert schedule.objects.get(name="sync:requests").repeats == 0

    _migrate(("channelhub", leaf[1]))


@pytest.mark.django_db
def test_the_stream_states_admin_pauses_a_declared_streams_schedule_and_a_provided_streams_state(
    client, rows
):
    rows.append(SourceStream(SOURCE))
    schedules.setup_schedules()
    for name in ("connect.products", SOURCE):
        lock.ensure_state(name)
    boss = supervisor()
    client.force_login(boss)
    url = reverse("admin:channelhub_streamstate_changelist")
    client.post(url, {"action": "pause_selected", "_selected_action": ["connect.products", SOURCE]})
    assert schedules.is_paused(Schedule.objects.get(name="sync:connect.products"))
    assert StreamState.objects.get(stream=SOURCE).paused_at is not None
    assert StreamState.objects.get(stream="connect.products").paused_at is None  # its schedule says
    assert set(AuditEvent.objects.values_list("action", "target_type", "target_id")) == {
        ("schedule.paused", "schedule", "sync:connect.products"),
        ("stream.paused", "stream", SOURCE),
    }
    client.post(url, {"action": "resume_selected", "_selected_action": ["connect.products", SOURCE]})
    assert Schedule.objects.get(name="sync:connect.products").repeats == -1
    assert StreamState.objects.get(stream=SOURCE).paused_at is None

    readonly = get_user_model().objects.create_user(
        username="ro", password="pw-long-enough-123", is_staff=True
    )
    readonly.groups.add(Group.objects.get(name="readonly"))
    client.force_login(readonly)
    assert b"pause_selected" not in client.get(url).content
    with pytest.raises(ServiceError, match="run_sync"):
        schedules.stream_pause(stream=SOURCE, actor=readonly)
