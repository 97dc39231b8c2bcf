"""The usage status machine over real HTTP: the processing delay, the whole life with refused
states and actors, delete, chunks, the template, tick, faults."""

import io
import time

import requests
from openpyxl import load_workbook

from tests.usage.sandbox.usage_workbooks import (
    BOTH,
    PROVIDER,
    VENDOR,
    action,
    active_asset,
    create_file,
    get_file,
    good_rows,
    ready_file,
    set_delay,
    upload,
    wait_for,
    workbook,
)


def test_processing_takes_processing_seconds(usage):
    set_delay(usage, 0.6)
    asset = active_asset(usage)
    doc = create_file(usage, asset)
    started = time.monotonic()
    upload(usage, doc["id"], workbook(good_rows(usage, asset, 1)))
    assert get_file(usage, doc["id"])["status"] in ("uploading", "processing")
    listed = requests.get(f"{usage.connect_url}/usage/files?id={doc['id']}", headers=BOTH, timeout=10).json()
    assert listed[0]["status"] in ("uploading", "processing")
    assert wait_for(usage, doc["id"], {"processing"})["status"] == "processing"
    doc = wait_for(usage, doc["id"], {"ready"})
    assert doc["status"] == "ready" and time.monotonic() - started >= 0.6
    knobs = f"{usage.url}/_sandbox/usage"
    assert requests.get(knobs, timeout=10).json() == {"processing_seconds": 0.6}
    assert requests.post(knobs, json={"processing_seconds": -1}, timeout=10).status_code == 400
    assert requests.post(knobs, json={"speed": 1}, timeout=10).status_code == 400
    assert requests.delete(knobs, timeout=10).json() == {"processing_seconds": 0.5}
    set_delay(usage, 3)
    requests.post(f"{usage.url}/_sandbox/reset", json={}, timeout=60).raise_for_status()
    assert requests.get(knobs, timeout=10).json() == {"processing_seconds": 0.5}


def test_the_whole_life_with_actors_and_refusals(usage):
    doc = ready_file(usage)
    ident = doc["id"]
    # wrong state: accept a ready file
    refused = action(usage, ident, "accept", json={"acceptance_note": "x"})
    assert refused.status_code == 400
    assert refused.json() == {
        "error_code": "UFL_001",
        "errors": [f"Usage file {ident} is ready: accept is only allowed from pending."],
    }
    # wrong actor: a provider submits
    assert action(usage, ident, "submit", headers=PROVIDER).json()["error_code"] == "AUTH_002"
    assert action(usage, ident, "submit", headers=PROVIDER).status_code == 403
    assert action(usage, ident, "submit/", headers=VENDOR, data="null").json()["status"] == "pending"
    assert action(usage, ident, "reject", headers=PROVIDER, json={}).json()["errors"] == [
        "rejection_note: This field is required."
    ]
    assert action(usage, ident, "accept", headers=VENDOR, json={}).status_code == 403
    rejected = action(usage, ident, "reject", headers=PROVIDER, json={"rejection_note": "wrong"}).json()
    assert rejected["status"] == "rejected" and rejected["rejection_note"] == "wrong"
    records = requests.get(
        f"{usage.connect_url}/usage/records?usagefile.id={ident}", headers=BOTH, timeout=10
    ).json()
    assert {r["status"] for r in records} == {"rejected"}
    # re-upload, submit, accept
    asset = active_asset(usage)
    assert upload(usage, ident, workbook(good_rows(usage, asset, 2))).status_code == 201
    assert get_file(usage, ident)["status"] == "ready"
    assert action(usage, ident, "submit", headers=VENDOR).json()["status"] == "pending"
    accepted = action(usage, ident, "accept", headers=PROVIDER, json={"acceptance_note": "fine"}).json()
    assert accepted["status"] == "accepted" and accepted["acceptance_note"] == "fine"
    records = requests.get(
        f"{usage.connect_url}/usage/records?usagefile.id={ident}", headers=BOTH, timeout=10
    ).json()
    assert [r["status"] for r in records] == ["approved", "approved"]
    # close needs every billing id
    refused = action(usage, ident, "close", headers=PROVIDER)
    assert refused.status_code == 400 and refused.json()["error_code"] == "UFL_002"
    closed = requests.post(
        f"{usage.connect_url}/usage/records/{records[0]['id']}/close",
        json={"external_billing_id": "INV-1", "external_billing_note": "n"},
        headers=PROVIDER,
        timeout=10,
    )
    assert (
        closed.status_code == 200
        and closed.json()["status"] == "closed"
        and closed.json()["external_billing_id"] == "INV-1"
    )
    again = requests.post(
        f"{usage.connect_url}/usage/records/{records[0]['id']}/close",
        json={"external_billing_id": "INV-1"},
        headers=PROVIDER,
        timeout=10,
    )
    assert again.status_code == 400 and again.json()["error_code"] == "URC_001"
    bulk = requests.post(
        f"{usage.connect_url}/usage/records/close-records",
        json=[
            {"id": records[1]["id"], "external_billing_id": "INV-2"},
            {"id": records[0]["id"], "external_billing_id": "INV-3"},
            {"id": "UR-NOPE"},
        ],
        headers=PROVIDER,
        timeout=10,
    )
    assert bulk.status_code == 206
    results = bulk.json()
    assert results[0] == {
        "id": records[1]["id"],
        "error_details": None,
        "error_codes": [],
        "status": "closed",
    }
    assert results[1]["error_codes"] == ["URC_001"] and results[1]["status"] == "closed"
    assert results[2]["error_codes"] == ["NTF_001"] and results[2]["status"] is None
    assert action(usage, ident, "reprocess", headers=PROVIDER).json()["records"]["closed"] == 2
    done = action(usage, ident, "close/", headers=PROVIDER, data="")
    assert done.status_code == 200 and done.json()["status"] == "closed"
    assert action(usage, ident, "delete", headers=VENDOR).json()["error_code"] == "UFL_001"


