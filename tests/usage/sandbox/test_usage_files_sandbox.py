"""The fake Connect usage API over real HTTP: files (list, create, PUT, detail, downloads),
uploads really read, the status machine with its actors and Connect's 400 bodies, the processing
delay, records, close-records, chunks, templates, seed and tick."""

import io
import time

import pytest
import requests
from openpyxl import load_workbook

from tests.usage.sandbox.usage_workbooks import (
    BOTH,
    PROVIDER,
    SDK,
    VENDOR,
    action,
    active_asset,
    create_file,
    get_file,
    good_rows,
    set_delay,
    upload,
    workbook,
)

STATUSES = {
    "draft",
    "uploading",
    "processing",
    "invalid",
    "ready",
    "pending",
    "accepted",
    "rejected",
    "closed",
    "deleted",
}


@pytest.fixture
def usage(sandbox):
    set_delay(sandbox, 0)
    return sandbox


def wait_for(sandbox, ident, statuses, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        doc = get_file(sandbox, ident)
        if doc["status"] in statuses or time.monotonic() > deadline:
            return doc
        time.sleep(0.02)


def ready_file(sandbox, asset=None, n=3):
    asset = asset or active_asset(sandbox)
    doc = create_file(sandbox, asset)
    assert upload(sandbox, doc["id"], workbook(good_rows(sandbox, asset, n))).status_code == 201
    doc = get_file(sandbox, doc["id"])
    assert doc["status"] == "ready", doc
    return doc


def test_the_seed_has_files_in_every_status_with_records_and_chunks(usage):
    response = requests.get(f"{usage.connect_url}/usage/files?limit=1000", headers=BOTH, timeout=10)
    files = response.json()
    assert response.headers["Content-Range"] == f"items 0-{len(files) - 1}/{len(files)}"
    assert {f["status"] for f in files} == STATUSES
    assert len(files) == 20  # scale 40
    assert all("usage_file_uri" not in f for f in files)
    closed = next(f for f in files if f["status"] == "closed")
    records = requests.get(
        f"{usage.connect_url}/usage/records?eq(usagefile.id,{closed['id']})", headers=BOTH, timeout=10
    ).json()
    assert (
        records
        and {r["status"] for r in records} == {"closed"}
        and all(r["external_billing_id"] for r in records)
    )
    assert closed["records"]["closed"] == len(records) == closed["stats"]["closed"]
    chunks = requests.get(
        f"{usage.connect_url}/usage/chunks?eq(usagefile.id,{closed['id']})", headers=BOTH, timeout=10
    ).json()
    assert chunks and {c["status"] for c in chunks} == {"closed"}
    for status, record_status in (("ready", "valid"), ("pending", "valid"), ("rejected", "rejected")):
        doc = next(f for f in files if f["status"] == status)
        rows = requests.get(
            f"{usage.connect_url}/usage/records?usagefile.id={doc['id']}", headers=BOTH, timeout=10
        ).json()
        assert rows and {r["status"] for r in rows} == {record_status}
        assert doc["schema"] in ("qt", "tr", "pr", "cr")


def test_reads_do_not_move_the_seeded_state(usage):
    before = requests.get(f"{usage.url}/_sandbox/state", timeout=10).json()["collections"]
    for path in ("files", "records", "chunks"):
        requests.get(f"{usage.connect_url}/usage/{path}", headers=BOTH, timeout=10).raise_for_status()
    time.sleep(0.05)
    after = requests.get(f"{usage.url}/_sandbox/state", timeout=10).json()["collections"]
    assert before["usage_files"] == after["usage_files"]


def test_list_filters_of_the_spec(usage):
    files = requests.get(f"{usage.connect_url}/usage/files?limit=1000", headers=BOTH, timeout=10).json()
    sample = files[0]
    pid, cid, mid = sample["product"]["id"], sample["contract"]["id"], sample["marketplace"]["id"]
    expect = {f["id"] for f in files if f["product"]["id"] == pid}
    for query in (f"product.id={pid}", f"product_id={pid}", f"eq(product.id,{pid})"):
        got = requests.get(
            f"{usage.connect_url}/usage/files?{query}&limit=1000", headers=BOTH, timeout=10
        ).json()
        assert {f["id"] for f in got} == expect, query
    for query, check in (
        ("status=ready", lambda f: f["status"] == "ready"),
        (f"contract.id={cid}", lambda f: f["contract"]["id"] == cid),
        (f"marketplace.id={mid}", lambda f: f["marketplace"]["id"] == mid),
        (f"schema={sample['schema']}", lambda f: f["schema"] == sample["schema"]),
        (f"vendor.id={sample['vendor']['id']}", lambda f: f["vendor"]["id"] == sample["vendor"]["id"]),
        ("provider.id=PA-425-033", lambda f: True),
        (f"environment={sample['environment']}", lambda f: f["environment"] == sample["environment"]),
        (
            f"external_id={sample['external_id'].replace(' ', '%20')}",
            lambda f: f["external_id"] == sample["external_id"],
        ),
        ("gt(created.at,2024-06-01T00:00:00+00:00)", lambda f: f["events"]["created"]["at"] > "2024-06-01"),
    ):
        got = requests.get(
            f"{usage.connect_url}/usage/files?{query}&limit=1000", headers=BOTH, timeout=10
        ).json()
        assert {f["id"] for f in got} == {f["id"] for f in files if check(f)}, query
    page = requests.get(f"{usage.connect_url}/usage/files?limit=5&offset=5", headers=BOTH, timeout=10)
    assert page.headers["Content-Range"] == f"items 5-9/{len(files)}"


def test_create_derives_the_parties_and_validates(usage):
    asset = active_asset(usage)
    doc = create_file(usage, asset, currency="USD", external_id="ext-1", note="n")
    assert doc["status"] == "draft" and doc["id"].startswith("UF-")
    assert doc["vendor"]["id"].startswith("VA-") and doc["provider"]["id"] == "PA-425-033"
    assert doc["marketplace"]["id"] == asset["marketplace"]["id"]
    assert doc["contract"]["id"] == asset["contract"]["id"]
    assert doc["currency"] == "USD" and doc["external_id"] == "ext-1"
    assert doc["schema"] in ("qt", "tr", "pr", "cr") and doc["environment"] == asset["connection"]["type"]
    url = f"{usage.connect_url}/usage/files"
    missing = requests.post(url, json={"product": {"id": asset["product"]["id"]}}, headers=VENDOR, timeout=10)
    assert missing.status_code == 400
    assert missing.json() == {
        "error_code": "VAL_001",
        "errors": ["name: This field is required.", "contract.id: This field is required."],
    }
    body = {"name": "x", "product": {"id": "PRD-000-000-000"}, "contract": {"id": asset["contract"]["id"]}}
    assert requests.post(url, json=body, headers=VENDOR, timeout=10).json()["error_code"] == "VAL_001"
    assert (
        requests.post(
            url, json={**body, "product": asset["product"]}, headers=PROVIDER, timeout=10
        ).status_code
        == 403
    )
    assert (
        requests.post(
            url + "/", json={**body, "product": asset["product"]}, headers=VENDOR, timeout=10
        ).status_code
        == 201
    )
    assert requests.get(url, timeout=10).status_code == 401


def test_put_updates_the_editable_fields_with_their_limits(usage):
    doc = create_file(usage, active_asset(usage))
    url = f"{usage.connect_url}/usage/files/{doc['id']}"
    changed = requests.put(
        url,
        json={
            "description": "d",
            "note": "n",
            "external_id": "e",
            "currency": "EUR",
            "period": {"from": "2024-02-01", "to": "2024-02-29"},
        },
        headers=VENDOR,
        timeout=10,
    )
    assert changed.status_code == 200
    assert {k: changed.json()[k] for k in ("description", "note", "external_id", "currency")} == {
        "description": "d",
        "note": "n",
        "external_id": "e",
        "currency": "EUR",
    }
    assert changed.json()["period"] == {"from": "2024-02-01", "to": "2024-02-29"}
    too_long = requests.put(url, json={"note": "x" * 201}, headers=VENDOR, timeout=10)
    assert too_long.status_code == 400 and too_long.json()["errors"] == [
        "note: Ensure this field has no more than 200 characters."
    ]
    assert (
        requests.put(
            url, json={"period": {"from": "2024-03-01", "to": "2024-02-01"}}, headers=VENDOR, timeout=10
        ).status_code
        == 400
    )
    assert (
        requests.get(
            f"{usage.connect_url}/usage/files/UF-0000-00-0000-0000", headers=BOTH, timeout=10
        ).status_code
        == 404
    )


def test_a_good_workbook_becomes_ready_with_records_links_and_categories(usage):
    asset = active_asset(usage)
    doc = create_file(usage, asset)
    data = workbook(good_rows(usage, asset, 3))
    answer = upload(usage, doc["id"], data, slash="/")
    assert answer.status_code == 201 and answer.json()["status"] == "uploading"
    doc = get_file(usage, doc["id"])
    assert doc["status"] == "ready" and doc["sub_status"] == "processed"
    assert doc["records"] == {"valid": 3, "invalid": 0, "closed": 0}
    assert doc["stats"]["uploaded"] == 3 and doc["stats"]["validated"] == 3
    records = requests.get(
        f"{usage.connect_url}/usage/records?usagefile.id={doc['id']}", headers=BOTH, timeout=10
    )
    assert records.headers["Content-Range"] == "items 0-2/3"
    record = records.json()[0]
    assert record["id"].startswith("UR-") and record["status"] == "valid"
    assert record["asset"]["id"] == asset["id"] and record["usagefile"]["id"] == doc["id"]
    assert (
        requests.get(f"{usage.connect_url}/usage/records/{record['id']}", headers=BOTH, timeout=10).json()
        == record
    )
    for query in (
        f"usage_file={doc['id']}",
        f"asset.id={asset['id']}",
        f"item.id={record['item']['id']}",
        f"product.id={record['product_id']}",
        "status=valid",
        f"hub.id={asset['connection']['hub']['id']}",
        "ge(start_date,2024-01-01T00:00:00+00:00)",
    ):
        got = requests.get(
            f"{usage.connect_url}/usage/records?{query}&limit=1000", headers=BOTH, timeout=10
        ).json()
        assert record["id"] in {r["id"] for r in got}, query
    categories = requests.get(
        f"{usage.connect_url}/usage/files/{doc['id']}/categories", headers=BOTH, timeout=10
    ).json()
    assert categories == [
        {
            "id": "generic_category",
            "name": "Generic Category",
            "description": "Generic autogenerated category",
        }
    ]
    uploaded = requests.get(doc["usage_file_uri"], timeout=10)
    assert uploaded.status_code == 200 and uploaded.content == data
    processed = load_workbook(
        io.BytesIO(requests.get(doc["processed_file_uri"], timeout=10).content), read_only=True
    )
    assert {"general", "records"} <= set(processed.sheetnames)
    assert (
        requests.get(doc["usage_file_uri"].replace("signature=", "signature=x"), timeout=10).status_code
        == 403
    )


def test_the_sdk_layout_on_a_usage_records_sheet_is_read_by_header_names(usage):
    asset = active_asset(usage)
    doc = create_file(usage, asset)
    rows = good_rows(usage, asset, 2)
    rows[1]["asset_search_criteria"], rows[1]["asset_search_value"] = (
        "parameter.tenant_id",
        next(p["value"] for p in asset["params"] if p["id"] == "tenant_id"),
    )
    rows[0]["item_search_criteria"] = "item.global_id"
    rows[0]["item_search_value"] = requests.get(
        f"{usage.connect_url}/products/{asset['product']['id']}/items", headers=BOTH, timeout=10
    ).json()[0]["global_id"]
    assert upload(usage, doc["id"], workbook(rows, columns=SDK, sheet="usage_records")).status_code == 201
    doc = get_file(usage, doc["id"])
    assert doc["status"] == "ready", doc["error_detail"]


def test_a_bad_workbook_becomes_invalid_with_the_rows_and_reasons(usage):
    asset = active_asset(usage)
    doc = create_file(usage, asset)
    rows = good_rows(usage, asset, 4)
    rows[1]["item_search_value"] = "MPN-NOPE"
    rows[2]["end_time_utc"] = rows[2]["start_time_utc"]
    rows[3]["record_id"] = rows[0]["record_id"]
    rows[3]["asset_search_value"] = "AS-0000-0000-0000"
    assert upload(usage, doc["id"], workbook(rows)).status_code == 201
    doc = get_file(usage, doc["id"])
    assert doc["status"] == "invalid"
    assert doc["error_detail"] == doc["error_details"] and len(doc["error_detail"]) <= 200
    assert doc["error_detail"].startswith("3 of 4 rows are invalid: row 3: item MPN-NOPE")
    assert doc["records"]["invalid"] == 3
    assert (
        requests.get(
            f"{usage.connect_url}/usage/records?usagefile.id={doc['id']}", headers=BOTH, timeout=10
        ).json()
        == []
    )
    book = load_workbook(io.BytesIO(requests.get(doc["processed_file_uri"], timeout=10).content))
    sheet = book["records"]
    headers = [c.value for c in sheet[1]]
    errors = [row[-1] or "" for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert errors[0] == "" and "MPN-NOPE" in errors[1] and "after start_time_utc" in errors[2]
    assert "repeats row 2" in errors[3] and "AS-0000-0000-0000" in errors[3]
    assert sheet.cell(row=3, column=headers.index("item_search_value") + 1).comment is not None


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"quantity": None, "amount": None}, "is required for this product's schema"),
        (
            {"start_time_utc": "2020-01-01 00:00:00", "end_time_utc": "2020-01-02 00:00:00"},
            "outside the file's period",
        ),
        ({"start_time_utc": "01/02/2024"}, "is not a UTC time"),
        ({"item_search_criteria": "item.name"}, "is not one of item.mpn"),
        ({"asset_search_criteria": "customer.id"}, "is not asset.id or parameter"),
    ],
)
def test_each_row_rule(usage, change, reason):
    asset = active_asset(usage)
    doc = create_file(usage, asset)
    rows = good_rows(usage, asset, 1)
    rows[0].update(change)
    upload(usage, doc["id"], workbook(rows))
    doc = get_file(usage, doc["id"])
    assert doc["status"] == "invalid" and reason in doc["error_detail"]


