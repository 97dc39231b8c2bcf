"""Staff actions on Connect usage files: the vendor's re-upload, submit and delete, the
provider's accept, reject, close and reprocess (the SDK's `UsageFileAutomation` actions)."""

from __future__ import annotations

from django.db import transaction

from channelhub.models import UpstreamAction
from channelhub.services import ServiceError

from ..choices import ReportStatus
from ..models import UsageFile, UsageReport
from .common import FILES, clean_text
from .reports import check_sendable


@transaction.atomic
def usage_file_reupload(*, usage_file: UsageFile, report: UsageReport, actor) -> UpstreamAction:
    """Upload a valid report's rows again to an existing file (draft, invalid, ready or
    rejected): what a vendor does after fixing the rows Connect found invalid or the
    provider rejected."""
    usage_file = FILES.prepare(usage_file, actor, "upload", "upload usage files")
    report = UsageReport.objects.select_for_update().get(pk=report.pk)
    check_sendable(report, allowed=(ReportStatus.VALID, ReportStatus.FAILED, ReportStatus.SENT))
    if (report.product_id, report.contract_id) != (usage_file.product_id, usage_file.contract_id):
        raise ServiceError(
            f"Report {report} is for product {report.product_id} under contract {report.contract_id}; "
            f"usage file {usage_file.pk} is for {usage_file.product_id} under {usage_file.contract_id}.",
            code="mismatch",
        )
    action = FILES.record(
        usage_file, actor, "upload", {"report_id": report.pk}, message=f"rows of report {report.external_id}"
    )
    report.status = ReportStatus.SENDING
    report.last_error = ""
    report.save(update_fields=["status", "last_error"])
    return action


@transaction.atomic
def usage_file_submit(*, usage_file: UsageFile, actor) -> UpstreamAction:
    """Submit a ready file to the provider (ready → pending)."""
    usage_file = FILES.prepare(usage_file, actor, "submit", "submit usage files")
    return FILES.record(usage_file, actor, "submit", {})


@transaction.atomic
def usage_file_delete(*, usage_file: UsageFile, actor) -> UpstreamAction:
    """Delete a file not submitted yet (draft, invalid or ready). A POST action, as Connect has it."""
    usage_file = FILES.prepare(usage_file, actor, "delete", "delete usage files")
    return FILES.record(usage_file, actor, "delete", {})


@transaction.atomic
def usage_file_accept(*, usage_file: UsageFile, note: str = "", actor) -> UpstreamAction:
    """Accept a pending file (the provider), with an acceptance note."""
    usage_file = FILES.prepare(usage_file, actor, "accept", "accept usage files")
    note = clean_text(note, "The acceptance note", required=False)
    return FILES.record(usage_file, actor, "accept", {"acceptance_note": note}, message=note)


@transaction.atomic
def usage_file_reject(*, usage_file: UsageFile, note: str, actor) -> UpstreamAction:
    """Reject a pending file (the provider); the note, required, tells the vendor what to fix."""
    usage_file = FILES.prepare(usage_file, actor, "reject", "reject usage files")
    note = clean_text(note, "A rejection note", required=True)
    return FILES.record(usage_file, actor, "reject", {"rejection_note": note}, message=note)


def every_record_billed(spec, obj) -> None:
    """Close needs every record of the file to carry its external billing id (t-12)."""
    unbilled = obj.usage_records.exclude(status__in=("closed", "rejected")).filter(external_billing_id="")
    count = unbilled.count()
    if count:
        first = list(unbilled.order_by("pk").values_list("pk", flat=True)[:3])
        raise ServiceError(
            f"{spec.what} {obj.pk} has {count} record(s) without an external billing id "
            f"({', '.join(first)}{', …' if count > len(first) else ''}); close them with their "
            "billing ids first.",
            code="unbilled",
        )


@transaction.atomic
def usage_file_close(*, usage_file: UsageFile, actor) -> UpstreamAction:
    """Close an accepted file whose records all carry their billing ids."""
    usage_file = FILES.prepare(usage_file, actor, "close", "close usage files")
    return FILES.record(usage_file, actor, "close", {})


@transaction.atomic
def usage_file_reprocess(*, usage_file: UsageFile, actor) -> UpstreamAction:
    """Ask Connect to process an accepted file again (after records were closed by hand)."""
    usage_file = FILES.prepare(usage_file, actor, "reprocess", "reprocess usage files")
    return FILES.record(usage_file, actor, "reprocess", {})
