"""Importing staff usage files: xlsx (`records` or `usage_records`, columns in any order) and
CSV, grouping per (contract, product, period), names and external ids, file problems."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from tests.usage.factories import (
    CONTRACT,
    PRODUCT,
    ListingFactory,
    RecurringAssetFactory,
    asset_item,
    csv_file,
    record,
    xlsx_file,
)
from tests.usage.sandbox.usage_workbooks import SDK as SDK_COLUMNS
from usage.choices import ReportStatus
from usage.importing import import_usage
from usage.models import UsageReportRow

pytestmark = pytest.mark.django_db


@pytest.fixture
def asset():
    ListingFactory(usage_schema="qt", currency="EUR")
    return RecurringAssetFactory(ppu=True)


def test_template_workbook_becomes_one_valid_report_of_the_assets_group(asset):
    rows = [record(asset.id, 1, quantity=Decimal("1.25")), record(asset.id, 2, quantity="0.10000001")]
    usage_import = import_usage(filename="march.xlsx", content=xlsx_file(rows))

    assert usage_import.problems == []
    assert (usage_import.rows, usage_import.invalid_rows) == (2, 0)
    (report,) = usage_import.reports.all()
    assert (report.contract_id, report.product_id) == (CONTRACT, PRODUCT)
    assert (report.period_from, report.period_to) == (date(2024, 3, 1), date(2024, 3, 31))
    assert report.name == "01-03-2024 - 31-03-2024"
    assert report.external_id == f"{CONTRACT} {PRODUCT} March 2024"
    assert (report.schema, report.currency) == ("qt", "EUR")
    assert (report.status, report.rows, report.invalid_rows) == (ReportStatus.VALID, 2, 0)
    first, second = report.report_rows.order_by("row_number")
    assert (first.row_number, first.record_id, first.quantity) == (2, "rec-1", Decimal("1.25"))
    assert second.quantity == Decimal("0.10000001")
    assert first.start_time == datetime.fromisoformat("2024-03-05T10:00:00+00:00")
    assert first.errors == []


def test_sdk_sheet_usage_records_with_its_column_order_and_extra_columns(asset):
    rows = [record(asset.id, 1, item_name="ignored", item_precision="decimal(2)")]
    content = xlsx_file(
        rows, columns=SDK_COLUMNS, sheet="usage_records", extra_sheets=("general", "categories")
    )
    usage_import = import_usage(filename="sdk.xlsx", content=content)

    assert usage_import.problems == []
    (row,) = UsageReportRow.objects.filter(report__usage_import=usage_import)
    assert (row.item_search_value, row.asset_search_value, row.quantity) == ("MPN-1", asset.id, Decimal(5))
    assert row.errors == []


def test_date_cells_of_a_workbook_are_taken_as_utc(asset):
    rows = [
        record(asset.id, start_time_utc=datetime(2024, 3, 2, 0, 0), end_time_utc=datetime(2024, 3, 2, 1, 0))
    ]
    usage_import = import_usage(filename="dates.xlsx", content=xlsx_file(rows))

    row = UsageReportRow.objects.get(report__usage_import=usage_import)
    assert row.start_time == datetime.fromisoformat("2024-03-02T00:00:00+00:00")
    assert usage_import.invalid_rows == 0


def test_csv_with_columns_in_another_order_and_the_group_columns(asset):
    ListingFactory(contract_id="CRD-2", product_id=PRODUCT)
    columns = ["asset_search_value", "quantity", "record_id", "contract_id", "product_id", "period_from"]
    columns += ["period_to", "end_time_utc", "start_time_utc", "item_search_value"]
    columns += ["asset_search_criteria", "item_search_criteria"]
    rec = record(
        asset.id, contract_id="CRD-2", product_id=PRODUCT, period_from="2024-03-01", period_to="2024-03-15"
    )
    usage_import = import_usage(filename="usage.csv", content=csv_file([rec], columns=columns))

    (report,) = usage_import.reports.all()
    assert (report.contract_id, report.period_from, report.period_to) == (
        "CRD-2",
        date(2024, 3, 1),
        date(2024, 3, 15),
    )
    assert report.name == "01-03-2024 - 15-03-2024"
    assert report.external_id == f"CRD-2 {PRODUCT} 01-03-2024 - 15-03-2024"
    # The asset is under CONTRACT, not the file's CRD-2: validation says so.
    (row,) = report.report_rows.all()
    assert row.errors == [f"asset {asset.id} is under contract {CONTRACT}, not CRD-2"]


def test_rows_are_grouped_per_contract_product_and_month():
    ListingFactory()
    ListingFactory(product_id="PRD-OTHER", usage_schema="pr")
    a = RecurringAssetFactory(ppu=True)
    b = RecurringAssetFactory(
        ppu=True, product_id="PRD-OTHER", params=[{"id": "subscription_id", "value": "SUB-B"}]
    )
    rows = [
        record(a.id, 1),
        record(a.id, 2, start_time_utc="2024-04-01 00:00:00", end_time_utc="2024-04-01 01:00:00"),
        record(b.id, 3, amount="9.99", quantity=""),
        record(
            "", 4, asset_search_criteria="parameter.subscription_id", asset_search_value="SUB-B", amount="1"
        ),
        record(a.id, 5),
        record("AS-NOT-KNOWN", 6),
    ]
    usage_import = import_usage(filename="mixed.xlsx", content=xlsx_file(rows))

    groups = {
        (r.contract_id, r.product_id, r.period_from.month): sorted(
            r.report_rows.values_list("record_id", flat=True)
        )
        for r in usage_import.reports.all()
    }
    assert groups == {
        (CONTRACT, PRODUCT, 3): ["rec-1", "rec-5"],
        (CONTRACT, PRODUCT, 4): ["rec-2"],
        (CONTRACT, "PRD-OTHER", 3): ["rec-3", "rec-4"],
        ("", "", 3): ["rec-6"],
    }
    assert usage_import.rows == 6
    assert usage_import.invalid_rows == 1  # the unknown asset, kept and said
    unknown = usage_import.reports.get(product_id="")
    assert unknown.external_id == "no-contract no-product March 2024"
    (row,) = unknown.report_rows.all()
    assert "no recurring asset AS-NOT-KNOWN is known" in row.errors
    assert unknown.status == ReportStatus.INVALID


def test_a_second_import_of_the_same_group_gets_a_revision(asset):
    content = xlsx_file([record(asset.id)])
    first = import_usage(filename="a.xlsx", content=content).reports.get()
    second = import_usage(filename="a.xlsx", content=content).reports.get()
    third = import_usage(filename="a.xlsx", content=content).reports.get()

    assert first.external_id == f"{CONTRACT} {PRODUCT} March 2024"
    assert second.external_id == f"{CONTRACT} {PRODUCT} March 2024 #2"
    assert third.external_id == f"{CONTRACT} {PRODUCT} March 2024 #3"


def test_missing_required_columns_import_nothing_and_say_so(asset):
    columns = [c for c in record(asset.id) if c not in ("start_time_utc", "asset_search_value")]
    usage_import = import_usage(
        filename="bad.xlsx", content=xlsx_file([record(asset.id)] * 3, columns=columns)
    )

    assert usage_import.reports.count() == 0
    assert usage_import.rows == 0
    assert usage_import.problems == [
        "the records sheet lacks the required columns asset_search_value, start_time_utc; "
        "none of its 3 rows were imported"
    ]


def test_an_unreadable_file_and_a_workbook_without_records_sheet_are_problems(asset):
    garbage = import_usage(filename="usage.xlsx", content=b"PK\x03\x04 not really a zip")
    assert garbage.reports.count() == 0
    assert garbage.problems[0].startswith("the file could not be read as an .xlsx workbook")

    other = import_usage(
        filename="x.xlsx", content=xlsx_file([record(asset.id)], sheet="data", extra_sheets=())
    )
    assert other.problems == ["the workbook has no sheet named records or usage_records (its sheets: data)"]

    binary = import_usage(filename="usage.csv", content=b"\xff\xfe\x00bad")
    assert binary.problems[0].startswith("the file is neither an .xlsx workbook nor UTF-8 CSV text")


def test_unreadable_cells_are_row_errors_until_the_field_is_fixed(asset):
    rows = [
        record(asset.id, 1, quantity="a lot"),
        record(asset.id, 2, start_time_utc="2024-03-05T10:00:00Z"),
        record(asset.id, 3, quantity="1.123456789"),
        record(asset.id, 4, tier="1.5"),
        record(asset.id, 5, quantity="1234567890.1234567"),
    ]
    usage_import = import_usage(filename="cells.csv", content=csv_file(rows))

    errors = dict(UsageReportRow.objects.values_list("record_id", "errors"))
    assert errors["rec-1"] == ["quantity in the file ('a lot') is not a number"]
    assert errors["rec-2"] == [
        "start_time_utc in the file ('2024-03-05T10:00:00Z') is not a UTC time written YYYY-MM-DD hh:mm:ss"
    ]
    assert errors["rec-3"] == ["quantity in the file ('1.123456789') has more than 8 decimal places"]
    assert errors["rec-4"] == ["tier in the file ('1.5') is not a whole number (a tier is 0, 1 or 2)"]
    assert errors["rec-5"] == [
        "quantity in the file ('1234567890.1234567') has more than 15 significant digits"
    ]
    assert usage_import.invalid_rows == 5


def test_bad_period_columns_are_import_problems_and_the_month_is_used(asset):
    rec = record(
        asset.id, contract_id=CONTRACT, product_id=PRODUCT, period_from="2024-03-31", period_to="2024-03-01"
    )
    columns = [*record(asset.id), "contract_id", "product_id", "period_from", "period_to"]
    usage_import = import_usage(filename="p.csv", content=csv_file([rec], columns=columns))

    assert usage_import.problems == [
        "row 2: period_to (2024-03-01) is before period_from (2024-03-31); it was grouped by the month of its start time"
    ]
    report = usage_import.reports.get()
    assert (report.period_from, report.period_to) == (date(2024, 3, 1), date(2024, 3, 31))


def test_unknown_columns_are_noted_and_empty_rows_skipped(asset):
    columns = [*record(asset.id), "colour"]
    content = csv_file(
        [record(asset.id, colour="red"), dict.fromkeys(columns, ""), record(asset.id, 2)], columns=columns
    )
    usage_import = import_usage(filename="c.csv", content=content)

    assert usage_import.problems == ["ignored columns that are not usage columns: colour"]
    assert list(UsageReportRow.objects.order_by("row_number").values_list("row_number", flat=True)) == [2, 4]


def test_items_found_by_global_and_local_id(asset):
    # The mapper keeps no `local_id` of an asset's items (Connect's subscription items have none
    # in spec v37), so the column is set here, as it was before the mapped factories, to test the
    # importer's `item.local_id` lookup itself.
    asset.items = [asset_item(1), asset_item(2)]
    asset.save(update_fields=["items"])
    item = asset_item(2)
    rows = [
        record(asset.id, 1, item_search_criteria="item.global_id", item_search_value=item["global_id"]),
        record(asset.id, 2, item_search_criteria="item.local_id", item_search_value=item["local_id"]),
    ]
    assert import_usage(filename="i.xlsx", content=xlsx_file(rows)).invalid_rows == 0


def test_item_local_id_is_the_id_of_a_synced_assets_item(asset):
    # A mirrored asset's items carry Connect's `id` (the product item's local id) and no
    # `local_id` of their own: `item.local_id` finds the item by that id.
    item = asset.items[0]
    assert item["id"] and "local_id" not in item
    rows = [record(asset.id, 1, item_search_criteria="item.local_id", item_search_value=item["id"])]
    assert import_usage(filename="l.xlsx", content=xlsx_file(rows)).invalid_rows == 0