def test_schema_rules_tier_and_category(usage):
    asset = active_asset(usage)
    schema = create_file(usage, asset)["schema"]
    rows = good_rows(usage, asset, 1)
    rows[0].update(tier=5, category_id="nope")
    doc = create_file(usage, asset)
    upload(usage, doc["id"], workbook(rows))
    doc = get_file(usage, doc["id"])
    assert doc["status"] == "invalid" and "tier '5' must be 0, 1 or 2" in doc["error_detail"]
    assert "category nope is not in the categories sheet" in doc["error_detail"]
    assert schema in ("qt", "tr", "pr", "cr")


def test_non_xlsx_and_sheetless_uploads_are_invalid(usage):
    asset = active_asset(usage)
    for data, reason in (
        (b"record_id,quantity\n1,2\n", "not an xlsx"),
        (workbook([], sheet="data"), "no 'records'"),
    ):
        doc = create_file(usage, asset)
        assert upload(usage, doc["id"], data).status_code == 201
        doc = get_file(usage, doc["id"])
        assert doc["status"] == "invalid" and reason in doc["error_detail"]
    missing = requests.post(f"{usage.connect_url}/usage/files/{doc['id']}/upload", headers=VENDOR, timeout=10)
    assert missing.status_code == 400 and missing.json()["error_code"] == "VAL_001"


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
