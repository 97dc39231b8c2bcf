"""Faults, churn, the request log, reset determinism, persistence, upstream life, conformance."""

import importlib.util
import json
import re
import sqlite3
import subprocess
import sys
import time
from urllib.parse import quote

import pytest
import requests

from channelhub.sandbox.server import SandboxServer
from tests.paths import FIXTURES, conformance_tool

H = {"Authorization": "ApiKey SU-000-000-000:x"}
CONFORMANCE = conformance_tool()


def faults(sandbox, **config):
    r = requests.post(f"{sandbox.url}/_sandbox/faults", json=config, timeout=5)
    r.raise_for_status()
    return r.json()


def sandbox_log(sandbox):
    return requests.get(f"{sandbox.url}/_sandbox/log", timeout=5).json()


def pending_request(sandbox):
    return requests.get(
        f"{sandbox.connect_url}/requests?eq(status,pending)&limit=1", headers=H, timeout=5
    ).json()[0]


@pytest.mark.parametrize("kind", ["500", "502", "503", "429"])
def test_error_faults_answer_without_applying(sandbox, kind):
    request = pending_request(sandbox)
    faults(sandbox, next=[kind], retry_after=3)
    r = requests.post(f"{sandbox.connect_url}/requests/{request['id']}/inquire", headers=H, timeout=5)
    assert r.status_code == int(kind)
    assert set(r.json()) == {"error_code", "errors"}
    if kind == "429":
        assert r.headers["Retry-After"] == "3"
    again = requests.get(f"{sandbox.connect_url}/requests/{request['id']}", headers=H, timeout=5).json()
    assert again["status"] == "pending"  # not applied, and the queue is used up
    log = sandbox_log(sandbox)[-2:]
    assert [e["fault"] for e in log] == [kind, None]
    assert log[0]["status"] == int(kind) and log[0]["path"].endswith("/inquire")


def test_timeout_applies_then_holds_the_answer(sandbox):
    request = pending_request(sandbox)
    faults(sandbox, next=["timeout"], timeout_seconds=1.5)
    with pytest.raises(requests.Timeout):
        requests.post(f"{sandbox.connect_url}/requests/{request['id']}/inquire", headers=H, timeout=0.5)
    got = requests.get(f"{sandbox.connect_url}/requests/{request['id']}", headers=H, timeout=5).json()
    assert got["status"] == "inquiring"  # the action happened anyway


def test_truncated_body(sandbox):
    faults(sandbox, next=["truncated"], path="^/public/v1/requests$")
    with pytest.raises(requests.exceptions.RequestException):
        r = requests.get(f"{sandbox.connect_url}/requests", headers=H, timeout=5)
        r.json()
    assert requests.get(f"{sandbox.connect_url}/requests", headers=H, timeout=5).status_code == 200


def test_connection_reset(sandbox):
    request = pending_request(sandbox)
    faults(sandbox, next=["reset"])
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{sandbox.connect_url}/requests/{request['id']}/inquire", headers=H, timeout=5)
    got = requests.get(f"{sandbox.connect_url}/requests/{request['id']}", headers=H, timeout=5).json()
    assert got["status"] == "pending"
    assert [e["fault"] for e in sandbox_log(sandbox)] == [None, "reset", None]


def test_fault_path_filter_rate_and_clear(sandbox):
    config = faults(sandbox, rate=1.0, kinds=["503"], path="/assets")
    assert config["rate"] == 1.0
    assert requests.get(f"{sandbox.connect_url}/assets", headers=H, timeout=5).status_code == 503
    assert requests.get(f"{sandbox.connect_url}/requests", headers=H, timeout=5).status_code == 200
    assert requests.get(f"{sandbox.url}/_sandbox/faults", timeout=5).json()["kinds"] == ["503"]
    requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=5).raise_for_status()
    assert requests.get(f"{sandbox.connect_url}/assets", headers=H, timeout=5).status_code == 200
    bad = requests.post(f"{sandbox.url}/_sandbox/faults", json={"next": ["boom"]}, timeout=5)
    assert bad.status_code == 400


def test_next_faults_are_applied_in_order(sandbox):
    faults(sandbox, next=["503", "429", "502"])
    codes = [requests.get(f"{sandbox.connect_url}/hubs", headers=H, timeout=5).status_code for _ in range(4)]
    assert codes == [503, 429, 502, 200]
    requests.delete(f"{sandbox.url}/_sandbox/log", timeout=5)
    assert sandbox_log(sandbox) == []


