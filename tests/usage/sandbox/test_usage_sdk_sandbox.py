"""The official Connect client (connect-openapi-client) drives every usage endpoint of the
sandbox: create, upload with `files=`, every action, record close and close-records, chunks."""

import pytest
import requests
from connect.client import ClientError, ConnectClient

from tests.usage.sandbox.usage_workbooks import active_asset, good_rows, period_of, set_delay, workbook


def client_for(sandbox, key):
    return ConnectClient(f"ApiKey {key}:secret", endpoint=sandbox.connect_url, use_specs=False, max_retries=0)


@pytest.fixture
def vendor(sandbox):
    set_delay(sandbox, 0)
    return client_for(sandbox, "VA-000-001").ns("usage")


@pytest.fixture
def provider(sandbox):
    return client_for(sandbox, "PA-425-033").ns("usage")


def new_ready_file(sandbox, vendor):
    asset = active_asset(sandbox)
    doc = vendor.files.create(
        payload={
            "name": "SDK usage",
            "product": {"id": asset["product"]["id"]},
            "contract": {"id": asset["contract"]["id"]},
            "period": period_of(asset),
            "external_id": "sdk-1",
        }
    )
    assert doc["status"] == "draft"
    uploaded = (
        vendor.files[doc["id"]]
        .action("upload")
        .post(files={"usage_file": ("usage_file.xlsx", workbook(good_rows(sandbox, asset, 2)))})
    )
    assert uploaded["status"] == "uploading"
    assert vendor.files[doc["id"]].get()["status"] == "ready"
    return doc["id"]


def test_the_official_client_drives_the_whole_usage_life(sandbox, vendor, provider):
    ident = new_ready_file(sandbox, vendor)
    assert vendor.files.filter(external_id="sdk-1").count() == 1
    assert vendor.files[ident].categories.all().count() == 1 or list(
        vendor.files[ident].collection("categories").all()
    )
    with pytest.raises(ClientError) as refused:
        provider.files[ident].action("submit").post()
    assert refused.value.status_code == 403
    vendor.files[ident].action("submit").post()
    with pytest.raises(ClientError) as wrong:
        provider.files[ident].action("close").post()
    assert wrong.value.status_code == 400 and wrong.value.error_code == "UFL_001"
    provider.files[ident].action("reject").post({"rejection_note": "again"})
    assert vendor.files[ident].get()["status"] == "rejected"
    vendor.files[ident].action("upload").post(
        files={"usage_file": ("usage_file.xlsx", workbook(good_rows(sandbox, active_asset(sandbox), 3)))}
    )
    vendor.files[ident].action("submit").post({})
    assert provider.files[ident].action("accept").post({"acceptance_note": "ok"})["status"] == "accepted"
    records = list(provider.records.filter(usagefile__id=ident))
    assert [r["status"] for r in records] == ["approved"] * 3
    closed = (
        provider.records[records[0]["id"]]
        .action("close")
        .post({"external_billing_id": "INV-1", "external_billing_note": "n"})
    )
    assert closed["status"] == "closed"
    results = provider.records.action("close-records").post(
        [
            {"id": r["id"], "external_billing_id": f"INV-{r['id']}", "external_billing_note": ""}
            for r in records
        ]
    )
    assert [r["status"] for r in results] == ["closed"] * 3
    assert results[0]["error_codes"] == ["URC_001"] and results[1]["error_codes"] == []
    provider.files[ident].action("reprocess").post()
    chunks = list(provider.chunks.filter(usagefile__id=ident))
    assert chunks and provider.chunks[chunks[0]["id"]].get()["id"] == chunks[0]["id"]
    provider.chunks[chunks[0]["id"]].update({"external_id": "batch-9"})
    assert provider.files[ident].action("close").post()["status"] == "closed"
    assert provider.records.filter(usagefile__id=ident, status="closed").count() == 3


def test_the_official_client_deletes_and_reads_templates(sandbox, vendor):
    asset = active_asset(sandbox)
    doc = vendor.files.create(
        payload={
            "name": "to delete",
            "product": {"id": asset["product"]["id"]},
            "contract": {"id": asset["contract"]["id"]},
        }
    )
    assert vendor.files[doc["id"]].action("delete").post()["status"] == "deleted"
    link = vendor.products[asset["product"]["id"]].action("template").get()["template_link"]
    assert requests.get(link, timeout=10).status_code == 200
    with pytest.raises(ClientError) as missing:
        vendor.files["UF-0000-00-0000-0000"].get()
    assert missing.value.status_code == 404
    assert not vendor.files["UF-0000-00-0000-0000"].exists()
