"""The soak's verdict (bench/soak.py), read after the drain: the mirror against the sandbox, the
outbox against the sandbox's request log, locks and runs, the web's errors, the latency."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import requests
from django.utils import timezone

from bench.soak import KEY, median, percentile
from channelhub.models import ActionStatus, AuditEvent, StreamState, SyncRun, UpstreamAction
from fulfillment.models import FulfillmentRequest

VERB_PATH = {  # the POST each action kind makes, after /requests/<id>
    "connect.request.approve": "approve",
    "connect.request.inquire": "inquire",
    "connect.request.fail": "fail",
}


def _upstream_requests(connect_url: str) -> dict[str, tuple[str, datetime]]:
    """Every Connect request of the sandbox: id -> (status, updated)."""
    out, offset = {}, 0
    while True:
        page = requests.get(
            f"{connect_url}/requests?limit=1000&offset={offset}", headers={"Authorization": KEY}, timeout=60
        )
        page.raise_for_status()
        rows = page.json()
        for row in rows:
            out[row["id"]] = (row["status"], datetime.fromisoformat(row["updated"].replace("Z", "+00:00")))
        if len(rows) < 1000:
            return out
        offset += 1000


def check_mirror(soak) -> None:
    """The mirrored requests are the sandbox's: same ids, status and update time."""
    upstream = _upstream_requests(soak.server.connect_url)
    ours = {r[0]: (r[1], r[2]) for r in FulfillmentRequest.objects.values_list("id", "status", "updated")}
    missing = set(upstream) - set(ours)
    extra = set(ours) - set(upstream)
    differ = [pk for pk in set(upstream) & set(ours) if upstream[pk] != ours[pk]]
    soak.check(
        not missing and not extra and not differ,
        f"mirror = sandbox for {len(upstream)} Connect requests (ids, status, updated):"
        f" {len(missing)} missing, {len(extra)} extra, {len(differ)} different {sorted(differ)[:5]}",
    )


def check_outbox(soak) -> list[float]:
    """Each action finished, applied upstream exactly once if it succeeded and never if it
    failed; returns the succeeded ones' latencies (queued -> applied, seconds)."""
    log = list(soak.server.app._log)
    applied: dict[str, int] = {}
    for entry in log:
        if entry["method"] == "POST" and entry["status"] and 200 <= entry["status"] < 300:
            applied[entry["path"]] = applied.get(entry["path"], 0) + 1
    actions = list(UpstreamAction.objects.filter(kind__in=VERB_PATH))
    by_status: dict[str, int] = {}
    wrong, silent, latencies, colleagues = [], [], [], 0
    for action in actions:
        by_status[action.status] = by_status.get(action.status, 0) + 1
        path = f"/public/v1/requests/{action.target_id}/{VERB_PATH[action.kind]}"
        expected = 1 if action.status == ActionStatus.SUCCEEDED else 0
        count = applied.get(path, 0)
        if count == 0 and expected and action.maybe_applied and action.target_id in soak.by_colleagues:
            # A resend read the request first and found it done: a portal colleague's doing, not a
            # second send (the sandbox's tick says it processed it). Never sent twice, all the same.
            colleagues += 1
        elif count != expected:
            wrong.append(f"{action.pk} {action.kind} {action.status}: {count} applied")
        if action.status == ActionStatus.FAILED and not action.last_error:
            silent.append(action.pk)
        if action.status == ActionStatus.SUCCEEDED:
            latencies.append((action.finished_at - action.created_at).total_seconds())
    faults = sum(1 for e in log if e["fault"])
    print(f"  {len(actions)} staff actions: {by_status}; sandbox log {len(log)} requests, {faults} faulted")
    open_ = by_status.get(ActionStatus.QUEUED, 0) + by_status.get(ActionStatus.SENDING, 0)
    soak.check(bool(actions), "staff actions were queued through the forms")
    soak.check(not open_, f"none lost: no action left queued or sending ({open_})")
    soak.check(not silent, f"every failed action has a reason ({len(silent)} without)")
    soak.check(not wrong, f"applied upstream exactly once (failed: never): {len(wrong)} wrong {wrong[:5]}")
    for line in wrong[:5]:
        _timeline(soak, log, UpstreamAction.objects.get(pk=int(line.split()[0])))
    (soak.work / "sandbox-log.json").write_text(json.dumps(log))
    maybe = UpstreamAction.objects.filter(kind__in=VERB_PATH, maybe_applied=True).count()
    print(f"  {maybe} actions were resent as maybe applied (a send cut off by a kill or a lost answer),")
    print(f"  {colleagues} of them found done by a portal colleague of the sandbox in the meantime")
    return latencies