def test_churn_changes_the_collection_while_paging(sandbox):
    before = requests.get(f"{sandbox.connect_url}/requests?limit=0", headers=H, timeout=5)
    total = int(before.headers["Content-Range"].split("/")[1])
    faults(sandbox, churn=3, path="^/public/v1/requests$")
    start = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - 1))
    r = requests.get(f"{sandbox.connect_url}/requests?limit=5", headers=H, timeout=5)
    assert int(r.headers["Content-Range"].split("/")[1]) == total + 1
    requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=5)
    moved = requests.get(
        f"{sandbox.connect_url}/requests?ge(updated,{quote(start)})", headers=H, timeout=5
    ).json()
    assert len(moved) >= 2  # the touched ones and the new one


def test_reset_is_deterministic(sandbox):
    def snapshot():
        out = {}
        for path in ["/requests", "/assets", "/tier/config-requests", "/tier/configs", "/conversations"]:
            out[path] = requests.get(f"{sandbox.connect_url}{path}?limit=1000", headers=H, timeout=10).text
        return out

    first = snapshot()
    requests.post(f"{sandbox.url}/_sandbox/tick", timeout=10).raise_for_status()
    request = pending_request(sandbox)
    requests.post(f"{sandbox.connect_url}/requests/{request['id']}/inquire", headers=H, timeout=5)
    assert snapshot() != first
    requests.post(f"{sandbox.url}/_sandbox/reset", json={}, timeout=60).raise_for_status()
    assert snapshot() == first


def test_same_seed_builds_identical_state_from_scratch(tmp_path, sandbox):
    with SandboxServer(state_path=tmp_path / "a.sqlite3", seed=7, scale=40) as other:
        for path in ["/requests", "/tier/config-requests", "/products", "/tier/accounts"]:
            mine = requests.get(f"{sandbox.connect_url}{path}?limit=1000", headers=H, timeout=10).text
            theirs = requests.get(f"{other.connect_url}{path}?limit=1000", headers=H, timeout=10).text
            assert mine == theirs, path
        different = requests.post(f"{other.url}/_sandbox/reset", json={"seed": 8}, timeout=60).json()
        assert different["seed"] == 8
        state = requests.get(f"{other.url}/_sandbox/state", timeout=5).json()
        assert state["seed"] == 8 and state["collections"]["requests"]["total"] == 40
        theirs = requests.get(f"{other.connect_url}/requests?limit=1000", headers=H, timeout=10).text
        assert (
            theirs != requests.get(f"{sandbox.connect_url}/requests?limit=1000", headers=H, timeout=10).text
        )


def test_state_persists_across_restart(tmp_path):
    state = tmp_path / "persist.sqlite3"
    with SandboxServer(state_path=state, seed=3, scale=30) as first:
        request = requests.get(
            f"{first.connect_url}/requests?eq(status,pending)", headers=H, timeout=5
        ).json()[0]
        r = requests.post(
            f"{first.connect_url}/requests/{request['id']}/fail", json={"reason": "x"}, headers=H, timeout=5
        )
        assert r.status_code == 200
        tick = requests.post(f"{first.url}/_sandbox/tick", timeout=10).json()
    with SandboxServer(state_path=state, seed=3, scale=30) as second:
        got = requests.get(f"{second.connect_url}/requests/{request['id']}", headers=H, timeout=5).json()
        assert got["status"] == "failed"
        new_id = tick["connect"]["new_requests"][0]
        assert (
            requests.get(f"{second.connect_url}/requests/{new_id}", headers=H, timeout=5).status_code == 200
        )
        assert requests.get(f"{second.url}/_sandbox/state", timeout=5).json()["ticks"] == 1
    with SandboxServer(state_path=state, seed=3, scale=30, reset=True) as third:
        got = requests.get(f"{third.connect_url}/requests/{request['id']}", headers=H, timeout=5).json()
        assert got["status"] == "pending"


def test_a_state_of_another_table_layout_is_seeded_again(tmp_path):
    """A state file (and its seeded copy) made by an older version of a module, whose tables
    lack a column, is not served: the sandbox seeds afresh instead of failing on every write."""
    state = tmp_path / "old.sqlite3"
    with SandboxServer(state_path=state, seed=3, scale=30) as first:
        request = requests.get(
            f"{first.connect_url}/requests?eq(status,pending)", headers=H, timeout=5
        ).json()[0]
        requests.post(
            f"{first.connect_url}/requests/{request['id']}/fail", json={"reason": "x"}, headers=H, timeout=5
        )
    with sqlite3.connect(state) as conn:  # as an older layout left it
        conn.execute("UPDATE meta SET value = '\"00000000\"' WHERE key = 'layout'")
    with SandboxServer(state_path=state, seed=3, scale=30) as second:
        got = requests.get(f"{second.connect_url}/requests/{request['id']}", headers=H, timeout=5).json()
        assert got["status"] == "pending"  # seeded again, not the old file
        assert next(tmp_path.glob("old.sqlite3.pristine-3-30-*")).name.endswith(second.app.store.layout())


