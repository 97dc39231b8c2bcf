"""The soak's processes (bench/soak.py): web processes and qcluster workers, each in its own
process group, and the chaos loop that SIGKILLs one at random and starts it again.

Every kill is recorded with the moment the process went down and came back, so a failed web
request can be told apart: one in flight to a process killed meanwhile is the kill's own, any
other is a real error.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Kill:
    """One SIGKILL of the chaos loop: which process, when it died and when it answered again."""

    name: str
    killed_at: float
    up_at: float | None = None


@dataclass
class Proc:
    """One long-running process of the soak (a gunicorn or a qcluster), restartable."""

    name: str
    argv: list[str]
    env: dict
    log: Path
    port: int | None = None
    process: subprocess.Popen | None = None
    up: bool = False
    starts: int = 0

    def start(self) -> None:
        """Start it in a process group of its own (as systemd does); the log is appended to."""
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1

    def kill(self) -> None:
        """SIGKILL the whole group (the master and its children) and reap it."""
        self.up = False
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()

    def stop(self, grace: float = 20.0) -> None:
        """SIGTERM the group and wait for it (then SIGKILL): the orderly stop of a deploy."""
        self.up = False
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(grace)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            self.kill()

    def wait_up(self, seconds: float = 60.0) -> None:
        """Until a web process answers /healthz (a worker: until its cluster logs "running.")."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited:\n{self.log.read_text(errors='replace')[-3000:]}")
            if self._answers():
                self.up = True
                return
            time.sleep(0.1)
        raise SystemExit(f"{self.name} did not come up:\n{self.log.read_text(errors='replace')[-3000:]}")

    def _answers(self) -> bool:
        if self.port is None:
            return self.log.read_text(errors="replace").count("running.") >= self.starts
        try:
            return requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False


def web(n: int, env: dict, work: Path) -> Proc:
    """One web process: a gunicorn of its own on a port of its own (one sync worker)."""
    port = free_port()
    argv = [
        str(GUNICORN),
        "channelhub.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--timeout",
        "60",
    ]
    return Proc(f"web{n}", argv, env, work / f"web{n}.log", port=port)


def worker(n: int, env: dict, work: Path) -> Proc:
    """One job worker: `manage.py qcluster`."""
    argv = [sys.executable, str(ROOT / "manage.py"), "qcluster"]
    return Proc(f"worker{n}", argv, env, work / f"worker{n}.log")


@dataclass
class Chaos:
    """Every `every` seconds (jittered), SIGKILL one process at random and start it again."""

    procs: list[Proc]
    every: float
    seed: int = 17
    kills: list[Kill] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> Chaos:
        """Run the loop in a background thread."""
        self._thread = threading.Thread(target=self._loop, name="chaos", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop killing (the process being restarted is waited for)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(120)

    def _loop(self) -> None:
        rng = random.Random(self.seed)
        while not self._stop.wait(self.every * rng.uniform(0.5, 1.5)):
            proc = rng.choice(self.procs)
            kill = Kill(proc.name, time.monotonic())
            with self.lock:
                self.kills.append(kill)
            proc.kill()
            proc.start()
            proc.wait_up()
            kill.up_at = time.monotonic()

    def excuses(self, port: int, started: float, ended: float) -> bool:
        """Was the web process on `port` killed while a request to it was in flight (or down
        when it was sent)?"""
        names = {p.name for p in self.procs if p.port == port}
        with self.lock:
            kills = list(self.kills)
        for kill in kills:
            if kill.name not in names:
                continue
            up = kill.up_at if kill.up_at is not None else float("inf")
            if kill.killed_at <= ended and up >= started:
                return True
        return False
