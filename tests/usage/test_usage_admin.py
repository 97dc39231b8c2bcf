"""The usage back office through the Django test client: every page renders for the readonly,
support and supervisor roles; the queues filter and order right; a file's page shows its
records paged, searchable and never counted in full; an asset's billing periods line up with
its usage; upstream text is escaped; mirrors stay read-only."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.usage.factories import (
    BASE_TIME,
    BillingRequestFactory,
    ListingFactory,
    RecurringAssetFactory,
    UsageChunkFactory,
    UsageFileFactory,
    UsageImportFactory,
    UsageRecordFactory,
    UsageReportFactory,
    UsageReportRowFactory,
)
from usage.models import UsageFile, UsageRecord

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _changelist(model) -> str:
    return reverse(f"admin:usage_{model._meta.model_name}_changelist")


def _change(obj) -> str:
    return reverse(f"admin:usage_{obj._meta.model_name}_change", args=[obj.pk])


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _assert_no_xss(html: str) -> None:
    assert SCRIPT not in html
    assert not re.search(r"<img\b[^>]*\bonerror", html, re.IGNORECASE)


@pytest.fixture
def world(db):
    """One of every usage row, linked, with hostile upstream text in the notes."""
    usage_file = UsageFileFactory(file_id="UF-2024-02-0000-0001", name=f"Feb {SCRIPT}", status="ready")
    record = UsageRecordFactory(usage_file=usage_file, asset_id="AS-1000-0000-0001", item_name=SCRIPT)
    chunk = UsageChunkFactory(usage_file=usage_file, hub_name=SCRIPT)
    listing = ListingFactory(product_name=SCRIPT)
    asset = RecurringAssetFactory(asset_id="AS-1000-0000-0001", customer_name=SCRIPT)
    billing_request = BillingRequestFactory(asset=asset, vendor_attributes={"note": SCRIPT})
    report = UsageReportFactory(name=SCRIPT, status="invalid", rows=2, invalid_rows=1)
    row = UsageReportRowFactory(report=report, errors=[f"asset {SCRIPT} not found"])
    return {
        "file": usage_file,
        "record": record,
        "chunk": chunk,
        "listing": listing,
        "asset": asset,
        "billing_request": billing_request,
        "import": report.usage_import,
        "report": report,
        "row": row,
    }


KEYS = ["file", "record", "chunk", "listing", "asset", "billing_request", "import", "report", "row"]


@pytest.mark.parametrize("role", ["readonly", "support", "supervisor"])
@pytest.mark.parametrize("key", KEYS)
def test_every_page_renders_for_every_role(as_role, world, role, key):
    client = as_role(role)
    obj = world[key]
    html = _html(client.get(_changelist(type(obj))))
    assert str(obj.pk) in html
    html = _html(client.get(_change(obj)))
    assert str(obj.pk) in html or str(obj) in html
    _assert_no_xss(html)


def test_hostile_upstream_text_comes_out_escaped(as_role, world):
    client = as_role("support")
    world["file"].error_details = f"row 2: {SCRIPT}"
    world["file"].rejection_note = f"wrong {SCRIPT}"
    world["file"].save()
    for obj in (world["file"], world["record"], world["chunk"], world["asset"], world["report"]):
        html = _html(client.get(_change(obj)))
        assert ESCAPED in html, obj
        _assert_no_xss(html)


def test_mirrors_are_read_only(as_role, world):
    client = as_role("supervisor")
    assert client.get(reverse("admin:usage_usagefile_add")).status_code == 403
    html = _html(client.get(_change(world["file"])))
    assert 'name="_save"' not in html
    assert client.post(reverse("admin:usage_usagefile_delete", args=[world["file"].pk])).status_code == 403
    assert UsageFile.objects.filter(pk=world["file"].pk).exists()


def test_anonymous_and_non_staff_are_sent_to_login(client, world):
    response = client.get(_change(world["file"]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_staff_without_the_view_permission_is_refused(client, staff_user, world):
    client.force_login(staff_user("nobody"))
    assert client.get(_change(world["file"])).status_code == 403
    assert client.get(_changelist(UsageFile)).status_code == 403


# --- the queues ------------------------------------------------------------------------------


@pytest.fixture
def files_in_every_queue(db):
    return {
        "ready": UsageFileFactory(status="ready"),
        "pending_new": UsageFileFactory(status="pending", created_at=BASE_TIME + timedelta(days=3)),
        "pending_old": UsageFileFactory(status="pending", created_at=BASE_TIME - timedelta(days=3)),
        "invalid": UsageFileFactory(status="invalid", error_detail="Row 7: asset AS-9 not found"),
        "rejected": UsageFileFactory(status="rejected", rejection_note="Wrong usage for item 56"),
        "accepted": UsageFileFactory(status="accepted"),
    }


def _listed_ids(html: str) -> list[str]:
    return re.findall(r'<th class="field-id"><a href="[^"]*">(UF-[0-9-]+)</a>', html)


@pytest.mark.parametrize(
    ("queue", "expected"),
    [
        ("to_submit", ["ready"]),
        ("pending", ["pending_old", "pending_new"]),
        ("invalid", ["invalid"]),
        ("rejected", ["rejected"]),
    ],
)
def test_file_queues_filter_and_order(as_role, files_in_every_queue, queue, expected):
    html = _html(as_role("readonly").get(_changelist(UsageFile) + f"?queue={queue}"))
    assert _listed_ids(html) == [files_in_every_queue[key].pk for key in expected]


def test_invalid_and_rejected_queues_show_why(as_role, files_in_every_queue):
    client = as_role("readonly")
    assert "Row 7: asset AS-9 not found" in _html(client.get(_changelist(UsageFile) + "?queue=invalid"))
    assert "Wrong usage for item 56" in _html(client.get(_changelist(UsageFile) + "?queue=rejected"))


def test_report_queue_lists_reports_with_invalid_rows(as_role, db):
    bad = UsageReportFactory(status="invalid", invalid_rows=1)
    UsageReportFactory(status="valid", invalid_rows=0)
    html = _html(as_role("readonly").get(_changelist(bad) + "?queue=invalid"))
    assert re.findall(r'<th class="field-id"><a href="[^"]*">(\d+)</a>', html) == [str(bad.pk)]


def test_index_shows_the_usage_queues(as_role, db):
    html = _html(as_role("readonly").get(reverse("admin:index")))
    for label, query in [
        ("Usage files to submit (ready)", "queue=to_submit"),
        ("Usage files waiting for acceptance (oldest first)", "queue=pending"),
        ("Invalid usage files", "queue=invalid"),
        ("Rejected usage files", "queue=rejected"),
        ("Usage reports with invalid rows", "queue=invalid"),
    ]:
        assert label in html
        assert query in html


def test_file_search_by_ids(as_role, files_in_every_queue):
    target = files_in_every_queue["invalid"]
    client = as_role("readonly")
    assert _listed_ids(_html(client.get(_changelist(UsageFile) + f"?q={target.pk.lower()}"))) == [target.pk]
    # product id: every file is of the same product
    assert len(_listed_ids(_html(client.get(_changelist(UsageFile) + f"?q={target.product_id}")))) == 6


# --- the file page ---------------------------------------------------------------------------


@pytest.fixture
def big_file(db):
    usage_file = UsageFileFactory(status="ready", records_count=60)
    start = datetime(2024, 2, 1, tzinfo=UTC)
    records = [
        UsageRecordFactory.build(
            record_id=f"UR-2024-02-0000-{n:04d}-0001",
            usage_file=usage_file,
            asset_id=f"AS-{n % 3:04d}-0000-0009",
            item_mpn="MPN-B" if n == 17 else "MPN-A",
            start_date=start,
        )
        for n in range(60)
    ]
    UsageRecord.objects.bulk_create(records)
    return usage_file


def _record_ids(html: str) -> list[str]:
    return re.findall(r'<td><a href="/admin/usage/usagerecord/[^"]*">(UR-[0-9-]+)</a></td>', html)


def test_file_page_pages_its_records(as_role, big_file):
    client = as_role("readonly")
    first = _record_ids(_html(client.get(_change(big_file))))
    assert first == [f"UR-2024-02-0000-{n:04d}-0001" for n in range(50)]
    second = _html(client.get(_change(big_file) + "?records_page=2"))
    assert _record_ids(second) == [f"UR-2024-02-0000-{n:04d}-0001" for n in range(50, 60)]
    assert "60 records" in second


def test_file_page_searches_records_by_asset_and_item(as_role, big_file):
    client = as_role("readonly")
    by_asset = _record_ids(_html(client.get(_change(big_file) + "?records_q=as-0001-0000-0009")))
    assert by_asset == [f"UR-2024-02-0000-{n:04d}-0001" for n in range(60) if n % 3 == 1]
    by_item = _html(client.get(_change(big_file) + "?records_q=MPN-B"))
    assert _record_ids(by_item) == ["UR-2024-02-0000-0017-0001"]
    assert "1 record matching" in by_item
    none = _html(client.get(_change(big_file) + "?records_q=MPN-B&records_status=closed"))
    assert _record_ids(none) == [] and "No record of this file matches" in none


def test_file_page_never_counts_all_records(as_role, big_file):
    client = as_role("readonly")
    with CaptureQueriesContext(connection) as queries:
        _html(client.get(_change(big_file)))
    counts = [
        q["sql"]
        for q in queries.captured_queries
        if "COUNT(" in q["sql"].upper() and "usage_usagerecord" in q["sql"]
    ]
    assert counts, "the page counts its records (bounded)"
    for sql in counts:
        assert "LIMIT" in sql.upper(), sql


def test_file_page_shows_what_staff_need(as_role, db):
    usage_file = UsageFileFactory(
        status="invalid",
        error_detail="Row 3: quantity is required for the QT schema",
        records_invalid=2,
        period_to=date(2024, 3, 1),
        product_name="Google Apps",
        vendor_name="Symantec",
        categories=[{"id": "compute", "name": "Compute", "description": "CPU hours"}],
        events={"uploaded": {"at": "2024-03-01T10:00:00+00:00", "by": {"name": "vendor@example.com"}}},
    )
    report = UsageReportFactory(usage_file_id=usage_file.pk, status="sent")
    html = _html(as_role("support").get(_change(usage_file)))
    for text in (
        "2024-02-01 → 2024-03-01",
        "Google Apps",
        "CRD-00000-00000-00001",
        "France",
        "Symantec",
        "ABC Corp",
        "Quantity (QT)",
        "USD",
        "Row 3: quantity is required for the QT schema",
        "CPU hours",
        "2024-03-01T10:00:00+00:00",
        reverse("admin:usage_usagefile_workbook", args=[usage_file.pk, "uploaded"]),
        reverse("admin:usage_usagefile_workbook", args=[usage_file.pk, "processed"]),
        _change(report),
    ):
        assert text in html, text
    assert "Action progress" in html and "Audit trail" in html


# --- the asset page --------------------------------------------------------------------------


def test_asset_page_lines_up_billing_requests_and_usage(as_role, db):
    asset = RecurringAssetFactory(asset_id="AS-2000-0000-0001")
    feb = BillingRequestFactory(asset=asset, type="vendor")
    feb_provider = BillingRequestFactory(asset=asset, type="provider")
    march = BillingRequestFactory(asset=asset, period_from=date(2024, 3, 1), period_to=date(2024, 4, 1))
    feb_file = UsageFileFactory(name="February usage")
    UsageRecordFactory(usage_file=feb_file, asset_id=asset.pk)
    UsageRecordFactory(usage_file=feb_file, asset_id=asset.pk)
    UsageRecordFactory(usage_file=feb_file, asset_id="AS-OTHER")
    html = _html(as_role("readonly").get(_change(asset)))
    sections = re.findall(r'<section class="ch-period">(.*?)</section>', html, re.DOTALL)
    assert len(sections) == 2
    march_section, feb_section = sections
    assert "2024-03-01 → 2024-04-01" in march_section and march.pk in march_section
    assert "No usage records of this asset in this period" in march_section
    assert "2024-02-01 → 2024-03-01" in feb_section
    assert feb.pk in feb_section and feb_provider.pk in feb_section
    assert feb_file.pk in feb_section and "2 records" in feb_section


def test_billing_request_page_links_its_asset(as_role, db):
    billing_request = BillingRequestFactory(vendor_attributes={"external_id": "INV-77"})
    html = _html(as_role("readonly").get(_change(billing_request)))
    assert _change(billing_request.asset) in html
    assert "INV-77" in html
    assert "2024-02-01 → 2024-03-01" in html


def test_import_page_lists_reports_and_bad_rows(as_role, db):
    usage_import = UsageImportFactory(filename="feb.xlsx")
    report = UsageReportFactory(usage_import=usage_import, status="invalid", invalid_rows=1)
    UsageReportRowFactory(report=report, row_number=7, errors=["Asset AS-9 was not active in the period"])
    UsageReportRowFactory(report=report, row_number=8)
    html = _html(as_role("readonly").get(_change(usage_import)))
    assert "Asset AS-9 was not active in the period" in html
    assert html.count('class="ch-row-error"') == 1
    assert _change(report) in html
    assert "fix</a>" not in html  # readonly may not fix rows
    html = _html(as_role("support").get(_change(usage_import)))
    assert "fix</a>" in html