def test_tick_is_upstream_life(sandbox):
    before = requests.get(f"{sandbox.url}/_sandbox/state", timeout=5).json()
    inquiring = requests.get(
        f"{sandbox.connect_url}/requests?eq(status,inquiring)", headers=H, timeout=5
    ).json()
    answered = []
    for _ in range(5):
        result = requests.post(f"{sandbox.url}/_sandbox/tick", timeout=10).json()["connect"]
        assert result["new_requests"]
        answered += result["answered"]
    after = requests.get(f"{sandbox.url}/_sandbox/state", timeout=5).json()
    assert after["ticks"] == before["ticks"] + 5
    assert after["collections"]["requests"]["total"] > before["collections"]["requests"]["total"]
    assert answered and set(answered) <= {r["id"] for r in inquiring}
    got = requests.get(f"{sandbox.connect_url}/requests/{answered[0]}", headers=H, timeout=5).json()
    assert got["status"] == "pending" and got["answered"] is True
    assert all(p["value_error"] == "" for p in got["asset"]["params"])
    new = requests.get(
        f"{sandbox.connect_url}/requests/{result['new_requests'][0]}", headers=H, timeout=5
    ).json()
    assert new["status"] == "pending"
    assert (
        requests.get(f"{sandbox.connect_url}/conversations/{new['id']}", headers=H, timeout=5).status_code
        == 200
    )


def test_live_server_ticks_by_itself(tmp_path):
    with SandboxServer(
        state_path=tmp_path / "live.sqlite3", seed=2, scale=20, live=True, tick_interval=0.2
    ) as live:
        time.sleep(1.0)
        assert requests.get(f"{live.url}/_sandbox/state", timeout=5).json()["ticks"] >= 2


