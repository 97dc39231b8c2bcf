"""The soak's verdict (bench/soak.py), read after the drain: the mirror against the sandbox, the
outbox against the sandbox's request log, locks and runs, the web's errors, the latency."""

from __future__ import annotations

import json
from datetime import UTC

from django.utils import timezone

from bench import soak_mirror
from bench.soak import KEY, median, percentile
from channelhub.models import ActionStatus, AuditEvent, StreamState, SyncRun, UpstreamAction

CONNECT_POSTS = {  # the POST each Connect action kind makes, counted in the sandbox's request log
    "connect.request.approve": "/public/v1/requests/{}/approve",
    "connect.request.inquire": "/public/v1/requests/{}/inquire",
    "connect.request.fail": "/public/v1/requests/{}/fail",
    "connect.usage_file.accept": "/public/v1/usage/files/{}/accept",
    "connect.usage_file.reject": "/public/v1/usage/files/{}/reject",
}
CHANNEL_CHANGES = {  # the EntitlementChange types each Channel action kind leaves upstream
    "channel.entitlement.suspend": {"SUSPENDED"},
    "channel.entitlement.change_parameters": {
        "COMMITMENT_CHANGED",
        "LICENSE_CAP_CHANGED",
        "CHANGE_TYPE_UNSPECIFIED",
    },
}
USAGE_EVENTS = {"connect.usage_file.accept": "accepted", "connect.usage_file.reject": "rejected"}
OUR_ACCOUNT = KEY.split()[1].split(":")[0]  # who our Connect key acts as (the sandbox's "by")


def check_mirror(soak) -> None:
    """Every mirrored collection is the sandbox's: same ids, status and update time."""
    compared = [*soak_mirror.collections(soak.server), soak_mirror.inventory(soak.server)]
    wrong = [d for d in compared if not d.ok]
    rows = sum(d.upstream for d in compared)
    print(f"  compared {len(compared)} collections, {rows} upstream rows: " + ", ".join(map(str, compared)))
    soak.check(
        not wrong,
        f"mirror = sandbox in every collection (ids, status, updated): {len(wrong)} differ {[str(d) for d in wrong]}",
    )


class Upstream:
    """How many times the sandbox applied each action: a 2xx POST of it in the request log
    (Connect: a second one would be refused by the request's new status), or a reseller's
    EntitlementChange of its kind on the entitlement since the soak began (Channel: a resend
    reuses its requestId, so the POSTs may repeat while the change happens once)."""

    def __init__(self, soak, log: list[dict]):
        self.posts: dict[str, int] = {}
        for entry in log:
            if entry["method"] == "POST" and entry["status"] and 200 <= entry["status"] < 300:
                self.posts[entry["path"]] = self.posts.get(entry["path"], 0) + 1
        self.since = soak.began.strftime("%Y-%m-%dT%H:%M:%S")
        self.changes = soak_changes(soak.server.state_path, self.since)
        self.files = soak_mirror.sandbox_docs(soak.server.state_path, "usage_files")

    def applied(self, action) -> int:
        """The times `action` was applied upstream."""
        if action.kind in CONNECT_POSTS:
            return self.posts.get(CONNECT_POSTS[action.kind].format(action.target_id), 0)
        types = CHANNEL_CHANGES[action.kind]
        return sum(1 for c in self.changes.get(action.target_id, []) if c["changeType"] in types)

    def by_colleague(self, soak, action) -> bool:
        """Whether someone else (the sandbox's portal colleagues) did what `action` asked meanwhile."""
        if action.kind.startswith("connect.request."):
            return action.target_id in soak.by_colleagues
        event = USAGE_EVENTS.get(action.kind)
        doc = self.files.get(action.target_id, {})
        by = (doc.get("events", {}).get(event) or {}).get("by") or {}
        return bool(event) and by.get("id") not in (None, OUR_ACCOUNT)


def soak_changes(path, since: str) -> dict[str, list[dict]]:
    """The resellers' EntitlementChanges made since `since`, by entitlement."""
    out: dict[str, list[dict]] = {}
    for change in soak_mirror.sandbox_docs(path, "ch_changes").values():
        if change.get("operatorType") == "RESELLER" and change["createTime"] >= since:
            out.setdefault(change["entitlement"], []).append(change)
    return out


def check_outbox(soak) -> list[float]:
    """Each action finished, applied upstream exactly once if it succeeded and never if it
    failed; returns the succeeded ones' latencies (queued -> applied, seconds)."""
    log = list(soak.server.app._log)
    upstream = Upstream(soak, log)
    actions = list(UpstreamAction.objects.filter(kind__in=[*CONNECT_POSTS, *CHANNEL_CHANGES]))
    by_kind: dict[str, dict[str, int]] = {}
    wrong, silent, latencies, colleagues = [], [], [], 0
    for action in actions:
        counts = by_kind.setdefault(action.kind, {})
        counts[action.status] = counts.get(action.status, 0) + 1
        expected = 1 if action.status == ActionStatus.SUCCEEDED else 0
        count = upstream.applied(action)
        if count == 0 and expected and action.maybe_applied and upstream.by_colleague(soak, action):
            # A resend read the target first and found it done: a portal colleague's doing, not a
            # second send (the sandbox says who did it). Never sent twice, all the same.
            colleagues += 1
        elif count != expected:
            wrong.append(f"{action.pk} {action.kind} {action.status}: {count} applied")
        if action.status == ActionStatus.FAILED and not action.last_error:
            silent.append(action.pk)
        if action.status == ActionStatus.SUCCEEDED:
            latencies.append((action.finished_at - action.created_at).total_seconds())
    faults = sum(1 for e in log if e["fault"])
    print(f"  {len(actions)} staff actions; sandbox log {len(log)} requests, {faults} faulted")
    for kind, counts in sorted(by_kind.items()):
        print(f"    {kind}: {counts}")
    open_ = sum(1 for a in actions if a.status in (ActionStatus.QUEUED, ActionStatus.SENDING))
    kinds = {kind.rsplit(".", 2)[1] for kind in by_kind}
    soak.check(
        kinds >= {"request", "entitlement", "usage_file"},
        f"staff actions were queued through the forms on requests, entitlements and usage files ({sorted(kinds)})",
    )
    soak.check(not open_, f"none lost: no action left queued or sending ({open_})")
    soak.check(not silent, f"every failed action has a reason ({len(silent)} without)")
    soak.check(not wrong, f"applied upstream exactly once (failed: never): {len(wrong)} wrong {wrong[:5]}")
    for line in wrong[:5]:
        _timeline(soak, log, UpstreamAction.objects.get(pk=int(line.split()[0])))
    (soak.work / "sandbox-log.json").write_text(json.dumps(log))
    maybe = sum(1 for a in actions if a.maybe_applied)
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
        if action.target_id.rsplit("/", 1)[-1] in e["path"]
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
    reads = [c for c in calls if c.who == "api" and c.status is not None and c.status < 500]
    refused = sorted({c.path for c in reads if c.status != 200})
    print(f"  {len(reads)} API reads answered, {len(reads) - sum(c.status == 200 for c in reads)} not 200")
    soak.check(not refused, f"every API read the other teams make answers 200: not {refused}")
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
