"""Our own rows (imports, reports, their rows: plain model factories) and the staff files
they are imported from (`record`, `xlsx_file`, `csv_file`)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import factory
import openpyxl
from factory.django import DjangoModelFactory

from usage.choices import ReportStatus
from usage.models import UsageImport, UsageReport, UsageReportRow
from usage.workbook import RECORD_COLUMNS

from .base import CONTRACT, PERIOD_FROM, PERIOD_TO, PRODUCT


class UsageImportFactory(DjangoModelFactory):
    """One upload of usage rows by staff."""

    class Meta:
        model = UsageImport

    filename = factory.Sequence(lambda n: f"usage-{n}.xlsx")
    rows = 0
    invalid_rows = 0


class UsageReportFactory(DjangoModelFactory):
    """The rows of one (contract, product, period), valid and not sent yet."""

    class Meta:
        model = UsageReport

    usage_import = factory.SubFactory(UsageImportFactory)
    contract_id = CONTRACT
    product_id = PRODUCT
    period_from = PERIOD_FROM
    period_to = PERIOD_TO
    schema = "qt"
    currency = "USD"
    name = factory.LazyAttribute(lambda o: f"{o.period_from:%d-%m-%Y} - {o.period_to:%d-%m-%Y}")
    external_id = factory.Sequence(lambda n: f"{CONTRACT} {PRODUCT} 2024-02 #{n}")
    status = ReportStatus.VALID
    rows = 0


class UsageReportRowFactory(DjangoModelFactory):
    """One imported record of a report (valid unless `errors` is given)."""

    class Meta:
        model = UsageReportRow

    report = factory.SubFactory(UsageReportFactory)
    row_number = factory.Sequence(lambda n: n + 2)
    record_id = factory.Sequence(lambda n: f"rec-{n}")
    item_search_criteria = "item.mpn"
    item_search_value = "STORAGE-GB"
    asset_search_criteria = "asset.id"
    asset_search_value = "AS-1000-1000-0001"
    start_time = datetime(2024, 2, 1, tzinfo=UTC)
    end_time = datetime(2024, 2, 2, tzinfo=UTC)
    quantity = Decimal("12.5")
    amount = None
    errors = factory.LazyFunction(list)


# --- staff files -----------------------------------------------------------------------------

# The official template's columns, in its order (pinned by tests/usage/test_usage_workbook.py).
TEMPLATE_COLUMNS = list(RECORD_COLUMNS)


def record(asset_id: str, n: int = 1, **cells) -> dict:
    """A good QT record of March 2024 for `asset_id` (item MPN-1 of a `ppu` asset), as staff
    write it."""
    return {
        "record_id": f"rec-{n}",
        "record_note": "",
        "item_search_criteria": "item.mpn",
        "item_search_value": "MPN-1",
        "asset_search_criteria": "asset.id",
        "asset_search_value": asset_id,
        "start_time_utc": "2024-03-05 10:00:00",
        "end_time_utc": "2024-03-05 11:00:00",
        "category_id": "",
        "quantity": "5",
        "amount": "",
        "tier": "",
        **cells,
    }


def xlsx_file(
    records: list[dict], *, columns=None, sheet: str = "records", extra_sheets=("instructions",)
) -> bytes:
    """A staff workbook written with plain openpyxl: other sheets first, then `sheet`."""
    workbook = openpyxl.Workbook()
    workbook.active.title = extra_sheets[0] if extra_sheets else sheet
    for name in extra_sheets[1:]:
        workbook.create_sheet(name)
    target = workbook.create_sheet(sheet) if extra_sheets else workbook.active
    columns = list(columns or TEMPLATE_COLUMNS)
    target.append(columns)
    for rec in records:
        target.append([None if rec.get(c) in (None, "") else rec.get(c) for c in columns])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_file(records: list[dict], *, columns=None) -> bytes:
    """The same as CSV text."""
    columns = list(columns or TEMPLATE_COLUMNS)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for rec in records:
        writer.writerow(["" if rec.get(c) is None else rec.get(c) for c in columns])
    return out.getvalue().encode()