def test_seeded_world_has_every_status_type_and_shape(sandbox):
    everything = requests.get(f"{sandbox.connect_url}/requests?limit=1000", headers=H, timeout=10).json()
    statuses = {r["status"] for r in everything}
    assert statuses == {"draft", "tiers_setup", "pending", "inquiring", "approved", "failed", "scheduled",
                        "revoking", "revoked"}  # fmt: skip
    assert {r["type"] for r in everything} >= {
        "purchase",
        "change",
        "suspend",
        "resume",
        "cancel",
        "adjustment",
    }
    inquiring = [r for r in everything if r["status"] == "inquiring"]
    assert all(any(p["value_error"] for p in r["asset"]["params"]) for r in inquiring)
    migration = [
        p for r in everything for p in r["asset"]["params"] if p["id"] == "migration_info" and p["value"]
    ]
    assert migration
    for r in everything:
        assert isinstance(r["assignee"], dict) or r["assignee"] == ""
        assert all(isinstance(i["quantity"], str) for i in r["asset"]["items"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", r["created"])
    tcrs = requests.get(
        f"{sandbox.connect_url}/tier/config-requests?limit=1000", headers=H, timeout=10
    ).json()
    assert {t["status"] for t in tcrs} == {
        "draft",
        "tiers_setup",
        "pending",
        "inquiring",
        "approved",
        "failed",
    }
    assert all(isinstance(t["configuration"]["tier_level"], int) for t in tcrs)


def _shape(node, path=""):
    """Every key path (lists collapsed) -> JSON type name."""
    out = {}
    if isinstance(node, dict):
        for key, value in node.items():
            out[f"{path}.{key}"] = type(value).__name__
            out.update(_shape(value, f"{path}.{key}"))
    elif isinstance(node, list):
        for value in node:
            out.update(_shape(value, f"{path}[]"))
    return out


@pytest.mark.parametrize(
    "fixture,path,query",
    [
        ("fulfillment_request.json", "/requests", "limit=1000"),
        ("tier_config_request.json", "/tier/config-requests", "limit=1000"),
        ("asset.json", "/assets", "limit=1000"),
        ("tier_config.json", "/tier/configs", "limit=1000"),
    ],
)
def test_fixture_fields_exist_with_the_same_types(sandbox, fixture, path, query):
    expected = _shape(json.loads((FIXTURES / fixture).read_text()))
    ours = {}
    for doc in requests.get(f"{sandbox.connect_url}{path}?{query}", headers=H, timeout=10).json():
        for key, kind in _shape(doc).items():
            ours.setdefault(key, set()).add(kind)
    # the fixtures' own quirks: free-form item params, a null address line, legacy ids in asset.json
    skip = re.compile(
        r"\.items\[\]\.params|address_line2|structured_value\.V-|\.shared$|\.hub\.(account_id|instance_id)"
    )
    missing = [k for k in expected if k not in ours and not skip.search(k)]
    assert not missing, missing
    wrong = [
        (k, t, ours[k]) for k, t in expected.items() if k in ours and t not in ours[k] and t != "NoneType"
    ]
    assert not wrong


def _load_conformance():
    spec = importlib.util.spec_from_file_location("connect_conformance", CONFORMANCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Problems that are the v37 spec's, not ours (shared/upstream/README.md lists the first four; the
# others are the same kind of spec defect, checked against the real fixtures and connect-api.md):
KNOWN_SPEC_ERRORS = [
    r"/assignee: \{.*\} is not of type 'string'",  # requests: assignee is an object
    r"assignee: '' is not of type 'object'",  # TCRs: unassigned is "" like on requests
    r"tier_level: [12] is not of type 'string'",  # tier_level is an int
    r"quantity: '\d+' is not of type 'number'",  # item quantities are strings
    r"value_choices/\d+: \{.*\} is not of type 'string'",  # value_choices are objects
    # spec: asset params are an array of arrays (every param object fails; the tool cuts the message)
    r"^/assets(/\{id\})?: at (\d+/)?params/\d+: \{'id': ",
    r"^/tier/config-requests(/\{id\})?: at (\d+/)?params: \[\{",  # spec: TCR params typed as a string
    r"status: '(scheduled|revoking|revoked)' is not one of",  # connect-api.md §2.1 statuses
    r"type: 'adjustment' is not one of",  # connect-api.md §2.1 types
    r"^/hubs/\{hub_id\}: no 200 JSON schema in the spec",  # the tool's path; the spec has /hubs/{id}
]


def test_conformance_tool_reports_only_known_spec_errors(sandbox):
    out = subprocess.run(
        [sys.executable, str(CONFORMANCE), sandbox.connect_url, "ApiKey SU-000-000-000:x"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = out.stdout.splitlines()
    problems = [line for line in lines if line.startswith("/")]
    summary = re.search(r"(\d+) problem\(s\)", out.stdout)
    assert summary, out.stdout + out.stderr
    unknown = [p for p in problems if not any(re.search(k, p) for k in KNOWN_SPEC_ERRORS)]
    assert not unknown, "\n".join(unknown)
    assert "/requests: " in out.stdout and "-- /hubs: " in out.stdout
    # the tool prints at most 200 problems: check every one of them, on every object, too
    tool = _load_conformance()
    all_problems, seen = tool.check(sandbox.connect_url, "ApiKey x", 1000)
    assert seen > 100
    unknown = [p for p in all_problems if not any(re.search(k, p) for k in KNOWN_SPEC_ERRORS)]
    assert not unknown, "\n".join(unknown[:20])


def test_colleagues_in_the_portal_process_some_pending_requests(sandbox):
    """The live demo's backlog stays steady: each tick, a pending request or two from before it
    is approved or failed in the portal (never an answered inquiry, never one of this tick)."""
    processed, new = [], set()
    for _ in range(8):
        result = requests.post(f"{sandbox.url}/_sandbox/tick", timeout=10).json()["connect"]
        assert not set(result["processed"]) & set(result["new_requests"])
        processed += result["processed"]
        new |= set(result["new_requests"])
    assert processed
    for rid in processed:
        got = requests.get(f"{sandbox.connect_url}/requests/{rid}", headers=H, timeout=5).json()
        assert got["status"] in ("approved", "failed") and got["answered"] is not True
        if got["status"] == "approved":
            assert got["template"]["id"] and got["asset"]["status"] != "processing"
        else:
            assert got["reason"]


def test_an_answered_inquiry_never_becomes_a_migration(sandbox):
    inquiring = requests.get(
        f"{sandbox.connect_url}/requests?eq(status,inquiring)&limit=100", headers=H, timeout=5
    ).json()
    answered = []
    for _ in range(12):
        answered += requests.post(f"{sandbox.url}/_sandbox/tick", timeout=10).json()["connect"]["answered"]
    assert answered
    before = {r["id"]: r for r in inquiring}
    for rid in answered:
        got = requests.get(f"{sandbox.connect_url}/requests/{rid}", headers=H, timeout=5).json()
        was = {p["id"]: p.get("value", "") for p in before[rid]["asset"]["params"]}
        now = {p["id"]: p.get("value", "") for p in got["asset"]["params"]}
        assert now.get("migration_info", "") == was.get("migration_info", "")
