"""The usage collections as Connect's clients read them: the official `connect-openapi-client`
pointed at our `/api/v1/connect` on a live server (namespaces `usage` and `subscriptions`, as
on Connect), and the exact queries of the legacy SDK's `UsageFileAutomation` and
`UsageAutomation`, the CB Commerce chunk loop and the "usage per subscription" report.
Plus select(), search, and bad values."""

from __future__ import annotations

import re

import pytest
from connect.client import ClientError, ConnectClient, R

from tests.paths import ROOT
from usage.models import UsageFile, UsageRecord

from . import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_throttle")]


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return [o["id"] for o in response.json()]


@pytest.fixture
def client(transactional_db, make_token, live_server):
    _, plain = make_token()
    return ConnectClient(
        f"Bearer {plain}", endpoint=live_server.url + "/api/v1/connect", use_specs=False, max_retries=0
    )


def test_connect_openapi_client_reads_usage_and_billing_like_the_orm(client):
    files = [f.UsageFileFactory(status=s) for s in ("ready", "ready", "pending", "closed")]
    records = [f.UsageRecordFactory(usage_file=files[0]) for _ in range(3)]
    asset = f.RecurringAssetFactory()
    request = f.BillingRequestFactory(asset=asset)
    usage = client.ns("usage")
    ready = usage.files.filter(R().status.eq("ready")).order_by("created.at")
    assert ready.count() == 2
    assert [o["id"] for o in ready] == [files[0].id, files[1].id]
    assert usage.files[files[2].id].get() == files[2].payload
    of_file = usage.records.filter(R().usagefile.id.eq(files[0].id)).order_by("id")
    assert [o["id"] for o in of_file] == sorted(r.id for r in records)
    # Pages of 2: the client walks Content-Range to the end.
    assert [o["id"] for o in usage.records.all().limit(2)] == sorted(r.id for r in records)
    subscriptions = client.ns("subscriptions")
    assert [o["id"] for o in subscriptions.assets.all()] == [asset.id]
    assert [o["id"] for o in subscriptions.requests.filter(R().asset.id.eq(asset.id))] == [request.id]
    with pytest.raises(ClientError) as error:
        usage.files["UF-NOPE"].get()
    assert error.value.status_code == 404 and error.value.error_code == "NOT_FOUND"
    with pytest.raises(ClientError) as error:
        list(usage.files.filter(stauts="ready"))
    assert error.value.status_code == 400 and error.value.error_code == "RQL_002"


def test_the_client_pages_through_a_collection_bigger_than_a_page(client, settings):
    settings.API_DEFAULT_LIMIT = 2
    files = [f.UsageFileFactory() for _ in range(5)]
    got = [o["id"] for o in client.ns("usage").files.all()]
    assert got == [u.id for u in reversed(files)]  # newest first, all of them, once


def test_legacy_usage_file_automation_filter(api):
    # UsageFileAutomation: status=ready and in(product_id, config.products), limit 1000.
    mine = f.UsageFileFactory(status="ready", product_id="PRD-1")
    f.UsageFileFactory(status="pending", product_id="PRD-1")
    f.UsageFileFactory(status="ready", product_id="PRD-2")
    got = api.get("/api/v1/connect/usage/files?and(eq(status,ready),in(product_id,(PRD-1,PRD-9)))&limit=1000")
    assert ids(got) == [mine.id]
    assert ids(api.get("/api/v1/connect/usage/files?status=ready&product_id=PRD-1")) == [mine.id]


def test_legacy_usage_automation_listings_filter(api):
    # UsageAutomation: listings with status=listed of the configured products.
    listed = f.ListingFactory(product_id="PRD-1")
    f.ListingFactory(product_id="PRD-1", status="unlisted")
    f.ListingFactory(product_id="PRD-3")
    got = api.get(
        "/api/v1/connect/usage/listings?and(eq(status,listed),in(product.id,(PRD-1,PRD-2)))&limit=1000"
    )
    assert ids(got) == [listed.id]
    assert ids(api.get("/api/v1/connect/usage/listings?product__id=PRD-1&status=listed")) == [listed.id]


