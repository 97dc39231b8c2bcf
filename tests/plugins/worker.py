"""A real `manage.py qcluster` for tests, in its own process group as systemd runs it.

`start_cluster(*args, **env)` starts one on this test's database (SQLite file or PostgreSQL)
and broker (the ORM or REDIS_URL's Redis), waits until it runs and returns a `RunningCluster`;
whatever a test leaves running is killed, group and all, when it ends. Used by the core's
worker shutdown tests and by the apps' killed-worker tests.
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
from django.db import connection
from django_q.brokers import get_broker

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
