"""The provider's billing of usage: closing records with their external billing ids, one by
one or many of one file at once (Connect's 206 `close-records`), and closing chunks."""

from __future__ import annotations

from django.db import transaction

from channelhub.models import UpstreamAction
from channelhub.services import ServiceError

from ..choices import UsageRecordStatus
from ..models import UsageChunk, UsageFile, UsageRecord
from .common import BILLING_ID_MAX, CHUNKS, FILES, RECORDS, clean_text

BULK_MAX = 1000
PLACEHOLDERS = ("{record}", "{n}")


@transaction.atomic
def usage_record_close(*, record: UsageRecord, billing_id: str, note: str = "", actor) -> UpstreamAction:
    """Close an approved record with the id (and note) of the bill it went on."""
    record = RECORDS.prepare(record, actor, "close", "close usage records")
    billing_id = clean_text(billing_id, "The external billing id", required=True, max_length=BILLING_ID_MAX)
    note = clean_text(note, "The billing note", required=False)
    payload = {"external_billing_id": billing_id, "external_billing_note": note}
    return RECORDS.record(record, actor, "close", payload, message=billing_id)


def billing_id_for(pattern: str, record_id: str, n: int) -> str:
    """One record's billing id from the pattern: `{record}` is its id, `{n}` its number (1…);
    a pattern without either is the same id for every record (one bill for all)."""
    return pattern.replace("{record}", record_id).replace("{n}", str(n))


def _records_to_close(usage_file: UsageFile, record_ids, all_approved: bool) -> list[str]:
    approved = usage_file.usage_records.filter(status=UsageRecordStatus.APPROVED)
    if all_approved:
        ids = list(approved.order_by("pk").values_list("pk", flat=True)[: BULK_MAX + 1])
        if not ids:
            raise ServiceError(f"Usage file {usage_file.pk} has no approved record to close.", code="empty")
    else:
        ids = list(dict.fromkeys(str(i).strip() for i in record_ids or () if str(i).strip()))
        if not ids:
            raise ServiceError("Name the records to close (their UR-… ids), or choose all approved records.")
        found = set(approved.filter(pk__in=ids).values_list("pk", flat=True))
        wrong = [i for i in ids if i not in found]
        if wrong:
            raise ServiceError(
                f"{len(wrong)} record(s) are not approved records of usage file {usage_file.pk}: "
                f"{', '.join(wrong[:10])}{', …' if len(wrong) > 10 else ''}.",
                code="records",
            )
    if len(ids) > BULK_MAX:
        raise ServiceError(f"At most {BULK_MAX} records can be closed at once; choose fewer.")
    return ids


@transaction.atomic
def usage_file_close_records(
    *,
    usage_file: UsageFile,
    billing_id: str,
    record_ids=None,
    all_approved: bool = False,
    note: str = "",
    actor,
) -> UpstreamAction:
    """Close many approved records of one file at once, each with a billing id from one
    pattern. Connect answers each record on its own (206): the action's result says which
    closed and which did not, and why."""
    usage_file = FILES.prepare(usage_file, actor, "close_records", "close usage records")
    pattern = clean_text(billing_id, "The external billing id", required=True, max_length=BILLING_ID_MAX)
    note = clean_text(note, "The billing note", required=False)
    ids = _records_to_close(usage_file, record_ids, all_approved)
    records = []
    for n, record_id in enumerate(ids, start=1):
        one = billing_id_for(pattern, record_id, n)
        if len(one) > BILLING_ID_MAX:
            raise ServiceError(f"The billing id of {record_id} would be {len(one)} characters; 200 at most.")
        records.append({"id": record_id, "external_billing_id": one, "external_billing_note": note})
    return FILES.record(
        usage_file,
        actor,
        "close_records",
        {"records": records},
        message=f"{len(records)} record(s), billing id {pattern}",
    )


@transaction.atomic
def usage_chunk_close(*, chunk: UsageChunk, billing_id: str, note: str = "", actor) -> UpstreamAction:
    """Close a ready chunk (the provider's per-hub slice) with the id of its bill."""
    chunk = CHUNKS.prepare(chunk, actor, "close", "close usage chunks")
    billing_id = clean_text(billing_id, "The external billing id", required=True, max_length=BILLING_ID_MAX)
    note = clean_text(note, "The billing note", required=False)
    payload = {"external_billing_id": billing_id, "external_billing_note": note}
    return CHUNKS.record(chunk, actor, "close", payload, message=billing_id)
