"""validate_report: a good row passes; each bad one is reported with its reason; a fixed row
passes on the next run; lookups are loaded once per report, whatever its size."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.usage.factories import CONTRACT, PRODUCT, ListingFactory, RecurringAssetFactory
from usage.choices import ReportStatus
from usage.models import UsageImport, UsageReport, UsageReportRow
from usage.validation import validate_report

pytestmark = pytest.mark.django_db

MARCH_START = datetime(2024, 3, 5, 10, 0, tzinfo=UTC)
MARCH_END = datetime(2024, 3, 5, 11, 0, tzinfo=UTC)


def make_report(rows: list[dict], *, schema="qt", contract=CONTRACT, product=PRODUCT) -> UsageReport:
    usage_import = UsageImport.objects.create(filename="test.xlsx")
    report = UsageReport.objects.create(
        usage_import=usage_import,
        contract_id=contract,
        product_id=product,
        period_from=date(2024, 3, 1),
        period_to=date(2024, 3, 31),
        schema=schema,
        currency="USD",
        name="01-03-2024 - 31-03-2024",
        external_id=f"{contract} {product} March 2024 {usage_import.pk}",
        status=ReportStatus.INVALID,
    )
    UsageReportRow.objects.bulk_create(
        UsageReportRow(report=report, row_number=n, **r) for n, r in enumerate(rows, 2)
    )
    return report


def good(asset_id: str, n: int = 1, **fields) -> dict:
    return {
        "record_id": f"rec-{n}",
        "item_search_criteria": "item.mpn",
        "item_search_value": "MPN-1",
        "asset_search_criteria": "asset.id",
        "asset_search_value": asset_id,
        "start_time": MARCH_START,
        "end_time": MARCH_END,
        "quantity": Decimal(5),
        **fields,
    }


@pytest.fixture
def asset():
    ListingFactory(usage_schema="qt")
    return RecurringAssetFactory(ppu=True)


def errors_of(report) -> list[list[str]]:
    return [row.errors for row in report.report_rows.order_by("row_number")]


def test_a_good_row_passes(asset):
    report = make_report([good(asset.id)])
    assert validate_report(report) == 0
    report.refresh_from_db()
    assert (report.status, report.rows, report.invalid_rows) == (ReportStatus.VALID, 1, 0)
    assert errors_of(report) == [[]]


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"item_search_value": "NOPE"}, "no item with item.mpn 'NOPE' on asset {asset} or product PRD-100-200-300"),
        ({"item_search_criteria": "item.name"}, "item_search_criteria 'item.name' is not one of item.mpn, item.global_id, item.local_id"),
        ({"item_search_value": ""}, "item_search_value is missing"),
        ({"asset_search_value": "AS-0000-0000-0000"}, "no recurring asset AS-0000-0000-0000 is known"),
        ({"asset_search_criteria": "asset.uid"}, "asset_search_criteria 'asset.uid' is not asset.id or parameter.<parameter id>"),
        ({"asset_search_criteria": "parameter.subscription_id", "asset_search_value": "SUB-NONE"},
         "no asset of product PRD-100-200-300 has parameter subscription_id = 'SUB-NONE'"),
        ({"asset_search_criteria": ""}, "asset_search_criteria is missing"),
        ({"record_id": ""}, "record_id is missing"),
        ({"record_note": "<b>bold</b>"}, "record_note has characters Connect refuses (only plain ASCII text, no HTML)"),
        ({"record_id": "rec-é"}, "record_id has characters Connect refuses (only plain ASCII text, no HTML)"),
        ({"quantity": None}, "quantity is required for QT (quantity) usage"),
        ({"tier": 3}, "tier must be 0, 1 or 2, not 3"),
        ({"start_time": None}, "start_time_utc is missing"),
        ({"end_time": None}, "end_time_utc is missing"),
        ({"end_time": MARCH_START}, "end_time_utc 2024-03-05 10:00:00 is not after start_time_utc 2024-03-05 10:00:00"),
        ({"start_time": datetime(2024, 2, 29, 23, 0, tzinfo=UTC)}, "start_time_utc 2024-02-29 23:00:00 is before the period starts (2024-03-01)"),
        ({"end_time": datetime(2024, 4, 1, 0, 0, 1, tzinfo=UTC)}, "end_time_utc 2024-04-01 00:00:01 is after the period ends (2024-03-31)"),
    ],
)  # fmt: skip
def test_each_bad_row_is_reported_with_its_reason(asset, fields, reason):
    report = make_report([good(asset.id, 1), good(asset.id, 2, **fields)])
    assert validate_report(report) == 1
    report.refresh_from_db()
    assert (report.status, report.invalid_rows) == (ReportStatus.INVALID, 1)
    assert errors_of(report) == [[], [reason.format(asset=asset.id)]]


def test_an_end_on_the_periods_last_second_is_inside(asset):
    report = make_report([good(asset.id, end_time=datetime(2024, 4, 1, tzinfo=UTC))])
    assert validate_report(report) == 0


def test_the_asset_is_found_by_a_parameter_and_must_be_unique(asset):
    report = make_report(
        [
            good(
                asset.id,
                asset_search_criteria="parameter.subscription_id",
                asset_search_value=f"SUB-{asset.id}",
            )
        ]
    )
    assert validate_report(report) == 0

    # Older than `asset`: the lookups read assets newest first, and the message names them so.
    twin = RecurringAssetFactory(
        ppu=True,
        created=asset.created - timedelta(days=1),
        params=[{"id": "subscription_id", "value": f"SUB-{asset.id}"}],
    )
    assert validate_report(report) == 1
    (errors,) = errors_of(report)
    assert errors == [
        f"2 assets have parameter subscription_id = 'SUB-{asset.id}' ({asset.id}, {twin.id}): the search must find one"
    ]


@pytest.mark.parametrize(
    ("asset_fields", "reason"),
    [
        ({"product_id": "PRD-OTHER"}, "asset {asset} is of product PRD-OTHER, not PRD-100-200-300"),
        ({"contract_id": "CRD-OTHER"}, "asset {asset} is under contract CRD-OTHER, not " + CONTRACT),
        ({"created": datetime(2024, 4, 1, tzinfo=UTC)}, "asset {asset} was created on 2024-04-01, after the period ends"),
        ({"status": "terminated", "updated": datetime(2024, 2, 20, tzinfo=UTC)},
         "asset {asset} was terminated on 2024-02-20, before the period starts"),
        ({"status": "draft"}, "asset {asset} is still a draft: it was never active"),
    ],
)  # fmt: skip
def test_the_asset_must_be_the_reports_and_active_in_the_period(asset_fields, reason):
    ListingFactory()
    RecurringAssetFactory(ppu=True)  # the product's items are known from another asset
    other = RecurringAssetFactory(ppu=True, **asset_fields)
    report = make_report([good(other.id)])
    assert validate_report(report) == 1
    assert errors_of(report) == [[reason.format(asset=other.id)]]


def test_an_asset_terminated_during_the_period_may_report(asset):
    ended = RecurringAssetFactory(ppu=True, status="terminated", updated=datetime(2024, 3, 20, tzinfo=UTC))
    assert validate_report(make_report([good(ended.id)])) == 0


@pytest.mark.parametrize(
    ("schema", "fields", "reasons"),
    [
        ("pr", {"quantity": None}, ["amount is required for PR (pay-per-use amount) usage"]),
        ("pr", {"amount": Decimal("9.99")}, []),
        ("cr", {"amount": Decimal(1)}, ["category_id is required for CR (category rated) usage"]),
        ("cr", {"category_id": "storage"}, ["amount is required for CR (category rated) usage"]),
        ("cr", {"category_id": "storage", "amount": Decimal(1)}, []),
        ("tr", {"amount": Decimal(1)}, ["tier is required for TR (tiered) usage"]),
        ("tr", {"amount": Decimal(1), "tier": 0}, []),
        ("tr", {"amount": Decimal(1), "tier": 2}, []),
        ("qt", {"quantity": Decimal("0.00000001")}, []),
    ],
)
def test_required_cells_by_schema(asset, schema, fields, reasons):
    report = make_report([good(asset.id, quantity=None) | fields], schema=schema)
    validate_report(report)
    assert errors_of(report) == [reasons]


def test_duplicate_record_ids_are_reported_on_each_row(asset):
    report = make_report([good(asset.id, 1), good(asset.id, 2), good(asset.id, 1)])
    assert validate_report(report) == 2
    reason = "record_id rec-1 is used by 2 rows of this report (rows 2, 4)"
    assert errors_of(report) == [[reason], [], [reason]]


def test_the_product_must_be_listed_under_the_contract_with_a_schema():
    RecurringAssetFactory(ppu=True, asset_id="AS-1", contract_id="CRD-LONE")
    report = make_report([good("AS-1")], contract="CRD-LONE")
    assert validate_report(report) == 1
    assert errors_of(report) == [[f"product {PRODUCT} is not listed under contract CRD-LONE (no listing)"]]

    ListingFactory(contract_id="CRD-LONE", usage_schema="")
    report = make_report([good("AS-1")], contract="CRD-LONE", schema="")
    validate_report(report)
    assert errors_of(report) == [[f"product {PRODUCT} reports no usage (its listing has no usage schema)"]]


def test_a_fixed_row_passes_on_the_next_run_and_file_errors_last_until_then(asset):
    unread = "quantity in the file ('a lot') is not a number"
    report = make_report(
        [good(asset.id, quantity=None, errors=[unread]), good(asset.id, 2, item_search_value="X")]
    )
    assert validate_report(report) == 2
    assert errors_of(report)[0] == [unread]  # not also "quantity is required": the file said why
    assert report.usage_import.invalid_rows == 2

    report.report_rows.filter(row_number=2).update(quantity=Decimal(3))
    report.report_rows.filter(row_number=3).update(item_search_value="MPN-2")
    assert validate_report(report) == 0
    report.refresh_from_db()
    report.usage_import.refresh_from_db()
    assert errors_of(report) == [[], []]
    assert (report.status, report.usage_import.invalid_rows) == (ReportStatus.VALID, 0)


def test_a_sent_report_keeps_its_status(asset):
    report = make_report([good(asset.id, item_search_value="X")])
    report.status = ReportStatus.SENT
    report.save()
    assert validate_report(report) == 1
    report.refresh_from_db()
    assert (report.status, report.invalid_rows) == (ReportStatus.SENT, 1)


def test_queries_do_not_grow_with_the_rows(asset, django_assert_max_num_queries):
    small = make_report([good(asset.id, n) for n in range(5)])
    with CaptureQueriesContext(connection) as few:
        validate_report(small)
    large = make_report(
        [
            good(asset.id, n, asset_search_value=f"AS-MISSING-{n % 700}" if n % 2 else asset.id)
            for n in range(3000)
        ]
    )
    # One query per 500 asset ids not of the product (700 here: 2) and one bulk update per few
    # hundred rows of scattered errors (1500 here; SQLite binds 999 values a statement: 5);
    # nothing per row.
    with django_assert_max_num_queries(len(few) + 2 + 5):
        assert validate_report(large) == 1500
    assert large.report_rows.get(row_number=3).errors == ["no recurring asset AS-MISSING-1 is known"]
