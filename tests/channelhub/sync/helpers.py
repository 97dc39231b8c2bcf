"""Read the sandbox with the official Connect client (independent of our own client) and
compare it with the mirror."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests
from connect.client import ConnectClient as OfficialClient
from django.db import connection

from channelhub.models import SyncRun, SyncRunStatus
from fulfillment.models import (
    Asset,
    Conversation,
    FulfillmentRequest,
    Hub,
    Marketplace,
    Product,
    TierAccount,
    TierConfig,
    TierConfigRequest,
)

KEY = "ApiKey SU-000-000-000:sandbox"

COLLECTIONS = {
    "/products": Product,
    "/marketplaces": Marketplace,
    "/hubs": Hub,
    "/tier/accounts": TierAccount,
    "/assets": Asset,
    "/requests": FulfillmentRequest,
    "/tier/configs": TierConfig,
    "/tier/config-requests": TierConfigRequest,
    "/conversations": Conversation,
}


def official(sandbox) -> OfficialClient:
    return OfficialClient(
        KEY, endpoint=sandbox.connect_url, use_specs=False, max_retries=0, default_limit=1000
    )


def upstream_objects(sandbox, path: str) -> dict[str, dict]:
    client = official(sandbox)
    collection = client.collection(path.strip("/"))
    return {obj["id"]: obj for obj in collection.all()}


def mirror_objects(model) -> dict[str, dict]:
    return dict(model.objects.values_list("id", "payload"))


def assert_mirror_equals_upstream(sandbox, collections=COLLECTIONS) -> None:
    for path, model in collections.items():
        upstream = upstream_objects(sandbox, path)
        mirror = mirror_objects(model)
        assert upstream, f"{path}: the sandbox has nothing; the test proves nothing"
        missing = sorted(set(upstream) - set(mirror))
        extra = sorted(set(mirror) - set(upstream))
        stale = sorted(k for k in upstream.keys() & mirror.keys() if upstream[k] != mirror[k])
        assert not missing, f"{path}: {len(missing)} missing from the mirror, e.g. {missing[:5]}"
        assert not extra, f"{path}: {len(extra)} in the mirror but not upstream, e.g. {extra[:5]}"
        assert not stale, f"{path}: {len(stale)} differ from upstream, e.g. {stale[:5]}"


def control(sandbox, method: str, what: str, body: dict | None = None):
    response = requests.request(method, f"{sandbox.url}/_sandbox/{what}", json=body, timeout=30)
    response.raise_for_status()
    return response.json() if response.content else None


def sandbox_log(sandbox, limit: int = 10000) -> list[dict]:
    return control(sandbox, "GET", f"log?limit={limit}")


def settled_log(sandbox, count, *, seconds: float = 10.0) -> list[dict]:
    """The sandbox log once `count(entries)` is true. A request the client gave up on (a
    timeout fault) is logged only when the sandbox finishes answering it, later."""
    deadline = time.monotonic() + seconds
    while True:
        entries = sandbox_log(sandbox)
        if count(entries) or time.monotonic() > deadline:
            return entries
        time.sleep(0.1)


ROOT = Path(__file__).resolve().parents[3]


# --- manage.py commands as real processes (killed with SIGKILL by the kill tests) ---------------


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_process(args: list[str], tmp_path, **env_extra: str) -> subprocess.Popen:
    """`manage.py <args>` as its own process on the test database (output in a log file)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DATABASE_URL=database_url(), UPSTREAM_TIMEOUT="10", **env_extra)
    log = open(tmp_path / f"proc-{time.monotonic_ns()}.log", "w+")  # closed by finish()
    proc = subprocess.Popen(
        [sys.executable, "manage.py", args[0], "-v0", *args[1:]],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    proc.log = log
    return proc


def output(proc: subprocess.Popen) -> str:
    proc.log.seek(0)
    return proc.log.read()


def finish(proc: subprocess.Popen, seconds: float = 180) -> tuple[int | None, str]:
    """(exit status, output) of `proc` once it ends; killed after `seconds` (status None)."""
    try:
        code = proc.wait(seconds)
    except subprocess.TimeoutExpired:
        code = None
    proc.kill()
    proc.wait()
    text = output(proc)
    proc.log.close()
    return code, text


def wait_for_paging_run(proc: subprocess.Popen, *, pages: int, seconds: float = 180) -> SyncRun:
    """The run of `proc` once it has committed `pages` pages (fails if the process ends first)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = SyncRun.objects.filter(owner__contains=f":{proc.pid}:").first()
        if run and run.status == SyncRunStatus.RUNNING and run.pages >= pages:
            return run
        if proc.poll() is not None:
            raise AssertionError(f"sync exited {proc.returncode} before paging:\n{output(proc)}")
        time.sleep(0.05)
    raise AssertionError(f"no paging run of pid {proc.pid} after {seconds}s:\n{output(proc)}")
