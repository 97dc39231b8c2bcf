"""Importing the usage staff upload: a workbook or CSV becomes one UsageImport, its rows
grouped per (contract, product, period) into UsageReports, each checked against the mirror.

The columns are the official template's (`records` sheet, usage-automation-inventory.md A3)
or the SDKs' (`usage_records`, any order, extra SDK columns ignored), plus four optional
ones: `contract_id`, `product_id`, `period_from`, `period_to`. Without them a row's group
comes from its asset's RecurringAsset (contract and product) and the calendar month of its
start time. A row whose asset cannot be found still lands in a report (with an empty
contract or product), where validation says why: no row is ever dropped without a word.

A file that cannot be read, or lacks a required column, leaves the UsageImport with its
problem and no reports.

Each report gets its name (`dd-mm-YYYY - dd-mm-YYYY`, as the processor template names
files) and an `external_id` fixed here, before anything is sent: `<contract> <product>
<Month YYYY>` (the template's), with ` #2`, ` #3`... for later imports of the same group, so
a create whose answer was lost is found upstream by the very id it was sent with.
"""

from __future__ import annotations

import calendar
import gc
import logging
from collections import defaultdict
from contextlib import contextmanager
from datetime import UTC, date, datetime

from django.db import IntegrityError, transaction

from usage.choices import ReportStatus
from usage.models import Listing, UsageImport, UsageReport, UsageReportRow
from usage.validation import validate_report

from .grouping import AssetGroups
from .reading import FileUnreadable, read_table
from .rows import REQUIRED_COLUMNS, RowReader

__all__ = ["FileUnreadable", "import_usage", "report_external_id", "report_name"]

log = logging.getLogger(__name__)

BATCH = 2000
CREATE_ATTEMPTS = 3


def import_usage(*, filename: str, content: bytes, user=None) -> UsageImport:
    """Read `content` (a staff file named `filename`), store its rows grouped into reports and
    validate each; the UsageImport says how many rows there were and how many are invalid,
    or, when the file could not be taken at all, why (`problems`)."""
    with _no_collector_passes():
        return _import(filename, content, user)


