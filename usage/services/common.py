"""What the usage services share: the targets, the audit 'before', input checks.

Permission, the fresh read and the transition check are `channelhub.actions.targets.ActionTarget`'s,
from the specs in usage.transitions."""

from __future__ import annotations

from channelhub.actions.targets import ActionTarget
from channelhub.services import ServiceError

from ..models import BillingRequest, UsageChunk, UsageFile, UsageRecord


def snapshot(obj) -> dict:
    """The object's status (a billing request has none: its attributes): an audit event's 'before'."""
    if isinstance(obj, BillingRequest):
        return {"attributes": obj.attributes}
    out = {"status": obj.status}
    if isinstance(obj, UsageRecord):
        out["external_billing_id"] = obj.external_billing_id
    return out


FILES = ActionTarget(UsageFile, what="Usage file", snapshot=snapshot)
RECORDS = ActionTarget(UsageRecord, what="Usage record", snapshot=snapshot)
CHUNKS = ActionTarget(UsageChunk, what="Usage chunk", snapshot=snapshot)
BILLING_REQUESTS = ActionTarget(BillingRequest, what="Billing request", snapshot=snapshot)

NOTE_MAX = 1000  # Connect's notes and billing notes; its external ids are at most 200
BILLING_ID_MAX = 200


def clean_text(value, field: str, *, required: bool, max_length: int = NOTE_MAX) -> str:
    """The value stripped; refused (ServiceError) when required and empty, or too long."""
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise ServiceError(f"{field} is required.", code="required")
    if len(text) > max_length:
        raise ServiceError(f"{field} is too long ({len(text)} characters; {max_length} at most).")
    return text
