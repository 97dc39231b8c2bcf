"""`bench/automation.py --latency N`: a request arriving upstream -> its decision applied, with
the worker running (see bench/automation.py's docstring for the set-up and what is printed)."""

from __future__ import annotations

import io
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
KEY = "ApiKey SU-000-000-000:sandbox"
RULES = "connect.purchase_rules"
# The path a new request takes: synced, decided, sent (everything else would only add noise).
SCHEDULES = ("sync:connect.requests", "automation:run-due", "outbox:send-due")
MIRROR = ("connect.products", "connect.templates", "connect.requests")


def measure(*, ticks: int, tick_every: float, scale: int = 30, settle: float = 240.0) -> int:
    """Run the whole measurement; print the figures. Returns the exit code."""
    sys.path.insert(0, str(ROOT))
    from channelhub.sandbox.server import SandboxServer  # noqa: PLC0415 - from ROOT, put on the path above

    work = Path(tempfile.mkdtemp(prefix="bench-automation-latency-"))
    server = SandboxServer(state_path=work / "sandbox.sqlite3", seed=7, scale=scale, port=0).start()
    env = {
        "DJANGO_SETTINGS_MODULE": "channelhub.settings",
        "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
        "CONNECT_API_URL": server.connect_url,
        "CONNECT_API_KEY": KEY,
        "LOG_LEVEL": "WARNING",
        "DEBUG": "false",
        "Q_WORKERS": "2",
    }
    os.environ.update(env)
    import django  # noqa: PLC0415 - settings come from the environment set just above

    django.setup()
    cluster = None
    try:
        _prepare()
        cluster = _start_cluster(work, env)
        _wait(lambda: not _open_actions(), 180, "the backlog's actions to be sent")
        arrived = _arrivals(server.url, ticks, tick_every)
        _wait(lambda: _settled(arrived), settle, "every new purchase to be settled")
        return _report(arrived)
    finally:
        if cluster is not None:
            os.killpg(cluster.pid, signal.SIGTERM)
            try:
                cluster.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(cluster.pid, signal.SIGKILL)
        server.stop()


def _prepare() -> None:
    """Migrate, mirror the catalog and requests, rules approving every product's purchases, the
    processor on, the waiting ones decided; only the schedules of the measured path."""
    from django.core.management import call_command  # noqa: PLC0415 - after django.setup()
    from django_q.models import Schedule  # noqa: PLC0415 - after django.setup()

    from channelhub.actors import system_actor  # noqa: PLC0415 - after django.setup()
    from channelhub.automation import runner, services  # noqa: PLC0415 - after django.setup()
    from channelhub.sync.engine import run_stream  # noqa: PLC0415 - after django.setup()
    from fulfillment.models import PurchaseRules, Template  # noqa: PLC0415 - after django.setup()

    call_command("migrate", verbosity=0)
    for stream in MIRROR:
        run = run_stream(stream)
        if run.status != "succeeded":
            raise SystemExit(f"{stream}: {run.error}")
    for template in Template.objects.filter(scope="asset", type="fulfillment").order_by("product_id", "pk"):
        PurchaseRules.objects.get_or_create(
            product_id=template.product_id, defaults={"template_id": template.pk}
        )
    services.processor_enable(name=RULES, actor=system_actor())
    runner.run_due(limit=100_000)  # the backlog, decided before the clock starts (the worker sends it)
    call_command("setup_schedules", verbosity=0, stdout=io.StringIO())
    Schedule.objects.exclude(name__in=SCHEDULES).delete()


def _start_cluster(work: Path, env: dict) -> subprocess.Popen:
    log = (work / "qcluster.log").open("wb")
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "qcluster"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait(done, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(0.5)
    raise SystemExit(f"gave up waiting {seconds:.0f} s for {what}")


def _open_actions() -> int:
    from channelhub.models import ActionStatus, UpstreamAction  # noqa: PLC0415 - after django.setup()

    return UpstreamAction.objects.filter(status__in=(ActionStatus.QUEUED, ActionStatus.SENDING)).count()


def _arrivals(sandbox_url: str, ticks: int, tick_every: float) -> dict[str, datetime]:
    """Tick the sandbox `ticks` times; each new request id with the moment it arrived."""
    arrived = {}
    for n in range(ticks):
        if n:
            time.sleep(tick_every)
        response = requests.post(f"{sandbox_url}/_sandbox/tick", json={}, timeout=30)
        response.raise_for_status()
        result = response.json()
        now = datetime.now(UTC)
        for request_id in result["connect"]["new_requests"]:
            arrived[request_id] = now
    return arrived


def _outcomes(arrived: dict[str, datetime]) -> dict[str, tuple]:
    """Per arrived request: (mirrored row, its processor task, the action it became)."""
    from channelhub.models import AutomationTask  # noqa: PLC0415 - after django.setup()
    from fulfillment.models import FulfillmentRequest  # noqa: PLC0415 - after django.setup()

    rows = {r.pk: r for r in FulfillmentRequest.objects.filter(pk__in=list(arrived))}
    tasks = {
        t.target_id: t
        for t in AutomationTask.objects.filter(processor=RULES, target_id__in=list(arrived))
        .select_related("action")
        .order_by("created_at")
    }
    return {pk: (rows.get(pk), tasks.get(pk), getattr(tasks.get(pk), "action", None)) for pk in arrived}


def _settled(arrived: dict[str, datetime]) -> bool:
    """Every arrival mirrored; every purchase among them decided and its action finished (or
    not ours to decide: a follow-up, or processed in the portal before we saw it)."""
    for row, task, action in _outcomes(arrived).values():
        if row is None:
            return False
        if row.type != "purchase":
            continue
        if task is None:
            if row.status == "pending":
                return False
            continue
        if task.is_open or (task.action_id and action.status in ("queued", "sending")):
            return False
    return True


def _report(arrived: dict[str, datetime]) -> int:
    legs: dict[str, list[float]] = {"queued": [], "decided": [], "applied": [], "whole": []}
    portal = other = failed = 0
    for pk, (row, task, action) in _outcomes(arrived).items():
        if row.type != "purchase":
            other += 1
            continue
        if task is None:
            portal += 1
            continue
        if action is None or action.status != "succeeded":
            failed += 1
            continue
        start = arrived[pk]
        legs["queued"].append((task.created_at - start).total_seconds())
        legs["decided"].append((task.finished_at - task.created_at).total_seconds())
        legs["applied"].append((action.finished_at - task.finished_at).total_seconds())
        legs["whole"].append((action.finished_at - start).total_seconds())
    timed = len(legs["whole"])
    print(f"\n{len(arrived)} new requests: {timed} purchases timed, {portal} processed in the portal first,")
    print(f"  {failed} not applied by us (a colleague was faster), {other} follow-ups (not purchases)")
    if not timed:
        print("nothing to time")
        return 1
    print(f"  {'leg':34} {'median':>8} {'p95':>8} {'worst':>8}  (seconds)")
    names = {
        "queued": "arrival -> queued (the sync's lag)",
        "decided": "queued -> decided",
        "applied": "decided -> applied upstream",
        "whole": "arrival -> applied upstream",
    }
    for key, label in names.items():
        values = sorted(legs[key])
        p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
        print(f"  {label:34} {statistics.median(values):8.1f} {p95:8.1f} {values[-1]:8.1f}")
    return 0
