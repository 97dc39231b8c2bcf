"""The usage actions through the outbox against the sandbox over real HTTP: each action
applied once upstream, the answer in the mirror and in our reports, Connect's refusals shown.

The mirror is filled from the sandbox's JSON by `usage.services.writeback`, the executors' own
write-back, which maps and stores rows as the streams do (test_usage_actions_mirror.py: a sync
after an action finds nothing to rewrite). The workbook comes from `tiny_workbook` below (only
the outbox is under test here, not usage.workbook)."""

from __future__ import annotations

import io
import time
from datetime import date
from decimal import Decimal

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from openpyxl import Workbook

from channelhub.actions.sender import send_action
from channelhub.models import ActionStatus, AuditEvent, UpstreamAction
from channelhub.services import ServiceError
from tests.usage.factories import UsageImportFactory
from usage import services
from usage.choices import ReportStatus
from usage.models import UsageFile, UsageRecord, UsageReport
from usage.services import writeback

pytestmark = pytest.mark.django_db

HEADERS = {"Authorization": "ApiKey SU-000-000-000:sandbox"}
COLUMNS = (
    "record_id", "record_note", "item_search_criteria", "item_search_value", "asset_search_criteria",
    "asset_search_value", "start_time_utc", "end_time_utc", "category_id", "quantity", "amount", "tier",
)  # fmt: skip


