"""Sending our usage reports: one valid report becomes one usage file upstream, created and
uploaded by one outbox action (`connect.usage_file.create`).

The action's target is the report's `external_id` (the file has no id before it exists), so
two sends of one report cannot be open at once; the executor finds the file by that
external_id before creating it, so a create whose answer was lost never makes a second one.
"""

from __future__ import annotations

from django.db import transaction

from channelhub.models import UpstreamAction
from channelhub.services import ServiceError, require_perm

from ..choices import ReportStatus, UsageFileStatus
from ..models import UsageFile, UsageReport
from .common import FILES

SENDABLE = (ReportStatus.VALID, ReportStatus.FAILED)


def check_sendable(report: UsageReport, *, allowed=SENDABLE) -> None:
    """Refuse (ServiceError) a report that is not valid, or not in one of `allowed`, saying why."""
    if report.status == ReportStatus.INVALID or report.invalid_rows:
        bad = report.report_rows.exclude(errors=[]).order_by("row_number").first()
        first = f" (row {bad.row_number}: {'; '.join(map(str, bad.errors))})" if bad is not None else ""
        raise ServiceError(
            f"Report {report} has {report.invalid_rows or 'some'} invalid row(s){first}; fix them and "
            "validate it again before sending it.",
            code="invalid",
        )
    if not report.rows:
        raise ServiceError(f"Report {report} has no rows to send.", code="empty")
    if report.status not in allowed:
        raise ServiceError(
            f"Report {report} is {report.get_status_display().lower()}; only a report that is "
            f"{' or '.join(ReportStatus(s).label.lower() for s in allowed)} can be sent.",
            code="transition",
        )


def file_body(report: UsageReport) -> dict:
    """The POST /usage/files body of a report (Connect's `UsageFileCreate` fields)."""
    return {
        "name": report.name or report.external_id,
        "description": "",
        "note": "",
        "period": {"from": report.period_from.isoformat(), "to": report.period_to.isoformat()},
        "currency": report.currency,
        "product": {"id": report.product_id},
        "contract": {"id": report.contract_id},
        "external_id": report.external_id,
    }


@transaction.atomic
def send_report(report: UsageReport, *, user) -> UpstreamAction:
    """Queue the create + upload of a valid report's file; refuses an invalid one with the reason."""
    require_perm(user, FILES.spec("create").perm, "send usage reports")
    report = UsageReport.objects.select_for_update().get(pk=report.pk)
    check_sendable(report)
    existing = (
        UsageFile.objects.filter(external_id=report.external_id)
        .exclude(status=UsageFileStatus.DELETED)
        .values_list("pk", flat=True)
        .first()
    )
    if existing and report.status != ReportStatus.FAILED:
        raise ServiceError(
            f"Usage file {existing} already has external id {report.external_id}; upload the report "
            "to it again instead (re-upload).",
            code="exists",
        )
    action = FILES.record(
        None,
        user,
        "create",
        {"report_id": report.pk, "file": file_body(report)},
        message=f"report {report.external_id}: {report.rows} record(s)",
        target_id=report.external_id,
    )
    report.status = ReportStatus.SENDING
    report.last_error = ""
    report.save(update_fields=["status", "last_error"])
    return action


def report_send(*, report: UsageReport, actor) -> UpstreamAction:
    """`send_report` with the keywords every action service takes (the admin calls it so)."""
    return send_report(report, user=actor)