def test_delete_is_a_post_action_from_draft_invalid_or_ready(usage):
    doc = create_file(usage, active_asset(usage))
    assert action(usage, doc["id"], "delete", headers=PROVIDER, json={}).status_code == 403
    deleted = action(usage, doc["id"], "delete", headers=VENDOR, data="null")
    assert deleted.status_code == 200 and deleted.json()["status"] == "deleted"
    assert action(usage, doc["id"], "submit", headers=VENDOR).json()["error_code"] == "UFL_001"
    assert upload(usage, doc["id"], b"x").json()["error_code"] == "UFL_001"
    assert action(usage, doc["id"], "frobnicate", headers=VENDOR).status_code == 404


def test_chunks_per_hub_put_and_close(usage):
    doc = ready_file(usage)
    action(usage, doc["id"], "submit", headers=VENDOR)
    action(usage, doc["id"], "accept", headers=PROVIDER, json={"acceptance_note": ""})
    listed = requests.get(
        f"{usage.connect_url}/usage/chunks?usagefile.id={doc['id']}", headers=PROVIDER, timeout=10
    )
    chunks = listed.json()
    assert (
        len(chunks) == 1
        and chunks[0]["status"] == "ready"
        and chunks[0]["binding"]["hub"]["id"].startswith("HB-")
    )
    chunk = chunks[0]
    for query in (
        f"binding.hub.id={chunk['binding']['hub']['id']}",
        "provider.id=PA-425-033",
        "status=ready",
    ):
        got = requests.get(f"{usage.connect_url}/usage/chunks?{query}", headers=BOTH, timeout=10).json()
        assert chunk["id"] in {c["id"] for c in got}, query
    url = f"{usage.connect_url}/usage/chunks/{chunk['id']}"
    assert requests.put(url, json={}, headers=PROVIDER, timeout=10).status_code == 400
    assert (
        requests.put(url, json={"external_id": "batch-1"}, headers=PROVIDER, timeout=10).json()["external_id"]
        == "batch-1"
    )
    assert requests.post(url + "/close", json={}, headers=PROVIDER, timeout=10).status_code == 400
    assert (
        requests.post(
            url + "/close", json={"external_billing_id": "B-1"}, headers=VENDOR, timeout=10
        ).status_code
        == 403
    )
    closed = requests.post(
        url + "/close",
        json={"external_billing_id": "B-1", "external_billing_note": "n"},
        headers=PROVIDER,
        timeout=10,
    )
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    records = requests.get(
        f"{usage.connect_url}/usage/records?usagefile.id={doc['id']}", headers=BOTH, timeout=10
    ).json()
    assert {(r["status"], r["external_billing_id"]) for r in records} == {("closed", "B-1")}
    assert (
        requests.post(
            url + "/close", json={"external_billing_id": "B-2"}, headers=PROVIDER, timeout=10
        ).json()["error_code"]
        == "UCH_001"
    )
    assert action(usage, doc["id"], "close", headers=PROVIDER).json()["status"] == "closed"
    assert requests.get(url, headers=BOTH, timeout=10).json()["id"] == chunk["id"]
    assert (
        requests.get(f"{usage.connect_url}/usage/chunks/UFC-NOPE", headers=BOTH, timeout=10).status_code
        == 404
    )


def test_the_template_link_downloads_a_real_template(usage):
    pid = active_asset(usage)["product"]["id"]
    answer = requests.get(f"{usage.connect_url}/usage/products/{pid}/template/", headers=BOTH, timeout=10)
    link = answer.json()["template_link"]
    assert link.startswith(usage.url)
    book = load_workbook(io.BytesIO(requests.get(link, timeout=10).content), read_only=True)
    assert book.sheetnames == ["instructions", "categories", "records"]
    assert next(book["records"].iter_rows(values_only=True))[:4] == (
        "record_id",
        "record_note",
        "item_search_criteria",
        "item_search_value",
    )
    assert (
        requests.get(
            f"{usage.connect_url}/usage/products/PRD-0/template", headers=BOTH, timeout=10
        ).status_code
        == 404
    )


def test_tick_moves_usage_life_on(usage):
    before = requests.get(f"{usage.url}/_sandbox/state", timeout=10).json()["collections"]["usage_files"][
        "by_status"
    ]
    results = [requests.post(f"{usage.url}/_sandbox/tick", timeout=30).json()["usage"] for _ in range(3)]
    after = requests.get(f"{usage.url}/_sandbox/state", timeout=10).json()["collections"]["usage_files"][
        "by_status"
    ]
    assert after != before
    assert sum(r["submitted"] for r in results) >= 1 and sum(r["processed"] for r in results) >= 1
    assert sum(r["accepted"] + r["rejected"] for r in results) >= 1


def test_faults_apply_to_usage_paths(usage):
    requests.post(
        f"{usage.url}/_sandbox/faults", json={"next": ["503"], "path": "/usage/"}, timeout=10
    ).raise_for_status()
    assert requests.get(f"{usage.connect_url}/usage/files", headers=BOTH, timeout=10).status_code == 503
    assert requests.get(f"{usage.connect_url}/usage/files", headers=BOTH, timeout=10).status_code == 200
