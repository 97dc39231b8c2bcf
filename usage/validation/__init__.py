"""Checking a usage report's rows against the mirror before anything is uploaded.

Connect takes or refuses a usage file as one unit, so every row is checked here first:
the item is on the asset or its product (`item.mpn`, `item.global_id`, `item.local_id`), the
asset exists (`asset.id`, or `parameter.<id>` = a value of that parameter) under the
report's contract and product and was active in the period, the cells its usage schema
requires are there (QT quantity; PR, CR and TR amount; TR a tier 0 to 2; CR a category),
times are inside the period and end after they start, numbers fit a workbook cell exactly,
record ids are unique in the report, and the product is listed under the contract.

Each row's `errors` is rewritten with the reasons in plain words (empty: valid); staff fix
a row and call `validate_report` again. Lookups are loaded once per report (a handful of
queries whatever its size) and only rows whose errors changed are written.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from django.db import transaction

from usage.choices import ReportStatus
from usage.models import UsageReportRow
from usage.models.reports import cells_as_text, read_as_text

from .errors import file_error, is_file_error
from .lookups import ROW_VALUES, ReportLookups
from .rules import RowChecker

__all__ = ["file_error", "is_file_error", "validate_report"]

UPDATE_CHUNK = 900
COMMON = 50
BULK_BATCH = 500
# A report on its way up (or up) keeps its status: validating it again only refreshes the rows.
KEPT_STATUSES = frozenset({ReportStatus.SENDING, ReportStatus.SENT})


@transaction.atomic
def validate_report(report, *, update_import: bool = True) -> int:
    """Check every row of `report` (a UsageReport), write each row's `errors` and the report's
    counts and status (VALID or INVALID); the number of invalid rows."""
    rows = list(
        UsageReportRow.objects.filter(report=report)
        .order_by("row_number")
        .annotate(**cells_as_text())  # times and numbers as text: no per-cell converters
        .values_list(*read_as_text(ROW_VALUES))
    )
    lookups = ReportLookups.load(report, rows)
    checker = RowChecker(report, lookups, _duplicates(rows))
    changed: dict[tuple[str, ...], list[int]] = defaultdict(list)
    invalid = 0
    for row in rows:
        errors = checker.check(row)
        if errors:
            invalid += 1
        if errors != (row[-1] or []):
            changed[tuple(errors)].append(row[0])
    _write_errors(changed)
    report.rows, report.invalid_rows = len(rows), invalid
    fields = ["rows", "invalid_rows"]
    if report.status not in KEPT_STATUSES:
        report.status = ReportStatus.INVALID if invalid else ReportStatus.VALID
        fields.append("status")
    report.save(update_fields=fields)
    if update_import:
        usage_import = report.usage_import
        usage_import.invalid_rows = sum(usage_import.reports.values_list("invalid_rows", flat=True))
        usage_import.save(update_fields=["invalid_rows"])
    return invalid


def _write_errors(changed: dict[tuple[str, ...], list[int]]) -> None:
    """Store the changed rows' errors: one UPDATE per common error list (a missing listing
    puts the same words on every row), the scattered rest in batches of `bulk_update`, so
    the count of queries never follows the count of rows."""
    scattered = []
    for errors, pks in changed.items():
        if len(pks) < COMMON:
            scattered += [UsageReportRow(pk=pk, errors=list(errors)) for pk in pks]
            continue
        for start in range(0, len(pks), UPDATE_CHUNK):
            UsageReportRow.objects.filter(pk__in=pks[start : start + UPDATE_CHUNK]).update(
                errors=list(errors)
            )
    UsageReportRow.objects.bulk_update(scattered, ["errors"], batch_size=BULK_BATCH)


def _duplicates(rows) -> dict[str, list[int]]:
    """Each record id used by more than one row, with the row numbers using it."""
    counts = Counter(row[2] for row in rows if row[2])
    repeated = {rid for rid, n in counts.items() if n > 1}
    numbers: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        if row[2] in repeated:
            numbers[row[2]].append(row[1])
    return numbers
