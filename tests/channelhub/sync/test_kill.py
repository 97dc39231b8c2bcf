"""`manage.py sync` as a real process, killed with SIGKILL mid-run against the sandbox.

The processes share the test database (hence `transaction=True`): what one commits the next
one and the test see. The sandbox answers every /requests page slowly so that a run is
still paging when it is killed.
"""

from __future__ import annotations

import signal
import statistics
import subprocess
import time
from pathlib import Path

import pytest

from channelhub.models import StreamState, SyncRun, SyncRunStatus
from channelhub.sync.streams import parse_ts
from fulfillment.models import FulfillmentRequest

from .helpers import assert_mirror_equals_upstream, control, finish, start_process, wait_for_paging_run

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[3]
KILLS = 6


def start_sync(sandbox, tmp_path, *args: str) -> subprocess.Popen:
    return start_process(
        ["sync", *args],
        tmp_path,
        CONNECT_API_URL=sandbox.connect_url,
        CONNECT_API_KEY="ApiKey SU-000-000-000:sandbox",
        # Every run re-reads the whole collection: it is killed in the overlap window, behind
        # the cursor the previous one left.
        SYNC_OVERLAP_SECONDS=str(20 * 365 * 86400),
    )  # SYNC_LOCK_SECONDS stays at its default (300): nobody waits for a lease here


def position(cursor: dict) -> tuple:
    return (parse_ts(cursor["at"]), cursor["id"])


def test_killed_syncs_leave_no_run_running_and_the_next_one_starts_at_once(connect_settings, tmp_path):
    sandbox = connect_settings
    control(
        sandbox,
        "POST",
        "faults",
        {"rate": 1.0, "kinds": ["timeout"], "timeout_seconds": 0.3, "path": "/requests"},
    )
    killed, restart_seconds, positions = [], [], []
    proc = start_sync(sandbox, tmp_path, "connect.requests", "--page-size", "5")
    for kill in range(KILLS):
        run = wait_for_paging_run(proc, pages=1 + kill % 3)
        positions.append(position(StreamState.objects.get(stream="connect.requests").cursor))
        proc.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        finish(proc)
        killed.append(run.pk)
        # The next run does not wait for the dead one's lease (5 minutes): it runs at once.
        proc = start_sync(sandbox, tmp_path, "connect.requests", "--page-size", "5")
        wait_for_paging_run(proc, pages=0)
        restart_seconds.append(time.monotonic() - killed_at)
    control(sandbox, "DELETE", "faults")
    code, text = finish(proc)
    assert code == 0, text

    left_running = SyncRun.objects.filter(status=SyncRunStatus.RUNNING).count()
    print(
        f"\n{KILLS} kill -9: runs left running={left_running}; kill -> next run running: "
        f"min {min(restart_seconds):.2f}s median {statistics.median(restart_seconds):.2f}s "
        f"max {max(restart_seconds):.2f}s"
    )
    assert left_running == 0
    for run in SyncRun.objects.filter(pk__in=killed):
        assert (run.status, run.error) == (SyncRunStatus.FAILED, "worker lost") and run.finished_at
    # Each killed run re-read the collection from its start, behind the cursor: it never fell back.
    assert positions == sorted(positions)
    assert (
        SyncRun.objects.filter(stream="connect.requests").latest("started_at").status
        == SyncRunStatus.SUCCEEDED
    )
    assert_mirror_equals_upstream(sandbox, {"/requests": FulfillmentRequest})


def test_a_sync_finding_the_stream_busy_exits_3_naming_the_holder(connect_settings, tmp_path):
    sandbox = connect_settings
    # The first sync must still hold the lock when the second one has booted Django, however
    # loaded the machine: one row per page, each held half a second, lasts tens of seconds (it
    # is killed as soon as the second one has answered).
    control(
        sandbox,
        "POST",
        "faults",
        {"rate": 1.0, "kinds": ["timeout"], "timeout_seconds": 0.5, "path": "/requests"},
    )
    first = start_sync(sandbox, tmp_path, "connect.requests", "--page-size", "1")
    try:
        wait_for_paging_run(first, pages=1)
        second = start_sync(sandbox, tmp_path, "connect.requests")
        code, text = finish(second)
    finally:
        finish(first, 0)
    assert code == 3, text
    assert f"lock held by pid {first.pid} on " in text
    skipped = SyncRun.objects.get(status=SyncRunStatus.SKIPPED)
    assert f"lock held by pid {first.pid} on " in skipped.error and " until " in skipped.error
