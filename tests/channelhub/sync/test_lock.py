"""The stream lock's holders: dead local ones are taken over at once, others when their lease
expires; runs they leave behind are closed as "worker lost"; skipped runs leave a row."""

from __future__ import annotations

import os
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from channelhub.models import StreamState, SyncRun, SyncRunStatus
from channelhub.sync import lock
from channelhub.sync.engine import run_stream

pytestmark = pytest.mark.django_db


@pytest.fixture
def sleeper():
    """A live local process that is not us (it could be a qcluster worker)."""
    proc = subprocess.Popen(["sleep", "120"])
    yield proc
    proc.kill()
    proc.wait()


def wait_until_zombie(pid: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
        assert time.monotonic() < deadline, f"pid {pid} is not a zombie after {seconds}s"
        time.sleep(0.01)


def held_by(owner: str, stream: str = "connect.marketplaces") -> SyncRun:
    """`owner` holds `stream`'s lock (a full lease) and has a run of it in progress."""
    assert lock.acquire(stream, owner)
    return SyncRun.objects.create(stream=stream, owner=owner)


def assert_worker_lost(run: SyncRun) -> None:
    run.refresh_from_db()
    assert run.status == SyncRunStatus.FAILED and run.error == "worker lost"
    assert run.finished_at is not None


@pytest.mark.parametrize("reaped", [True, False], ids=["reaped", "zombie"])
def test_a_dead_local_holder_is_taken_over_at_once(connect_settings, sleeper, reaped):
    lost = held_by(lock.new_owner(sleeper.pid))
    sleeper.kill()
    if reaped:
        sleeper.wait()
    else:  # a zombie, killed but not yet reaped by its parent, is dead too
        wait_until_zombie(sleeper.pid)
    run = run_stream("connect.marketplaces")
    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    assert_worker_lost(lost)
    assert StreamState.objects.get(stream="connect.marketplaces").locked_by == ""


def test_a_live_local_holder_keeps_the_lock_and_the_skip_is_recorded(connect_settings, sleeper):
    owner = lock.new_owner(sleeper.pid)
    running = held_by(owner)
    run = run_stream("connect.marketplaces")
    assert run.status == SyncRunStatus.SKIPPED
    saved = SyncRun.objects.get(pk=run.pk)
    until = StreamState.objects.get(stream="connect.marketplaces").locked_until
    assert saved.error == (
        f"already running: lock held by pid {sleeper.pid} on {lock.this_host()} ({owner})"
        f" until {until:%Y-%m-%d %H:%M:%S} UTC"
    )
    running.refresh_from_db()
    assert running.status == SyncRunStatus.RUNNING


def test_a_reused_pid_does_not_keep_a_dead_holder_alive():
    # Our own pid, alive, but the holder that wrote it started at another time: it is gone,
    # and the kernel gave its pid to this process.
    ours = lock.new_owner()
    assert lock.Owner.parse(ours).start  # this system has /proc: the start time is recorded
    host, pid, start, _ = ours.split(":")
    assert not lock.is_dead_local(ours)
    assert lock.is_dead_local(f"{host}:{pid}:{int(start) - 1}:0badf00d")
    assert not lock.is_dead_local(f"{host}:{pid}::0badf00d")  # start unknown: the pid decides


def test_a_reused_pid_is_taken_over_by_the_next_run(connect_settings):
    host, pid, start, _ = lock.new_owner().split(":")
    lost = held_by(f"{host}:{pid}:{int(start) - 1}:0badf00d")
    run = run_stream("connect.marketplaces")
    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    assert_worker_lost(lost)


def test_a_holder_on_another_host_is_taken_over_only_when_its_lease_expires(connect_settings):
    lost = held_by("elsewhere:1:4242:0badf00d")  # pid 1 on another host is no one we know
    assert run_stream("connect.marketplaces").status == SyncRunStatus.SKIPPED
    lost.refresh_from_db()
    assert lost.status == SyncRunStatus.RUNNING
    StreamState.objects.filter(stream="connect.marketplaces").update(
        locked_until=timezone.now() - timedelta(seconds=1)
    )
    run = run_stream("connect.marketplaces")
    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    assert_worker_lost(lost)


def test_a_lost_run_is_closed_when_its_lease_expires_without_waiting_for_its_stream(connect_settings):
    # The hubs worker died an hour ago on another host; hubs runs hourly, but any run closes it.
    expired = held_by("elsewhere:7:4242:0badf00d", stream="connect.hubs")
    StreamState.objects.filter(stream="connect.hubs").update(
        locked_until=timezone.now() - timedelta(seconds=1)
    )
    live = held_by("elsewhere:8:4242:0badf00d", stream="connect.products")  # its lease is live
    orphan = SyncRun.objects.create(
        stream="connect.tier_accounts", owner="gone:9:1:0badf00d"
    )  # no lock at all
    assert run_stream("connect.marketplaces").status == SyncRunStatus.SUCCEEDED
    assert_worker_lost(expired)
    assert_worker_lost(orphan)
    live.refresh_from_db()
    assert live.status == SyncRunStatus.RUNNING


def test_a_run_keeps_its_own_lock_and_row(connect_settings):
    # The holder check must not mistake this very process (the engine's own pid) for a dead one.
    assert not lock.is_dead_local(lock.new_owner(os.getpid()))
    run = run_stream("connect.marketplaces")
    assert run.status == SyncRunStatus.SUCCEEDED
    assert run.owner.startswith(f"{lock.this_host()}:{os.getpid()}:")
