"""The usage selectors: queues, a file's records and their search, categories and events, an
asset's billing periods beside its usage, an import's bad rows, workbook names."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from tests.usage.factories import (
    BASE_TIME,
    BillingRequestFactory,
    RecurringAssetFactory,
    UsageFileFactory,
    UsageImportFactory,
    UsageRecordFactory,
    UsageReportFactory,
    UsageReportRowFactory,
)
from usage import selectors


@pytest.mark.django_db
def test_pending_queue_is_oldest_first_and_others_by_status():
    new = UsageFileFactory(status="pending", created_at=BASE_TIME + timedelta(days=1))
    old = UsageFileFactory(status="pending", created_at=BASE_TIME - timedelta(days=1))
    ready = UsageFileFactory(status="ready")
    assert list(selectors.usage_file_queue(queue="pending")) == [old, new]
    assert list(selectors.usage_file_queue(queue="to_submit")) == [ready]
    assert not selectors.usage_file_queue(queue="rejected").exists()
    with pytest.raises(ValueError, match="no usage file queue"):
        selectors.usage_file_queue(queue="everything")


@pytest.mark.django_db
def test_report_queue():
    bad = UsageReportFactory(status="invalid")
    UsageReportFactory(status="sent")
    assert list(selectors.usage_report_queue(queue="invalid")) == [bad]


@pytest.mark.django_db
def test_file_records_search_on_asset_item_and_status():
    usage_file = UsageFileFactory()
    a = UsageRecordFactory(
        usage_file=usage_file, asset_id="AS-1", asset_external_id="ext-1", item_mpn="MPN-A"
    )
    b = UsageRecordFactory(
        usage_file=usage_file,
        asset_id="AS-2",
        asset_external_id="ext-2",
        item_mpn="MPN-B",
        record_status="closed",
    )
    UsageRecordFactory(asset_id="AS-1")  # another file's
    assert list(selectors.file_records(usage_file=usage_file)) == sorted([a, b], key=lambda r: r.pk)
    assert list(selectors.file_records(usage_file=usage_file, search="as-1")) == [a]
    assert list(selectors.file_records(usage_file=usage_file, search="ext-1")) == [a]
    assert list(selectors.file_records(usage_file=usage_file, search=" MPN-B ")) == [b]
    assert list(selectors.file_records(usage_file=usage_file, status="closed")) == [b]
    assert list(selectors.file_records(usage_file=usage_file, search="MPN-A", status="closed")) == []


@pytest.mark.django_db
def test_categories_and_events_from_the_payload():
    usage_file = UsageFileFactory(
        categories=[{"id": "compute", "name": "Compute"}, "junk"],
        events={
            "submitted": {"at": "2024-03-02T00:00:00+00:00", "by": {"name": "v@example.com"}},
            "uploaded": {"at": "2024-03-01T00:00:00+00:00", "by": {"id": "UR-1"}},
            "accepted": {"at": None},
        },
    )
    assert selectors.file_categories(usage_file=usage_file) == [
        {"id": "compute", "name": "Compute", "description": ""}
    ]
    assert selectors.file_events(usage_file=usage_file) == [
        {"name": "uploaded", "at": "2024-03-01T00:00:00+00:00", "by": "UR-1"},
        {"name": "submitted", "at": "2024-03-02T00:00:00+00:00", "by": "v@example.com"},
    ]


@pytest.mark.django_db
def test_asset_billing_lines_up_requests_and_files_per_period():
    asset = RecurringAssetFactory(asset_id="AS-3000-0000-0001")
    feb_request = BillingRequestFactory(asset=asset)
    feb_file = UsageFileFactory(period_from=date(2024, 2, 1), period_to=date(2024, 3, 1))
    jan_file = UsageFileFactory(period_from=date(2024, 1, 1), period_to=date(2024, 2, 1))
    UsageRecordFactory(usage_file=feb_file, asset_id=asset.pk, usage=Decimal("1.25"))
    UsageRecordFactory(usage_file=feb_file, asset_id=asset.pk, usage=Decimal("2.5"))
    UsageRecordFactory(usage_file=jan_file, asset_id=asset.pk, usage=Decimal("4"))
    UsageRecordFactory(usage_file=feb_file, asset_id="AS-OTHER")
    feb, jan = selectors.asset_billing(asset=asset)
    assert (feb.period_from, feb.requests) == (date(2024, 2, 1), [feb_request])
    assert [(f.usage_file_id, f.records, f.usage) for f in feb.files] == [(feb_file.pk, 2, Decimal("3.75"))]
    # usage outside every requested period gets its own (the file's) period: nothing unseen
    assert (jan.period_from, jan.requests) == (date(2024, 1, 1), [])
    assert [(f.usage_file_id, f.records) for f in jan.files] == [(jan_file.pk, 1)]


@pytest.mark.django_db
def test_asset_records_newest_first():
    old = UsageRecordFactory(asset_id="AS-9", start_date=datetime(2024, 1, 1, tzinfo=UTC))
    new = UsageRecordFactory(asset_id="AS-9", start_date=datetime(2024, 2, 1, tzinfo=UTC))
    assert selectors.asset_records(asset_id="AS-9") == [new, old]


@pytest.mark.django_db
def test_import_reports_with_their_bad_rows_bounded():
    usage_import = UsageImportFactory()
    report = UsageReportFactory(usage_import=usage_import, status="invalid", invalid_rows=3)
    rows = [UsageReportRowFactory(report=report, row_number=n, errors=[f"bad {n % 2}"]) for n in (5, 3, 4)]
    UsageReportRowFactory(report=report, row_number=2)
    clean = UsageReportFactory(usage_import=usage_import, invalid_rows=0, contract_id="CRD-2")
    (first, second) = selectors.import_reports(usage_import=usage_import, limit=2)
    assert first.report == report and [r.row_number for r in first.bad_rows] == [3, 4] and first.more_bad_rows
    assert second.report == clean and second.bad_rows == [] and not second.more_bad_rows
    assert selectors.report_bad_rows(report=report) == sorted(rows, key=lambda r: r.row_number)
    assert selectors.report_rows_by_error(report=report) == {"bad 1": 2, "bad 0": 1}


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("https://s3.example/x/usage.xlsx?sig=1", "UF-1-uploaded-usage.xlsx"),
        ("https://s3.example/x/download?sig=1", "UF-1-uploaded.xlsx"),
        ("https://s3.example/x/..%2Fetc%2Fpasswd.xlsx", "UF-1-uploaded.xlsx"),
    ],
)
def test_workbook_filename_is_safe(uri, expected):
    assert selectors._workbook_filename("UF-1", "uploaded", uri) == expected


def test_unknown_workbook_kind():
    with pytest.raises(selectors.WorkbookUnavailable):
        selectors.file_workbook(usage_file_id="UF-1", kind="reconciliation")