def tiny_workbook(report) -> bytes:
    """The official template's `records` sheet for a report's rows (test-only stand-in for
    usage.workbook.report_workbook)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "records"
    sheet.append(COLUMNS)
    for row in report.report_rows.order_by("row_number"):
        sheet.append(
            [
                row.record_id, row.record_note, row.item_search_criteria, row.item_search_value,
                row.asset_search_criteria, row.asset_search_value,
                row.start_time.strftime("%Y-%m-%d %H:%M:%S"), row.end_time.strftime("%Y-%m-%d %H:%M:%S"),
                row.category_id or None,
                str(row.quantity) if row.quantity is not None else None,
                str(row.amount) if row.amount is not None else None,
                row.tier,
            ]
        )  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- the sandbox, read over HTTP ------------------------------------------------------------


def get(sandbox, path: str):
    response = requests.get(f"{sandbox.connect_url}{path}", headers=HEADERS, timeout=30)
    response.raise_for_status()
    return response.json()


def post(sandbox, path: str, body):
    return requests.post(f"{sandbox.connect_url}{path}", json=body, headers=HEADERS, timeout=30)


def control(sandbox, method: str, what: str, body=None):
    response = requests.request(method, f"{sandbox.url}/_sandbox/{what}", json=body, timeout=30)
    response.raise_for_status()
    return response.json() if response.content else None


def mirror_file(sandbox, file_id: str) -> UsageFile:
    """The file and its records into the mirror, as the sync would (the executors' write-back)."""
    doc = get(sandbox, f"/usage/files/{file_id}")
    usage_file = writeback.write_file(doc)
    for record in get(sandbox, f"/usage/records?eq(usage_file,{file_id})&limit=1000"):
        writeback.write_record(record)
    return UsageFile.objects.get(pk=usage_file.pk)


def files_with(sandbox, status: str) -> list[dict]:
    return get(sandbox, f"/usage/files?eq(status,{status})&ordering(id)&limit=100")


def settled(sandbox, file_id: str, *, seconds: float = 10.0) -> dict:
    """The file once Connect's system steps are done (uploading → processing → ready | invalid)."""
    deadline = time.monotonic() + seconds
    while True:
        doc = get(sandbox, f"/usage/files/{file_id}")
        if doc["status"] not in ("uploading", "uploaded", "processing") or time.monotonic() > deadline:
            return doc
        time.sleep(0.05)


def logged_creates(sandbox, *, seconds: float = 10.0) -> list[dict]:
    """The create POSTs in the sandbox's log, once the first is there (a request held by a
    `timeout` fault is logged when its answer is finally sent)."""
    deadline = time.monotonic() + seconds
    while True:
        log = control(sandbox, "GET", "log?limit=10000")
        creates = [e for e in log if e["method"] == "POST" and e["path"].rstrip("/").endswith("/usage/files")]
        if creates or time.monotonic() > deadline:
            return sorted(creates, key=lambda e: e["time"])
        time.sleep(0.1)


def drain():
    for _ in range(10):
        due = UpstreamAction.objects.filter(status=ActionStatus.QUEUED).values_list("pk", flat=True)
        for pk in list(due):
            send_action(pk)
        if not UpstreamAction.objects.filter(status__in=ActionStatus.OPEN_STATES).exists():
            return
    raise AssertionError("actions still open after draining")


def sent(action) -> UpstreamAction:
    done = send_action(action.pk)
    assert done is not None and done.status == ActionStatus.SUCCEEDED, done and done.last_error
    return done


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def usage_sandbox(connect_settings, settings, monkeypatch):
    settings.ACTION_RETRY_BACKOFF = 0
    control(connect_settings, "POST", "usage", {"processing_seconds": 0})
    monkeypatch.setattr("usage.executors.report_workbook_bytes", tiny_workbook)
    return connect_settings


def make_user(role: str):
    u = get_user_model().objects.create_user(username=f"{role}-u", password="x" * 12, is_staff=True)
    u.groups.add(Group.objects.get(name=role))
    return get_user_model().objects.get(pk=u.pk)


@pytest.fixture
def supervisor(db):
    return make_user("supervisor")


def report_like(sandbox, source: dict, *, external_id: str, bad_mpn: bool = False) -> UsageReport:
    """A valid report of the source file's product, contract and period, its rows the source's
    records (so the sandbox's checks of items, assets and times pass)."""
    records = get(sandbox, f"/usage/records?eq(usage_file,{source['id']})&limit=1000")
    assert records, f"{source['id']} has no records"
    report = UsageReport.objects.create(
        usage_import=UsageImportFactory(),
        contract_id=source["contract"]["id"],
        product_id=source["product"]["id"],
        period_from=date.fromisoformat(source["period"]["from"]),
        period_to=date.fromisoformat(source["period"]["to"]),
        schema=source["schema"],
        currency=source["currency"],
        name=f"{source['name']} (ours)",
        external_id=external_id,
        status=ReportStatus.VALID,
        rows=len(records),
    )
    for n, record in enumerate(records, start=2):
        report.report_rows.create(
            row_number=n,
            record_id=f"ours-{n}",
            item_search_criteria="item.mpn",
            item_search_value="NO-SUCH-MPN" if bad_mpn and n == 2 else record["item"]["mpn"],
            asset_search_criteria="asset.id",
            asset_search_value=record["asset"]["id"],
            start_time=parse_datetime(record["start_date"]),
            end_time=parse_datetime(record["end_date"]),
            quantity=Decimal(str(record["usage"])),
            amount=Decimal(str(record["amount"])) if record.get("amount") is not None else None,
            tier=record.get("tier"),
            category_id=(record.get("category") or {}).get("id", "") if record.get("category") else "",
        )
    return report


# --- create + upload ------------------------------------------------------------------------


def test_send_report_creates_uploads_and_comes_back_ready(usage_sandbox, supervisor):
    source = files_with(usage_sandbox, "ready")[0]
    report = report_like(usage_sandbox, source, external_id="ours ready 1")
    action = sent(services.send_report(report, user=supervisor))
    found = get(usage_sandbox, "/usage/files?eq(external_id,%22ours%20ready%201%22)")
    assert len(found) == 1
    report.refresh_from_db()
    assert (report.status, report.usage_file_id) == (ReportStatus.SENT, found[0]["id"])
    assert action.response["_report"] == {"id": report.pk} and action.response["id"] == found[0]["id"]
    assert settled(usage_sandbox, found[0]["id"])["status"] == "ready"
    mirrored = UsageFile.objects.get(pk=found[0]["id"])
    assert mirrored.external_id == "ours ready 1" and mirrored.product_id == source["product"]["id"]
    assert AuditEvent.objects.filter(action="connect.usage_file.create.succeeded").count() == 1


def test_an_invalid_workbook_comes_back_invalid_with_the_reasons(usage_sandbox, supervisor):
    source = files_with(usage_sandbox, "ready")[0]
    report = report_like(usage_sandbox, source, external_id="ours invalid 1", bad_mpn=True)
    action = sent(services.send_report(report, user=supervisor))
    doc = settled(usage_sandbox, action.response["id"])
    assert doc["status"] == "invalid" and "NO-SUCH-MPN" in doc["error_details"]


@pytest.mark.parametrize("faults", [["timeout"], ["reset"], ["503", "timeout"]])
def test_a_lost_create_answer_makes_one_file(usage_sandbox, supervisor, settings, faults):
    settings.UPSTREAM_MAX_RETRIES = 0  # every fault reaches the outbox's own retry
    source = files_with(usage_sandbox, "ready")[0]
    report = report_like(usage_sandbox, source, external_id="ours lost 1")
    control(usage_sandbox, "DELETE", "log")
    control(usage_sandbox, "POST", "faults", {"next": faults, "path": "/usage/files/$", "timeout_seconds": 3})
    action = services.send_report(report, user=supervisor)
    drain()
    action.refresh_from_db()
    assert action.status == ActionStatus.SUCCEEDED, action.last_error
    found = get(usage_sandbox, "/usage/files?eq(external_id,%22ours%20lost%201%22)")
    assert len(found) == 1, "a second file was created"
    uploads = [
        e for e in control(usage_sandbox, "GET", "log?limit=10000")
        if e["method"] == "POST" and e["path"].endswith("/upload") and e["status"] and e["status"] < 400
    ]  # fmt: skip
    assert len(uploads) == 1
    creates = logged_creates(usage_sandbox)
    assert creates[0]["fault"] == faults[0]  # the fault hit the create itself
    if "timeout" in faults:
        # the create that timed out had made the file: found by external_id, not made again
        assert [e["fault"] for e in creates] == [f for f in faults if f != "reset"][: len(creates)]
    report.refresh_from_db()
    assert (report.status, report.usage_file_id) == (ReportStatus.SENT, found[0]["id"])


def test_a_refused_create_marks_the_report_failed(usage_sandbox, supervisor):
    source = files_with(usage_sandbox, "ready")[0]
    report = report_like(usage_sandbox, source, external_id="ours refused 1")
    report.contract_id = "CRD-00000-00000-00000"  # no such contract upstream
    report.save()
    done = send_action(services.send_report(report, user=supervisor).pk)
    assert done.status == ActionStatus.FAILED and done.attempts == 1
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED and report.last_error == done.last_error


# --- the whole provider round -----------------------------------------------------------------


def test_reject_reupload_submit_accept_close_records_close(usage_sandbox, supervisor):
    pending = files_with(usage_sandbox, "pending")[0]
    usage_file = mirror_file(usage_sandbox, pending["id"])
    sent(services.usage_file_reject(usage_file=usage_file, note="item 2 is wrong", actor=supervisor))
    usage_file.refresh_from_db()
    assert (usage_file.status, usage_file.rejection_note) == ("rejected", "item 2 is wrong")

    report = report_like(usage_sandbox, pending, external_id="ours fixed 1")
    action = sent(services.usage_file_reupload(usage_file=usage_file, report=report, actor=supervisor))
    assert action.response["status"] in ("uploading", "processing", "ready")
    report.refresh_from_db()
    assert (report.status, report.usage_file_id) == (ReportStatus.SENT, usage_file.pk)
    assert settled(usage_sandbox, usage_file.pk)["status"] == "ready"

    usage_file = mirror_file(usage_sandbox, usage_file.pk)
    sent(services.usage_file_submit(usage_file=usage_file, actor=supervisor))
    sent(services.usage_file_accept(usage_file=usage_file, note="thanks", actor=supervisor))
    assert get(usage_sandbox, f"/usage/files/{usage_file.pk}")["acceptance_note"] == "thanks"

    usage_file = mirror_file(usage_sandbox, usage_file.pk)  # records are approved now
    with pytest.raises(ServiceError, match="without an external billing id"):
        services.usage_file_close(usage_file=usage_file, actor=supervisor)
    bulk = sent(
        services.usage_file_close_records(
            usage_file=usage_file, billing_id="INV-{n}", all_approved=True, actor=supervisor
        )
    )
    assert bulk.response["not_closed"] == 0 and bulk.response["closed"] == report.rows
    assert set(UsageRecord.objects.filter(usage_file=usage_file).values_list("status", flat=True)) == {
        "closed"
    }
    sent(services.usage_file_close(usage_file=usage_file, actor=supervisor))
    assert get(usage_sandbox, f"/usage/files/{usage_file.pk}")["status"] == "closed"
    assert UsageFile.objects.get(pk=usage_file.pk).status == "closed"


def test_bulk_close_with_partial_results(usage_sandbox, supervisor, client):
    accepted = files_with(usage_sandbox, "accepted")[0]
    usage_file = mirror_file(usage_sandbox, accepted["id"])
    approved = list(UsageRecord.objects.filter(usage_file=usage_file, status="approved").order_by("pk"))
    assert len(approved) >= 2
    # someone closed the first one in Connect itself; our mirror still says approved
    post(usage_sandbox, f"/usage/records/{approved[0].pk}/close", {"external_billing_id": "ELSEWHERE"})
    action = sent(
        services.usage_file_close_records(
            usage_file=usage_file, billing_id="INV-{record}", all_approved=True, actor=supervisor
        )
    )
    results = {r["id"]: r for r in action.response["results"]}
    assert not results[approved[0].pk]["closed"]
    assert "only approved records can be closed" in results[approved[0].pk]["error_details"][0]
    assert all(results[r.pk]["closed"] for r in approved[1:])
    assert action.response["not_closed"] == 1
    event = AuditEvent.objects.get(action="connect.usage_file.close_records.succeeded")
    assert event.after["not_closed"] == [approved[0].pk]
    assert (
        get(usage_sandbox, f"/usage/records/{approved[1].pk}")["external_billing_id"]
        == f"INV-{approved[1].pk}"
    )
    assert UsageRecord.objects.get(pk=approved[1].pk).status == "closed"
    # the one closed elsewhere is re-read too: the mirror says closed, with Connect's billing id
    assert UsageRecord.objects.get(pk=approved[0].pk).external_billing_id == "ELSEWHERE"
    # the file's page shows what closed and what did not, and Connect's reason
    client.force_login(supervisor)
    page = client.get(reverse("admin:usage_usagefile_change", args=[usage_file.pk])).content.decode()
    section = page[page.index('id="ch-bulk-close"') :]
    assert f"{len(approved) - 1} closed" in section and "1 not closed" in section
    assert approved[0].pk in section and "only approved records can be closed" in section


# --- every other action, and the refusals -----------------------------------------------------


def test_delete_reprocess_record_and_chunk_close(usage_sandbox, supervisor):
    draft = mirror_file(usage_sandbox, files_with(usage_sandbox, "draft")[0]["id"])
    sent(services.usage_file_delete(usage_file=draft, actor=supervisor))
    assert get(usage_sandbox, f"/usage/files/{draft.pk}")["status"] == "deleted"

    accepted = mirror_file(usage_sandbox, files_with(usage_sandbox, "accepted")[0]["id"])
    sent(services.usage_file_reprocess(usage_file=accepted, actor=supervisor))
    record = UsageRecord.objects.filter(usage_file=accepted, status="approved").first()
    done = sent(
        services.usage_record_close(record=record, billing_id="INV-77", note="March", actor=supervisor)
    )
    assert done.response["external_billing_id"] == "INV-77"
    assert UsageRecord.objects.get(pk=record.pk).status == "closed"

    chunk_doc = get(usage_sandbox, "/usage/chunks?eq(status,ready)&limit=1")[0]
    mirror_file(usage_sandbox, chunk_doc["usagefile"]["id"])
    chunk = writeback.write_chunk(chunk_doc)
    sent(services.usage_chunk_close(chunk=chunk, billing_id="HUB-INV-1", actor=supervisor))
    assert get(usage_sandbox, f"/usage/chunks/{chunk.pk}")["status"] == "closed"


def test_a_stale_mirror_is_refused_upstream_and_refreshed(usage_sandbox, supervisor):
    ready = mirror_file(usage_sandbox, files_with(usage_sandbox, "ready")[0]["id"])
    assert post(usage_sandbox, f"/usage/files/{ready.pk}/submit", {}).status_code == 200  # elsewhere
    done = send_action(services.usage_file_delete(usage_file=ready, actor=supervisor).pk)
    assert done.status == ActionStatus.FAILED and done.error_code == "UFL_001" and done.attempts == 1
    assert UsageFile.objects.get(pk=ready.pk).status == "pending"  # refreshed beside the reason
    with pytest.raises(ServiceError, match="is pending; 'delete' is only possible"):
        services.usage_file_delete(usage_file=UsageFile.objects.get(pk=ready.pk), actor=supervisor)


@pytest.mark.parametrize("faults", [["timeout"], ["500"]])
def test_file_actions_apply_once_under_faults(usage_sandbox, supervisor, settings, faults):
    settings.UPSTREAM_MAX_RETRIES = 0
    pending = mirror_file(usage_sandbox, files_with(usage_sandbox, "pending")[0]["id"])
    control(usage_sandbox, "DELETE", "log")
    control(usage_sandbox, "POST", "faults", {"next": faults, "path": "/accept$", "timeout_seconds": 3})
    action = services.usage_file_accept(usage_file=pending, note="ok", actor=supervisor)
    drain()
    action.refresh_from_db()
    assert action.status == ActionStatus.SUCCEEDED, action.last_error
    accepts = [e for e in control(usage_sandbox, "GET", "log?limit=10000") if e["path"].endswith("/accept")]
    assert [e for e in accepts if e["status"] == 400] == []  # no second accept after one that got through
    assert get(usage_sandbox, f"/usage/files/{pending.pk}")["status"] == "accepted"
