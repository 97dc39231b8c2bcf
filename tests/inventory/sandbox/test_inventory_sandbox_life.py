"""The CMP feed's life, knobs, reset, restart and faults over real HTTP: ticks make resources
appear, change and vanish (and nothing else moves), knobs blank an account or drive changes
at once, a reset restores the seed, the state file outlives the server, faults answer in the
feed's body."""

import requests

from channelhub.sandbox.server import SandboxServer
from tests.inventory.sandbox.cmp_feed import (
    CMP_SCALE,
    CMP_SEED,
    cmp_modules,
    feed_get,
    knobs,
    listing,
    without_last_seen,
)


def snapshot(server) -> dict:
    return {
        (account, d["type"], d["id"]): without_last_seen(d)
        for account in ("acc-1", "acc-2")
        for d in listing(server, account)
    }


def tick(server) -> dict:
    response = requests.post(f"{server.url}/_sandbox/tick", timeout=30)
    assert response.status_code == 200
    return response.json()["cmp"]


def test_ticks_make_resources_appear_change_and_vanish_and_move_nothing_else(cmp):
    before = snapshot(cmp)
    results = [tick(cmp) for _ in range(3)]
    after = snapshot(cmp)
    appeared = {(e["account"], e["type"], e["id"]) for r in results for e in r["appeared"]}
    vanished = {(e["account"], e["type"], e["id"]) for r in results for e in r["vanished"]}
    changed = {(e["account"], e["type"], e["id"]) for r in results for e in r["changed"]}
    assert changed and (appeared or vanished)
    assert set(after) == (set(before) | appeared) - vanished
    assert appeared.isdisjoint(before)  # ids are never reused
    for key in set(before) & set(after):
        if key in changed:
            continue
        assert after[key] == before[key], key  # byte-identical but for last_seen_at
    moved = {key for key in set(before) & set(after) if after[key] != before[key]}
    assert moved and moved <= changed
    for key in appeared - vanished:
        assert after[key]["base"]["provider_created_at"] is not None


def test_a_change_touches_one_thing(cmp):
    before = snapshot(cmp)
    done = knobs(cmp, change={"account": "acc-1", "count": 8})["done"]["change"]
    after = snapshot(cmp)
    for entry in done:
        key = ("acc-1", entry["type"], entry["id"])
        old, new = before[key], after[key]
        assert old != new
        differing = [
            part
            for part in ("id", "type", "base", "connections", "metadata", "details")
            if old.get(part) != new.get(part)
        ]
        assert len(differing) == 1, (entry, differing)
        assert old["base"]["provider_created_at"] == new["base"]["provider_created_at"]


def test_every_type_stays_after_many_ticks(cmp):
    for _ in range(6):
        tick(cmp)
    for account in ("acc-1", "acc-2"):
        assert len({d["type"] for d in listing(cmp, account)}) == 10


def test_ticks_are_deterministic_after_a_reset(cmp):
    first = [tick(cmp) for _ in range(2)]
    requests.post(f"{cmp.url}/_sandbox/reset", json={}, timeout=60).raise_for_status()
    again = [tick(cmp) for _ in range(2)]
    assert first == again


def test_blank_accounts_answer_an_empty_listing_with_200(cmp):
    shown = knobs(cmp, blank_accounts=["acc-2"])
    assert shown["blank_accounts"] == ["acc-2"]
    blank = feed_get(cmp, "/accounts/acc-2/resources")
    assert blank.status_code == 200 and blank.json() == [] and blank.headers["x-total-count"] == "0"
    metrics = feed_get(
        cmp, "/accounts/acc-2/metrics", since="2026-01-01T00:00:00Z", until="2026-01-01T01:00:00Z"
    )
    assert metrics.status_code == 200 and metrics.json()["metrics"] == []
    assert listing(cmp, "acc-1")  # the other account is untouched
    requests.post(f"{cmp.url}/_sandbox/reset", json={}, timeout=60).raise_for_status()
    assert listing(cmp, "acc-2")


def test_the_token_knob_changes_the_valid_token(cmp):
    knobs(cmp, token="rotated-token")
    assert feed_get(cmp, "/accounts").status_code == 401
    assert feed_get(cmp, "/accounts", "rotated-token").status_code == 200
    assert cmp.cmp_token == "rotated-token"
    requests.delete(f"{cmp.url}/_sandbox/cmp", timeout=10).raise_for_status()
    assert feed_get(cmp, "/accounts").status_code == 200


def test_vanish_and_appear_knobs_act_at_once(cmp):
    before = {(d["type"], d["id"]) for d in listing(cmp, "acc-1")}
    done = knobs(
        cmp,
        vanish={"account": "acc-1", "count": 3},
        appear={"account": "acc-1", "count": 2, "type": "server"},
    )["done"]
    after = {(d["type"], d["id"]) for d in listing(cmp, "acc-1")}
    gone = {(e["type"], e["id"]) for e in done["vanish"]}
    new = {(e["type"], e["id"]) for e in done["appear"]}
    assert len(gone) == 3 and gone <= before and after.isdisjoint(gone)
    assert len(new) == 2 and {t for t, _ in new} == {"server"} and new <= after
    assert len(after) == len(before) - 1
    assert listing(cmp, "acc-2")[0]["id"] == "acc-2"  # the other account is untouched