def _timeline(soak, log: list[dict], action) -> None:
    """What happened to a wrongly applied action's target, in order: our audit, the sandbox's
    requests about it, its life (ticks)."""
    events = [
        f"{e.created_at.astimezone(UTC).isoformat(timespec='milliseconds')} audit: {e.action} {e.message}"
        for e in AuditEvent.objects.filter(upstream_action=action).order_by("created_at")
    ]
    events += [
        f"{e['time']} sandbox: {e['method']} {e['path']} -> {e['status']} fault={e['fault']}"
        for e in log
        if action.target_id in e["path"]
    ]
    events += soak.life.get(action.target_id, [])
    print(f"    timeline of action {action.pk} ({action.kind} {action.target_id}):")
    for line in sorted(e.replace("+00:00", "") for e in events):
        print(f"      {line}")


def check_engine(soak) -> None:
    """No stream locked, no run running."""
    now = timezone.now()
    locked = list(
        StreamState.objects.exclude(locked_by="").filter(locked_until__gt=now).values_list("stream")
    )
    running = list(SyncRun.objects.filter(status="running").values_list("stream", flat=True))
    lost = SyncRun.objects.filter(error__icontains="worker").count()
    soak.check(not locked, f"no stream left locked {locked}")
    soak.check(not running, f"no sync run left running {running}")
    print(f"  {SyncRun.objects.count()} sync runs, {lost} closed as their worker lost")


def check_web(soak, driver, chaos) -> None:
    """No 5xx nor unanswered request but the killed processes' own."""
    calls = driver.calls
    failed = [c for c in calls if c.error or (c.status or 0) >= 500]
    bad = driver.unexcused()
    posts = [c for c in calls if c.method == "POST" and "/act/" in c.path]
    kills = {}
    for kill in chaos.kills:
        kills[kill.name] = kills.get(kill.name, 0) + 1
    print(f"  {len(chaos.kills)} SIGKILLs {dict(sorted(kills.items()))}; {len(calls)} web requests,")
    answers: dict[str, int] = {}
    for call in posts:
        answers[str(call.status or call.error)] = answers.get(str(call.status or call.error), 0) + 1
    print(f"  {len(posts)} action form posts {answers} (302: queued, 200: refused on the page),")
    print(f"  {len(failed)} requests failed, each in flight to a process killed meanwhile")
    for call in [c for c in failed if c not in bad][:5]:
        print(
            f"    in flight to a killed process: {call.method} {call.path} on :{call.port} -> {call.status or call.error}"
        )
    detail = [(c.method, c.path, c.status or c.error) for c in bad[:5]]
    soak.check(not bad, f"no 5xx outside the killed processes' requests: {len(bad)} {detail}")


def verify(soak, driver, chaos) -> None:
    """Every assertion, printed; the latency table."""
    print("\nverdict:")
    check_mirror(soak)
    latencies = check_outbox(soak)
    check_engine(soak)
    check_web(soak, driver, chaos)
    if latencies:
        print(
            f"  action latency, queued -> applied: p50 {median(latencies):.1f} s,"
            f" p95 {percentile(latencies, 0.95):.1f} s, worst {max(latencies):.1f} s ({len(latencies)} applied)"
        )
