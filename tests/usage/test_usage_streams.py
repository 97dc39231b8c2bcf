"""The usage streams against the sandbox over HTTP: every stream syncs; a change made through
the sandbox's routes is picked up by one incremental run; nothing is rewritten when nothing
changed; a file's status change is seen; records are pulled once per change, replaced on a
re-upload, resumed after a fault; Decimal values are exact."""

import json
from decimal import Decimal

import pytest
import requests

from channelhub.models import StreamState, SyncRunStatus
from channelhub.sync.engine import run_stream
from tests.channelhub.sync.helpers import control, sandbox_log
from tests.usage.sandbox.usage_workbooks import (
    BOTH,
    PROVIDER,
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
from usage.choices import FILE_STATUSES_WITH_RECORDS
from usage.models import BillingRequest, Listing, RecurringAsset, UsageChunk, UsageFile, UsageRecord
from usage.streams.records import file_state

ORDER = [
    "connect.listings",
    "connect.usage-files",
    "connect.usage-records",
    "connect.usage-chunks",
    "connect.subscription-assets",
    "connect.billing-requests",
]

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def usage(connect_settings):
    set_delay(connect_settings, 0)
    return connect_settings


def run(name, **kwargs):
    result = run_stream(name, **kwargs)
    assert result.status == SyncRunStatus.SUCCEEDED, result.error
    return result


def upstream(sandbox, path, query=""):
    """Every object of `path`, numbers exact (read independently of our client)."""
    out, offset = {}, 0
    while True:
        sep = "&" if query else ""
        response = requests.get(
            f"{sandbox.connect_url}{path}?{query}{sep}ordering(id)&limit=1000&offset={offset}",
            headers=BOTH,
            timeout=30,
        )
        response.raise_for_status()
        page = json.loads(response.content, parse_float=Decimal)
        out.update((o["id"], o) for o in page)
        offset += len(page)
        if len(page) < 1000:
            return out


def sync_all():
    return {name: run(name) for name in ORDER}


def test_every_stream_mirrors_its_collection(usage):
    sync_all()
    for path, model in (
        ("/listings", Listing),
        ("/usage/files", UsageFile),
        ("/usage/chunks", UsageChunk),
        ("/subscriptions/assets", RecurringAsset),
        ("/subscriptions/requests", BillingRequest),
    ):
        objects = upstream(usage, path)
        assert objects, f"{path}: the sandbox has nothing; the test proves nothing"
        assert set(model.objects.values_list("pk", flat=True)) == set(objects), path
    files = upstream(usage, "/usage/files")
    assert {f["status"] for f in files.values()} >= {"ready", "pending", "accepted", "closed", "draft"}
    with_records = [pk for pk, f in files.items() if f["status"] in FILE_STATUSES_WITH_RECORDS]
    records = upstream(usage, "/usage/records")
    expected = {pk for pk, r in records.items() if r["usagefile"]["id"] in with_records}
    assert expected
    assert set(UsageRecord.objects.values_list("pk", flat=True)) == expected
    # every file with records is marked pulled for its current state
    for usage_file in UsageFile.objects.filter(status__in=FILE_STATUSES_WITH_RECORDS):
        assert usage_file.records_pulled_for == file_state(usage_file)[0]
    # Decimal values are exact: the JSON text's digits, not a float's
    for record in UsageRecord.objects.all()[:200]:
        raw = records[record.pk]
        assert record.usage == raw["usage"] and isinstance(record.usage, Decimal)
        if raw.get("amount") is not None:
            assert record.amount == raw["amount"]
    listing = Listing.objects.exclude(usage_schema="").first()
    assert listing is not None and listing.currency


def test_nothing_is_rewritten_and_no_record_read_when_nothing_changed(usage):
    sync_all()
    control(usage, "DELETE", "log")
    again = sync_all()
    for name, result in again.items():
        assert (result.created, result.updated) == (0, 0), name
    assert again["connect.usage-records"].fetched == 0
    assert not [e for e in sandbox_log(usage) if "/usage/records" in e.get("path", "")]
    # the files stream re-read only the files that can still change, not the closed and deleted ones
    open_files = UsageFile.objects.exclude(status__in=["closed", "deleted"]).count()
    assert again["connect.usage-files"].unchanged >= open_files


def test_a_status_change_is_seen_and_its_records_pulled_once(usage):
    sync_all()
    ready = UsageFile.objects.filter(status="ready", records_valid__gt=0).order_by("pk").first()
    assert ready is not None
    assert action(usage, ready.pk, "submit", headers=VENDOR).json()["status"] == "pending"
    files = run("connect.usage-files")
    assert files.updated == 1
    ready.refresh_from_db()
    assert ready.status == "pending"
    records = run("connect.usage-records")
    assert records.fetched == ready.records_valid + ready.records_invalid
    assert run("connect.usage-records").fetched == 0  # pulled once per change
    mirrored = dict(UsageRecord.objects.filter(usage_file=ready).values_list("pk", "payload"))
    assert mirrored == {
        pk: json.loads(json.dumps(r, default=str))
        for pk, r in upstream(usage, "/usage/records", f"eq(usagefile.id,{ready.pk})").items()
    }


def test_a_new_file_is_picked_up_and_a_reupload_replaces_its_records(usage):
    sync_all()
    asset = active_asset(usage)
    doc = create_file(usage, asset)
    assert upload(usage, doc["id"], workbook(good_rows(usage, asset, 3))).status_code == 201
    assert run("connect.usage-files").created == 1
    run("connect.usage-records")
    first = set(UsageRecord.objects.filter(usage_file_id=doc["id"]).values_list("pk", flat=True))
    assert len(first) == 3
    # rejected upstream, re-uploaded with two rows: the three records are replaced by two new ones
    assert action(usage, doc["id"], "submit", headers=VENDOR).status_code == 200
    assert (
        action(usage, doc["id"], "reject", headers=PROVIDER, json={"rejection_note": "no"}).status_code == 200
    )
    assert upload(usage, doc["id"], workbook(good_rows(usage, asset, 2))).status_code == 201
    assert get_file(usage, doc["id"])["status"] == "ready"
    run("connect.usage-files")
    run("connect.usage-records")
    now = set(UsageRecord.objects.filter(usage_file_id=doc["id"]).values_list("pk", flat=True))
    assert now == set(upstream(usage, "/usage/records", f"eq(usagefile.id,{doc['id']})"))
    assert len(now) == 2


def test_a_fault_mid_pull_resumes_where_it_stopped(usage, settings):
    run("connect.usage-files")
    settings.UPSTREAM_MAX_RETRIES = 0

    def fail_after_three_pages(progress):
        if progress.run.pages == 3:  # the next records page answers 503: the run fails there
            control(usage, "POST", "faults", {"next": ["503"], "path": "/usage/records"})

    failed = run_stream("connect.usage-records", page_size=2, on_progress=fail_after_three_pages)
    control(usage, "DELETE", "faults")
    assert failed.status == SyncRunStatus.FAILED and failed.pages == 3
    kept = UsageRecord.objects.count()
    assert kept > 0
    cursor = StreamState.objects.get(stream="connect.usage-records").cursor
    assert cursor.get("file") and cursor.get("after")
    control(usage, "DELETE", "log")
    resumed = run("connect.usage-records", page_size=2)
    assert resumed.created == UsageRecord.objects.count() - kept  # nothing written twice
    files = upstream(usage, "/usage/files")
    with_records = {pk for pk, f in files.items() if f["status"] in FILE_STATUSES_WITH_RECORDS}
    records = upstream(usage, "/usage/records")
    assert set(UsageRecord.objects.values_list("pk", flat=True)) == {
        pk for pk, r in records.items() if r["usagefile"]["id"] in with_records
    }
    # the resumed run started where the failed one stopped (unless that file was finished)
    reads = [json.dumps(e) for e in sandbox_log(usage) if "/usage/records" in json.dumps(e)]
    assert reads
    if not cursor.get("done"):
        assert cursor["after"] in reads[0] or cursor["after"] in reads[-1]


def test_billing_changes_are_picked_up_incrementally(usage):
    run("connect.subscription-assets")
    run("connect.billing-requests")
    request = BillingRequest.objects.order_by("pk").first()
    assert request is not None
    response = requests.put(
        f"{usage.connect_url}/subscriptions/requests/{request.pk}/attributes",
        json={"vendor": {"invoice": "INV-42"}},
        headers=BOTH,
        timeout=10,
    )
    assert response.status_code == 200, response.text
    again = run("connect.billing-requests")
    assert again.updated == 1 and again.created == 0
    request.refresh_from_db()
    assert request.attributes["vendor"] == {"invoice": "INV-42"}