def test_bad_knobs_are_400_and_change_nothing(cmp):
    before = snapshot(cmp)
    for body in (
        {"blank_accounts": "acc-1"},
        {"token": ""},
        {"colour": "blue"},
        {"vanish": {"account": "acc-9", "count": 1}},
        {"token": "new-one", "vanish": {"account": "acc-1", "count": 0}},
        {"appear": {"account": "acc-1", "type": "spaceship"}},
    ):
        response = requests.post(f"{cmp.url}/_sandbox/cmp", json=body, timeout=10)
        assert response.status_code == 400, body
    assert snapshot(cmp) == before
    assert requests.get(f"{cmp.url}/_sandbox/cmp", timeout=10).json()["token"] == "sandbox-cmp-token"


def test_get_of_the_knobs_only_reads(cmp):
    before = snapshot(cmp)
    shown = requests.get(f"{cmp.url}/_sandbox/cmp", timeout=10).json()
    assert shown["blank_accounts"] == [] and shown["counts"]["acc-1"]["server"] >= 1
    assert shown["state_path"].endswith(".cmp.sqlite3")
    assert snapshot(cmp) == before


def test_reset_restores_the_seeded_feed(cmp):
    before = snapshot(cmp)
    tick(cmp)
    knobs(cmp, vanish={"account": "acc-2", "count": 5})
    assert snapshot(cmp) != before
    requests.post(f"{cmp.url}/_sandbox/reset", json={}, timeout=60).raise_for_status()
    assert snapshot(cmp) == before


def test_the_feed_has_its_own_state_file_that_survives_a_restart(tmp_path):
    state = tmp_path / "sandbox.sqlite3"
    with SandboxServer(state_path=state, seed=CMP_SEED, scale=CMP_SCALE, modules=cmp_modules()) as first:
        seeded = snapshot(first)
        knobs(first, vanish={"account": "acc-1", "count": 2})
        tick(first)
        lived = snapshot(first)
    assert (tmp_path / "sandbox.sqlite3.cmp.sqlite3").exists()
    with SandboxServer(state_path=state, seed=CMP_SEED, scale=CMP_SCALE, modules=cmp_modules()) as second:
        assert snapshot(second) == lived != seeded
        requests.post(f"{second.url}/_sandbox/reset", json={}, timeout=60).raise_for_status()
        assert snapshot(second) == seeded
    with SandboxServer(
        state_path=state, seed=CMP_SEED, scale=CMP_SCALE, modules=cmp_modules(), reset=True
    ) as third:
        assert snapshot(third) == seeded


def test_another_seed_gives_another_feed(cmp):
    seeded = snapshot(cmp)
    requests.post(f"{cmp.url}/_sandbox/reset", json={"seed": CMP_SEED + 1}, timeout=60).raise_for_status()
    try:
        assert snapshot(cmp) != seeded
    finally:
        requests.post(f"{cmp.url}/_sandbox/reset", json={"seed": CMP_SEED}, timeout=60).raise_for_status()


def test_faults_answer_in_the_feed_body(cmp):
    faults = {"next": ["503", "429", "500"], "path": "^/cmp/", "retry_after": 7}
    requests.post(f"{cmp.url}/_sandbox/faults", json=faults, timeout=10).raise_for_status()
    first = feed_get(cmp, "/accounts/acc-1/resources")
    assert first.status_code == 503
    assert first.json() == {"error": "ServiceUnavailable", "message": "Service unavailable."}
    second = feed_get(cmp, "/accounts")
    assert second.status_code == 429 and second.headers["Retry-After"] == "7"
    assert second.json()["error"] == "TooManyRequests"
    third = feed_get(
        cmp, "/accounts/acc-1/metrics", since="2026-01-01T00:00:00Z", until="2026-01-01T01:00:00Z"
    )
    assert third.status_code == 500 and third.json()["error"] == "InternalServerError"
    assert feed_get(cmp, "/accounts").status_code == 200  # the queue is spent


def test_a_churn_fault_changes_the_feed_while_a_client_pages(cmp):
    before = {(d["type"], d["id"]) for d in listing(cmp, "acc-1")}
    requests.post(
        f"{cmp.url}/_sandbox/faults", json={"churn": 2, "path": "^/cmp/"}, timeout=10
    ).raise_for_status()
    page = feed_get(cmp, "/accounts/acc-1/resources", per_page=5)
    requests.delete(f"{cmp.url}/_sandbox/faults", timeout=10).raise_for_status()
    assert page.status_code == 200
    assert int(page.headers["x-total-count"]) == len(before) + 1
