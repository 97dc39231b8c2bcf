"""python manage.py usage_import FILE [--validate-only] [--send]: import a staff usage file."""

from __future__ import annotations

import importlib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from channelhub.actors import system_actor
from usage.importing import import_usage
from usage.models import UsageReport

SHOWN_BAD_ROWS = 10
SENDER = "usage.services.reports"


class _RolledBack(Exception):
    """Leaves the --validate-only transaction without keeping anything."""


class Command(BaseCommand):
    """`usage_import`: read a workbook or CSV of usage rows, group and validate them, report."""

    help = (
        "Import FILE (.xlsx with a records or usage_records sheet, or .csv with the same columns), "
        "group its rows per (contract, product, period) into usage reports and check every row "
        "against the mirror. Prints each report's group, rows, invalid rows and the first bad rows "
        "with their reasons. --validate-only keeps nothing; --send sends each valid report. "
        "Exits 1 when the file has a problem or any row is invalid."
    )

    def add_arguments(self, parser):
        """The file, and what to do beyond importing it."""
        parser.add_argument("file", metavar="FILE")
        parser.add_argument(
            "--validate-only", action="store_true", help="check the file and report, store nothing"
        )
        parser.add_argument(
            "--send",
            action="store_true",
            help="queue the create and upload of each report (only when every row is valid)",
        )

    def handle(self, *args, file, validate_only, send, **options):
        """Import (in a transaction rolled back for --validate-only), print, send if asked."""
        if validate_only and send:
            raise CommandError("--validate-only and --send exclude each other")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        sender = _sender() if send else None
        content = path.read_bytes()
        try:
            with transaction.atomic():
                usage_import = import_usage(filename=path.name, content=content, user=system_actor())
                bad = self.report(usage_import)
                if validate_only:
                    raise _RolledBack
        except _RolledBack:
            self.stdout.write("--validate-only: nothing was stored")
        if sender and not bad:
            for report in usage_import.reports.order_by("pk"):
                action = sender(report, user=system_actor())
                self.stdout.write(
                    f"queued the create and upload of {report.external_id} (action {action.pk})"
                )
        if bad:
            raise CommandError(bad, returncode=1)

    def report(self, usage_import) -> str:
        """Print the import and each report; what is wrong in one line ("" when nothing is)."""
        out = self.stdout
        out.write(f"{usage_import.filename}: {usage_import.rows} rows, {usage_import.invalid_rows} invalid")
        for problem in usage_import.problems:
            out.write(f"  problem: {problem}")
        reports = usage_import.reports.order_by("contract_id", "product_id", "period_from")
        for report in reports:
            self.write_report(report)
        if not usage_import.rows and not usage_import.problems:
            return "the file has no usage rows"
        if usage_import.problems and not reports.exists():
            return "the file was not imported: " + usage_import.problems[0]
        if usage_import.invalid_rows:
            return f"{usage_import.invalid_rows} of {usage_import.rows} rows are invalid"
        return ""

    def write_report(self, report: UsageReport) -> None:
        """One report: its group, counts, and its first bad rows with their reasons."""
        out = self.stdout
        out.write(
            f"{report.external_id} [{report.name}] contract {report.contract_id or '?'} "
            f"product {report.product_id or '?'} schema {report.schema or '?'} {report.currency}: "
            f"{report.rows} rows, {report.invalid_rows} invalid ({report.get_status_display()})"
        )
        bad = report.report_rows.exclude(errors=[]).order_by("row_number")[:SHOWN_BAD_ROWS]
        for row in bad:
            out.write(f"  row {row.row_number} ({row.record_id or 'no record_id'}): {'; '.join(row.errors)}")
        if report.invalid_rows > SHOWN_BAD_ROWS:
            out.write(f"  ... and {report.invalid_rows - SHOWN_BAD_ROWS} more invalid rows")


def _sender():
    """The actions' `send_report(report, *, user)` (queues the create + upload in the outbox),
    when that service is there."""
    try:
        module = importlib.import_module(SENDER)
    except ModuleNotFoundError as exc:
        raise CommandError(f"--send: {SENDER} is not installed; import without --send") from exc
    send = getattr(module, "send_report", None)
    if send is None:
        raise CommandError(f"--send: {SENDER} has no send_report")
    return send
