"""A workbook we build (import, validate, report_workbook) is `ready` upstream after upload:
Connect's validator (the sandbox, over real HTTP) takes it as it is."""

import time
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import requests

from tests.usage.factories import csv_file
from usage.importing import import_usage
from usage.models import Listing, RecurringAsset
from usage.workbook import report_workbook

pytestmark = pytest.mark.django_db

KEY = {"Authorization": "ApiKey SU-000-000-000:sandbox"}


def connect(sandbox, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, f"{sandbox.connect_url}{path}", headers=KEY, timeout=10, **kwargs)


def wait_for(sandbox, ident: str, statuses: set[str], timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        doc = connect(sandbox, "GET", f"/usage/files/{ident}").json()
        if doc["status"] in statuses or time.monotonic() > deadline:
            return doc
        time.sleep(0.05)


def mirror(asset: dict, schema: str, currency: str) -> None:
    """The asset and its listing in our mirror, as the sync would hold them."""
    created = datetime.fromisoformat(asset["events"]["created"]["at"])
    RecurringAsset.objects.create(
        id=asset["id"],
        status=asset["status"],
        product_id=asset["product"]["id"],
        contract_id=asset["contract"]["id"],
        created=created,
        updated=created,
        items=asset["items"],
        payload=asset,
    )
    Listing.objects.create(
        id="LST-SANDBOX",
        status="listed",
        product_id=asset["product"]["id"],
        contract_id=asset["contract"]["id"],
        usage_schema=schema,
        currency=currency,
    )


def rows_for(asset: dict, schema: str) -> list[dict]:
    """One good record per item of the asset, in the asset's creation month."""
    start = datetime.fromisoformat(asset["events"]["created"]["at"]).replace(microsecond=0)
    rows = []
    for n, item in enumerate(i for i in asset["items"] if i.get("mpn")):
        at = start + timedelta(seconds=n)
        rows.append(
            {
                "record_id": f"wb-{n}",
                "item_search_criteria": "item.mpn",
                "item_search_value": item["mpn"],
                "asset_search_criteria": "asset.id",
                "asset_search_value": asset["id"],
                "start_time_utc": f"{at:%Y-%m-%d %H:%M:%S}",
                "end_time_utc": f"{at + timedelta(seconds=1):%Y-%m-%d %H:%M:%S}",
                "quantity": "2.5" if schema == "qt" else "",
                "amount": "" if schema == "qt" else "10.25",
                "tier": "1" if schema == "tr" else "",
                "category_id": "storage" if schema == "cr" else "",
            }
        )
    return rows


def test_a_workbook_we_write_is_ready_upstream(sandbox):
    requests.post(
        f"{sandbox.url}/_sandbox/usage", json={"processing_seconds": 0}, timeout=10
    ).raise_for_status()
    asset = connect(sandbox, "GET", "/assets?eq(status,active)&ordering(id)&limit=1").json()[0]
    created = datetime.fromisoformat(asset["events"]["created"]["at"])
    last = (created.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    body = {
        "name": "probe",
        "product": {"id": asset["product"]["id"]},
        "contract": {"id": asset["contract"]["id"]},
        "period": {"from": f"{created:%Y-%m}-01", "to": last.date().isoformat()},
    }
    probe = connect(sandbox, "POST", "/usage/files", json=body)
    assert probe.status_code == 201, probe.text
    schema, currency = probe.json()["schema"], probe.json()["currency"]
    mirror(asset, schema, currency)

    usage_import = import_usage(filename="usage.csv", content=csv_file(rows_for(asset, schema)))
    report = usage_import.reports.get()
    assert (usage_import.problems, report.invalid_rows, report.rows) == ([], 0, len(rows_for(asset, schema)))
    assert report.rows > 0
    content = report_workbook(report)

    body |= {"name": report.name, "external_id": report.external_id, "currency": report.currency}
    body["period"] = {"from": report.period_from.isoformat(), "to": report.period_to.isoformat()}
    created_file = connect(sandbox, "POST", "/usage/files", json=body)
    assert created_file.status_code == 201, created_file.text
    ident = created_file.json()["id"]
    files = {"usage_file": ("usage_file.xlsx", content)}
    uploaded = connect(sandbox, "POST", f"/usage/files/{ident}/upload", files=files)
    assert uploaded.status_code == 201, uploaded.text

    doc = wait_for(sandbox, ident, {"ready", "invalid"})
    assert doc["status"] == "ready", doc.get("error_detail")
    assert doc["external_id"] == report.external_id
    assert doc["records"]["valid"] == report.rows
    records = connect(sandbox, "GET", f"/usage/records?usagefile.id={ident}&limit=100").json()
    field = "usage" if schema == "qt" else "amount"
    assert {Decimal(str(r[field])) for r in records} == {
        Decimal("2.5") if schema == "qt" else Decimal("10.25")
    }
