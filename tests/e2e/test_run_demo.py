"""`make run`'s last step, end to end: sandbox + job cluster + web server as real processes.

Within a minute of start the mirror must hold the sandbox's data and keep following it,
the admin must answer, and Ctrl-C must stop every process.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"timed out after {seconds}s waiting for {what}")


def query(db: Path, sql: str):
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return None


def test_run_demo_fills_the_mirror_and_stops_on_ctrl_c(tmp_path):
    db = tmp_path / "demo.sqlite3"
    web_port, sandbox_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DATABASE_URL=f"sqlite:///{db}",
        CONNECT_API_URL=f"http://127.0.0.1:{sandbox_port}/public/v1",
        CONNECT_API_KEY="ApiKey SU-000-000-000:sandbox",
        # the sandbox writes Channel's service-account key beside its state when it starts
        CHANNEL_API_URL=f"http://127.0.0.1:{sandbox_port}",
        CHANNEL_ACCOUNT_ID="C01sandbx",
        CHANNEL_CREDENTIALS_FILE=f"{tmp_path / 'sandbox.sqlite3'}.channel-sa.json",
        CHANNEL_ADMIN_EMAIL="admin@reseller.example",
        Q_WORKERS="1",
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True, timeout=120)
    proc = subprocess.Popen(
        [*manage, "run_demo", "--web", f"127.0.0.1:{web_port}", "--sandbox-port", str(sandbox_port)]
        + ["--scale", "30", "--tick-interval", "1", "--sandbox-state", str(tmp_path / "sandbox.sqlite3")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    failure = None
    try:
        # every stream's first scheduled run succeeds within a minute (Connect's 10, Channel's 6)
        streams = 16
        wait(
            lambda: (
                (
                    query(
                        db, "SELECT COUNT(DISTINCT stream) FROM channelhub_syncrun WHERE status='succeeded'"
                    )
                    or [[0]]
                )[0][0]
                >= streams
            ),
            90,
            "a successful run of every stream",
        )
        first = query(db, "SELECT COUNT(*) FROM fulfillment_fulfillmentrequest")[0][0]
        assert first > 0
        # ... and it keeps following the live sandbox (new requests arrive every tick)
        wait(
            lambda: query(db, "SELECT COUNT(*) FROM fulfillment_fulfillmentrequest")[0][0] > first,
            90,
            "new requests from the live sandbox",
        )
        with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/admin/login/", timeout=10) as r:
            assert r.status == 200
    except AssertionError as exc:
        failure = exc
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            output, _ = proc.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
    if failure:
        runs = query(db, "SELECT stream, status, error FROM channelhub_syncrun")
        raise AssertionError(f"{failure}\nsync runs: {runs}\n--- run_demo output ---\n{output[-6000:]}")
    assert proc.returncode is not None
    assert "channelhub is up" in output
    # the final banner names the admin login again (no superuser yet here: run_demo made one)
    banner = output[output.index("channelhub is up") :]
    assert "Admin login (created just now): username 'admin', password '" in banner
    # nothing of the group is left listening
    for port in (web_port, sandbox_port):
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still open after Ctrl-C"
