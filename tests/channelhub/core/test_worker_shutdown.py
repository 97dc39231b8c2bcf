"""Stopping the worker: a real `manage.py qcluster` in its own process group, as systemd runs it.

- A SIGTERM to the whole group ends the cluster and every process of it within 10 seconds.
- SIGKILL to the main process takes every child with it (no orphaned cluster).
- A send in flight at the SIGTERM is finished before the exit; one cut off by the grace period
  is recovered later and applied exactly once (docs/operations.md, "What happens to a task").

The cluster uses this test's database (SQLite file or PostgreSQL) and broker (ORM or the
REDIS_URL's Redis), so tasks enqueued here are the ones it runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django_q.brokers import get_broker

from channelhub.actions.sender import send_due
from channelhub.models import ActionStatus, AuditEvent, UpstreamAction
from fulfillment.connect import services
from fulfillment.models import Template
from tests.channelhub.actions.conftest import sync_mirror
from tests.channelhub.actions.helpers import pick_request, upstream
from tests.channelhub.sync.helpers import control, settled_log

pytestmark = pytest.mark.django_db(transaction=True)  # the cluster must see our rows

WORKERS = 2
CLUSTER_PROCESSES = WORKERS + 3  # the Sentinel, its workers, the monitor, the pusher


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, start time) of a live process, None if it is gone or a zombie."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None if fields[0] in "ZX" else (fields[0], int(fields[19]))


def descendants(root: int) -> dict[int, int]:
    """Every live process below `root`, as pid -> start time (so a reused pid is not taken for it)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = {}, list(children.get(root, []))
    while todo:
        pid = todo.pop()
        if (stat := _stat(pid)) is not None:
            found[pid] = stat[1]
        todo.extend(children.get(pid, []))
    return found


def still_running(pids: dict[int, int]) -> list[int]:
    return [pid for pid, start in pids.items() if (stat := _stat(pid)) is not None and stat[1] == start]


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@dataclass
class RunningCluster:
    process: subprocess.Popen
    children: dict[int, int]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def wait_gone(self, seconds: float) -> float:
        """Seconds until the main process exited and no child is left (or `seconds` passed)."""
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            if self.process.poll() is not None and not still_running(self.children):
                break
            time.sleep(0.05)
        return time.monotonic() - started


@pytest.fixture
def mirrored(connect_settings):
    """The sandbox's Connect mirrored into the database (the cluster's approves need it)."""
    sync_mirror()
    return connect_settings


@pytest.fixture
def support(db):
    user = get_user_model().objects.create_user(username="support-user", password="pw-long-enough-123")
    user.groups.add(Group.objects.get(name="support"))
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def start_cluster(tmp_path):
    get_broker().purge_queue()  # Redis outlives the test database: no other test's tasks
    started: list[subprocess.Popen] = []

    def start(*args: str, **extra_env: str) -> RunningCluster:
        log = tmp_path / f"qcluster-{len(started)}.log"
        env = {**os.environ, "DATABASE_URL": database_url(), "Q_WORKERS": str(WORKERS), **extra_env}
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, str(settings.BASE_DIR / "manage.py"), "qcluster", *args],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, as under systemd
            )
        started.append(process)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            children = descendants(process.pid)
            if len(children) >= CLUSTER_PROCESSES and "running." in log.read_text(errors="replace"):
                return RunningCluster(process, children, log)
            assert process.poll() is None, log.read_text(errors="replace")
            time.sleep(0.1)
        raise AssertionError(f"the cluster did not come up:\n{log.read_text(errors='replace')}")

    yield start
    for process in started:  # whatever a failed test left: the whole group
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def test_sigterm_to_the_group_stops_the_cluster_and_its_children_within_10_seconds(start_cluster):
    cluster = start_cluster()
    os.killpg(cluster.process.pid, signal.SIGTERM)  # what systemd (KillMode=control-group) sends
    seconds = cluster.wait_gone(20)
    assert seconds < 10, f"still there after {seconds:.1f} s:\n{cluster.output()}"
    assert cluster.process.returncode == 0, cluster.output()
    assert still_running(cluster.children) == []


def test_killing_the_main_process_takes_every_child_with_it(start_cluster):
    cluster = start_cluster()
    os.kill(cluster.process.pid, signal.SIGKILL)
    seconds = cluster.wait_gone(5)
    assert still_running(cluster.children) == [], f"orphans after {seconds:.1f} s:\n{cluster.output()}"


def _approve_in_flight(sandbox, actor, hold_seconds: float) -> tuple[UpstreamAction, str]:
    """Queue an approve whose answer Connect holds `hold_seconds`; return once Connect applied it
    (the worker is then waiting for the answer)."""
    request = pick_request("pending")
    template = Template.objects.filter(
        product_id=request.product_id, scope="asset", type="fulfillment"
    ).first()
    control(
        sandbox, "POST", "faults", {"next": ["timeout"], "path": "/approve", "timeout_seconds": hold_seconds}
    )
    action = services.request_approve(request=request, template_id=template.pk, actor=actor)
    deadline = time.monotonic() + 30
    while upstream(sandbox, f"/requests/{request.pk}")["status"] != "approved":
        assert time.monotonic() < deadline, "the cluster never sent the approve"
        time.sleep(0.1)
    return action, request.pk


def test_a_send_in_flight_at_sigterm_is_finished_before_the_exit(start_cluster, mirrored, support):
    cluster = start_cluster(CONNECT_API_URL=mirrored.connect_url, CONNECT_API_KEY=settings.CONNECT_API_KEY)
    action, _ = _approve_in_flight(mirrored, support, hold_seconds=2)
    os.killpg(cluster.process.pid, signal.SIGTERM)
    seconds = cluster.wait_gone(20)
    assert seconds < 10, cluster.output()
    action.refresh_from_db()
    assert action.status == ActionStatus.SUCCEEDED, cluster.output()


def test_a_send_cut_off_by_the_grace_period_is_applied_later_exactly_once(
    start_cluster, mirrored, support, settings
):
    cluster = start_cluster(
        "--grace", "1", CONNECT_API_URL=mirrored.connect_url, CONNECT_API_KEY=settings.CONNECT_API_KEY
    )
    control(mirrored, "DELETE", "log")
    # Connect holds the answer longer than the grace period, not much longer: the held request
    # must end within this test, or its log entry would land in a later test's log.
    action, request_id = _approve_in_flight(mirrored, support, hold_seconds=4)
    os.killpg(cluster.process.pid, signal.SIGTERM)
    seconds = cluster.wait_gone(20)
    assert seconds < 10, cluster.output()
    action.refresh_from_db()
    assert action.status == ActionStatus.SENDING  # the worker was killed waiting for the answer
    # The every-minute sweep (send_due_actions_task) requeues a send stuck longer than
    # ACTION_SENDING_TIMEOUT as maybe applied, finds it applied upstream and records it.
    settings.ACTION_SENDING_TIMEOUT = 0
    send_due()
    action.refresh_from_db()
    assert action.status == ActionStatus.SUCCEEDED, action.last_error
    assert (
        "already applied"
        in AuditEvent.objects.get(upstream_action=action, action__endswith=".succeeded").message
    )
    assert upstream(mirrored, f"/requests/{request_id}")["status"] == "approved"
    approve = f"/requests/{request_id}/approve"
    log = settled_log(mirrored, lambda entries: any(approve in e["path"] for e in entries))
    assert [e["method"] for e in log if approve in e["path"]] == ["POST"]  # sent once, not re-sent