@contextmanager
def _no_collector_passes():
    """The cyclic garbage collector paused while a file is read and stored: 100,000 rows make
    a million short-lived containers without a single cycle, and the collector's repeated full
    passes over them cost more than the reading itself (3x slower at 100,000 rows measured in
    bench/usage.py). Reference counting still frees everything; the pause ends with the import."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _import(filename: str, content: bytes, user) -> UsageImport:
    problems: list[str] = []
    parsed = []
    try:
        table = read_table(filename, content)
        try:
            reader = RowReader(table.header)
            problems += reader.notes
            missing = [c for c in REQUIRED_COLUMNS if c not in reader.index]
            rows = list(table.rows)
        finally:
            table.close()
        if missing:
            problems.append(
                f"the {table.sheet} sheet lacks the required column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)}; none of its {len(rows)} rows were imported"
            )
        else:
            parsed = [reader.parse(number, values) for number, values in rows]
            problems += _capped([note for p in parsed for note in p.notes])
    except FileUnreadable as exc:
        problems.append(str(exc))
    except Exception as exc:  # a broken file may fail deep in openpyxl or csv: say so, import nothing
        log.warning("usage import %s: the file could not be read", filename, exc_info=True)
        problems.append(f"the file could not be read ({type(exc).__name__}: {exc})")
        parsed = []
    for attempt in range(CREATE_ATTEMPTS):
        try:
            return _store(filename, user, parsed, problems)
        except IntegrityError:  # another import of the same group took the same revision: count again
            if attempt == CREATE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


@transaction.atomic
def _store(filename: str, user, parsed: list, problems: list[str]) -> UsageImport:
    usage_import = UsageImport.objects.create(
        filename=filename[:255], created_by=user, problems=problems, rows=len(parsed)
    )
    if not parsed:
        return usage_import
    groups = _group(parsed)
    listings = _listings({(contract, product) for contract, product, *_ in groups})
    for key, group_rows in groups.items():
        contract, product, period_from, period_to = key
        listing = listings.get((contract, product))
        report = UsageReport.objects.create(
            usage_import=usage_import,
            contract_id=contract,
            product_id=product,
            period_from=period_from,
            period_to=period_to,
            schema=(listing.usage_schema or "").lower() if listing else "",
            currency=listing.currency if listing else "",
            name=report_name(period_from, period_to),
            external_id=_next_external_id(report_external_id(contract, product, period_from, period_to)),
            status=ReportStatus.INVALID,
            rows=len(group_rows),
        )
        UsageReportRow.objects.bulk_create(
            (UsageReportRow(report=report, **fields) for fields in group_rows), batch_size=BATCH
        )
        validate_report(report, update_import=False)
    usage_import.invalid_rows = sum(usage_import.reports.values_list("invalid_rows", flat=True))
    usage_import.save(update_fields=["invalid_rows"])
    return usage_import


def _capped(notes: list[str], limit: int = 20) -> list[str]:
    """The first `limit` notes, and how many more there were."""
    if len(notes) <= limit:
        return notes
    return [*notes[:limit], f"... and {len(notes) - limit} more rows like these"]


def _group(parsed: list) -> dict[tuple, list[dict]]:
    """Rows per (contract, product, period_from, period_to), in file order."""
    assets = AssetGroups.load(p.fields for p in parsed if not (p.contract_id and p.product_id))
    today = datetime.now(UTC).date()
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for p in parsed:
        contract, product = p.contract_id, p.product_id
        if not (contract and product):
            found_contract, found_product = assets.of(p.fields)
            contract, product = contract or found_contract, product or found_product
        period = p.period or month_of(p.fields.get("start_time") or p.fields.get("end_time") or today)
        groups[(contract, product, *period)].append(p.fields)
    return groups


def month_of(when: date | datetime) -> tuple[date, date]:
    """The calendar month holding `when`: (its first day, its last day)."""
    last = calendar.monthrange(when.year, when.month)[1]
    return date(when.year, when.month, 1), date(when.year, when.month, last)


def _listings(pairs: set[tuple[str, str]]) -> dict[tuple[str, str], Listing]:
    """The listing of each (contract, product), a `listed` one first."""
    contracts = {c for c, _ in pairs if c}
    products = {p for _, p in pairs if p}
    found: dict[tuple[str, str], Listing] = {}
    for listing in Listing.objects.filter(contract_id__in=contracts, product_id__in=products).order_by(
        "-updated"
    ):
        key = (listing.contract_id, listing.product_id)
        if key not in found or (listing.status == "listed" and found[key].status != "listed"):
            found[key] = listing
    return found


def report_name(period_from: date, period_to: date) -> str:
    """A usage file's name as the processor template writes it: `dd-mm-YYYY - dd-mm-YYYY`."""
    return f"{period_from:%d-%m-%Y} - {period_to:%d-%m-%Y}"


def report_external_id(contract: str, product: str, period_from: date, period_to: date) -> str:
    """The group's id as the processor template makes it: `<contract> <product> <Month YYYY>`
    for a calendar month, the two dates otherwise."""
    if (period_from, period_to) == month_of(period_from):
        period = f"{period_from:%B %Y}"
    else:
        period = report_name(period_from, period_to)
    return f"{contract or 'no-contract'} {product or 'no-product'} {period}"


def _next_external_id(base: str) -> str:
    """`base` for the group's first report, `base #N` for the N-th: the column is unique, and a
    re-import of a group is a new file upstream, told apart from the first."""
    taken = set(
        UsageReport.objects.filter(external_id__startswith=base).values_list("external_id", flat=True)
    )
    if base not in taken:
        return base
    revision = 2
    while f"{base} #{revision}" in taken:
        revision += 1
    return f"{base} #{revision}"
