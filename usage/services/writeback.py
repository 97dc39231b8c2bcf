"""Connect's answers to our actions, written into the mirror and into our reports.

The executors (usage.executors) call these under the target's lock, in the sender's
transaction. Until the sync's mappers (usage.mappers) are the one way a payload becomes a
row, these write the columns an action changes (status, notes, billing ids) and the raw
payload, and clear `payload_hash`, so the next sync run rewrites the whole row from its own
mapping whatever it thinks of the payload.
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from ..choices import ReportStatus
from ..models import BillingRequest, UsageChunk, UsageFile, UsageRecord, UsageReport


def status_of(obj: dict) -> str:
    """An object's status as our choices spell it (Connect's examples have `READY`)."""
    return str(obj.get("status") or "").lower()


def _ref(obj: dict, key: str) -> str:
    value = obj.get(key)
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(obj.get(f"{key}_id") or value or "")


def _day(value) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    moment = parse_datetime(value)
    return moment.date() if moment else parse_date(value[:10])


def _when(value):
    return parse_datetime(value) if isinstance(value, str) and value else None


def _save(model, pk: str, fields: dict, payload: dict):
    """Create or update the row with these columns and payload (other columns untouched)."""
    values = {k: v for k, v in fields.items() if v is not None}
    row, _ = model._default_manager.update_or_create(
        pk=pk, defaults={**values, "payload": payload, "payload_hash": "", "synced_at": timezone.now()}
    )
    return row


def write_file(obj: dict) -> UsageFile | None:
    """Connect's usage file into the mirror (our `_report` key stays out of the payload)."""
    if not obj.get("id"):
        return None
    payload = {k: v for k, v in obj.items() if k != "_report"}
    period = obj.get("period") or {}
    fields = {
        "status": status_of(obj),
        "name": obj.get("name"),
        "external_id": obj.get("external_id"),
        "product_id": _ref(obj, "product") or None,
        "contract_id": _ref(obj, "contract") or None,
        "marketplace_id": _ref(obj, "marketplace") or None,
        "vendor_id": _ref(obj, "vendor") or None,
        "provider_id": _ref(obj, "provider") or None,
        "period_from": _day(period.get("from") or obj.get("start_datetime_utc")),
        "period_to": _day(period.get("to") or obj.get("end_datetime_utc")),
        "acceptance_note": obj.get("acceptance_note"),
        "rejection_note": obj.get("rejection_note"),
        "error_details": obj.get("error_details"),
    }
    return _save(UsageFile, obj["id"], fields, payload)


def write_record(obj: dict) -> UsageRecord | None:
    """Connect's usage record into the mirror (its status and billing id; its file must be mirrored)."""
    if not obj.get("id"):
        return None
    file_id = _ref(obj, "usagefile") or _ref(obj, "usage_file")
    fields = {
        "status": status_of(obj),
        "external_billing_id": obj.get("external_billing_id"),
        "external_billing_note": obj.get("external_billing_note"),
        "closed_at": _when(obj.get("closed_at")),
        "usage_file_id": file_id or None,
    }
    return _save(UsageRecord, obj["id"], fields, obj)


def write_closed_records(results: list[dict]) -> int:
    """The records a bulk close closed: each re-read one whole, the others' status set. Returns how many."""
    written = 0
    for result in results:
        if not result.get("closed"):
            continue
        if result.get("record"):
            write_record(result["record"])
        else:
            UsageRecord.objects.filter(pk=result["id"]).update(status="closed", payload_hash="")
        written += 1
    return written


def write_chunk(obj: dict) -> UsageChunk | None:
    """Connect's chunk into the mirror."""
    if not obj.get("id"):
        return None
    fields = {"status": status_of(obj), "usage_file_id": _ref(obj, "usagefile") or None}
    return _save(UsageChunk, obj["id"], fields, obj)


def write_billing_request(obj: dict) -> BillingRequest | None:
    """Connect's billing request into the mirror (its asset must be mirrored to be linked)."""
    if not obj.get("id"):
        return None
    asset = obj.get("asset") or {}
    period = obj.get("period") or {}
    fields = {
        "type": obj.get("type"),
        "asset_id": asset.get("id") or None,
        "period_from": _when(period.get("from")),
        "period_to": _when(period.get("to")),
        "period_uom": period.get("uom"),
        "items": obj.get("items"),
        "attributes": obj.get("attributes"),
    }
    return _save(BillingRequest, obj["id"], fields, obj)


# --- our reports ------------------------------------------------------------------------------


def report(report_id: int) -> UsageReport:
    """The report an upload action sends."""
    return UsageReport.objects.get(pk=report_id)


def report_sent(report_id: int, file_id: str) -> None:
    """The report is uploaded to `file_id`."""
    UsageReport.objects.filter(pk=report_id).update(
        status=ReportStatus.SENT, usage_file_id=file_id, last_error=""
    )


def report_failed(report_id: int, reason: str, *, file_id: str = "") -> None:
    """Connect refused the report's create or upload: FAILED with Connect's words."""
    fields = {"status": ReportStatus.FAILED, "last_error": reason[:2000]}
    if file_id:
        fields["usage_file_id"] = file_id
    UsageReport.objects.filter(pk=report_id).update(**fields)