def test_cb_commerce_chunk_loop_and_usage_per_subscription_report(api):
    ready = f.UsageChunkFactory(status="ready", hub_id="HB-1")
    f.UsageChunkFactory(status="closed", hub_id="HB-1")
    f.UsageChunkFactory(status="ready", hub_id="HB-2")
    assert ids(api.get("/api/v1/connect/usage/chunks?status=ready&binding.hub.id=HB-1")) == [ready.id]
    # REP: an asset's approved or closed records.
    asset_records = [
        f.UsageRecordFactory(asset_id="AS-1", record_status=s) for s in ("approved", "closed", "invalid")
    ]
    f.UsageRecordFactory(asset_id="AS-2", record_status="approved")
    got = api.get("/api/v1/connect/usage/records?and(eq(asset.id,AS-1),in(status,(approved,closed)))")
    assert sorted(ids(got)) == sorted(r.id for r in asset_records[:2])


def test_select_prunes_the_json_in_list_and_detail(api):
    uf = f.UsageFileFactory()
    (obj,) = api.get("/api/v1/connect/usage/files?select(-stats,-product.icon)").json()
    assert "stats" not in obj and "icon" not in obj["product"] and obj["product"]["id"] == uf.product_id
    detail = api.get(f"/api/v1/connect/usage/files/{uf.id}?select(-events)").json()
    assert "events" not in detail and detail["records"] == uf.payload["records"]


def test_search_matches_ids_and_external_ids(api):
    uf = f.UsageFileFactory(external_id="CRD-9 PRD-9 March")
    f.UsageFileFactory()
    assert ids(api.get("/api/v1/connect/usage/files?search=PRD-9")) == [uf.id]
    record = f.UsageRecordFactory(item_mpn="SEATS-PLUS")
    f.UsageRecordFactory()
    assert ids(api.get("/api/v1/connect/usage/records?search=seats-plus")) == [record.id]


def test_a_file_records_read_as_connect_and_the_amounts_stay_decimal(api):
    record = f.UsageRecordFactory(usage="1.5")
    stored = UsageRecord.objects.get(pk=record.pk)
    assert str(stored.usage) == "1.50000000"  # the column is a Decimal, never a float
    got = api.get(f"/api/v1/connect/usage/records?eq(usage_file,{record.usage_file_id})").json()
    assert got == [record.payload]
    assert UsageFile.objects.get(pk=record.usage_file_id).payload["id"] == got[0]["usagefile"]["id"]


@pytest.mark.parametrize(
    "path,query,code",
    [
        ("usage/files", "eq(status,processed)", "RQL_003"),  # not a status (connect-cli #184)
        ("usage/files", "eq(schema,QT)", "RQL_003"),  # lower-case on files
        ("usage/files", "eq(created.at,yesterday)", "RQL_003"),
        ("usage/files", "eq(name,x)", "RQL_002"),  # Connect's, but no index here
        ("usage/files", "gt(status,ready)", "RQL_002"),
        ("usage/records", "eq(status,validated)", "RQL_003"),  # the workflow's word, not the API's
        ("usage/records", "eq(end_date,2024-01-01T00:00:00Z)", "RQL_002"),
        ("usage/chunks", "eq(status,pending)", "RQL_003"),
        ("subscriptions/requests", "eq(type,customer)", "RQL_003"),
        ("subscriptions/assets", "ordering(external_uid)", "RQL_001"),
    ],
)
def test_bad_values_and_names_are_400_with_the_reason(api, path, query, code):
    r = api.get(f"/api/v1/connect/{path}?{query}")
    assert r.status_code == 400, r.content
    assert r.json()["error_code"] == code and r.json()["errors"]


def _documented_queries() -> list[str]:
    text = (ROOT / "docs" / "api.md").read_text()
    section = text.split("## Connect usage and billing")[1].split("\n## ")[0]
    found = re.findall(r"`(/(?:usage|subscriptions)/[^`]+\?[^`]+)`", section)
    return [q.replace("…", "X") for q in found]


def test_every_documented_usage_query_answers(api):
    for factory in (f.UsageRecordFactory, f.UsageChunkFactory, f.ListingFactory, f.BillingRequestFactory):
        factory()
    queries = _documented_queries()
    assert len(queries) >= 10
    for query in queries:
        r = api.get(f"/api/v1/connect{query}")
        assert r.status_code == 200, (query, r.content[:300])
