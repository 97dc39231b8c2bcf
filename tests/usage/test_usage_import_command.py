"""`manage.py usage_import FILE`: per-report output, the first bad rows and their reasons,
exit code 1 on any invalid row, --validate-only keeping nothing."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.usage.factories import (
    CONTRACT,
    PRODUCT,
    ListingFactory,
    RecurringAssetFactory,
    csv_file,
    record,
    xlsx_file,
)
from usage.models import UsageImport

pytestmark = pytest.mark.django_db


@pytest.fixture
def asset():
    ListingFactory()
    return RecurringAssetFactory(ppu=True)


def run(*args) -> str:
    out = StringIO()
    call_command("usage_import", *args, stdout=out)
    return out.getvalue()


def test_a_good_file_prints_its_reports_and_succeeds(asset, tmp_path):
    path = tmp_path / "march.xlsx"
    path.write_bytes(xlsx_file([record(asset.id, 1), record(asset.id, 2)]))

    out = run(str(path))
    assert out.splitlines() == [
        "march.xlsx: 2 rows, 0 invalid",
        f"{CONTRACT} {PRODUCT} March 2024 [01-03-2024 - 31-03-2024] contract {CONTRACT} product {PRODUCT} "
        "schema qt USD: 2 rows, 0 invalid (Valid, not sent)",
    ]
    assert UsageImport.objects.count() == 1


def test_bad_rows_are_printed_with_reasons_and_exit_1(asset, tmp_path):
    path = tmp_path / "bad.csv"
    rows = [
        record(asset.id, 1),
        record(asset.id, 2, item_search_value="NOPE"),
        record(asset.id, 3, quantity=""),
    ]
    path.write_bytes(csv_file(rows))

    out = StringIO()
    with pytest.raises(CommandError, match="2 of 3 rows are invalid") as raised:
        call_command("usage_import", str(path), stdout=out)
    assert raised.value.returncode == 1
    lines = out.getvalue().splitlines()
    assert lines[0] == "bad.csv: 3 rows, 2 invalid"
    assert lines[2:] == [
        f"  row 3 (rec-2): no item with item.mpn 'NOPE' on asset {asset.id} or product {PRODUCT}",
        "  row 4 (rec-3): quantity is required for QT (quantity) usage",
    ]


def test_validate_only_stores_nothing(asset, tmp_path):
    path = tmp_path / "check.xlsx"
    path.write_bytes(xlsx_file([record(asset.id)]))

    out = run(str(path), "--validate-only")
    assert out.splitlines()[-1] == "--validate-only: nothing was stored"
    assert UsageImport.objects.count() == 0


def test_a_file_problem_is_printed_and_fails(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"not a workbook")
    out = StringIO()
    with pytest.raises(CommandError, match="the file was not imported") as raised:
        call_command("usage_import", str(path), stdout=out)
    assert raised.value.returncode == 1
    assert (
        out.getvalue()
        .splitlines()[1]
        .startswith("  problem: the file could not be read as an .xlsx workbook")
    )


def test_a_missing_file_is_an_error():
    with pytest.raises(CommandError, match="no such file"):
        run("/nonexistent/usage.xlsx")
