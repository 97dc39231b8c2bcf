"""Connect's answers to our actions, written into the mirror as a sync writes them, and into our reports.

The executors (usage.executors) call these under the target's lock, in the sender's
transaction. A payload becomes a row the one way the streams make it: the app's mapper
(usage.mappers) and `channelhub.sync.upsert.upsert_rows`, which stores the payload in canonical
form with its digest. So the row an action leaves is the row a sync would write from the same
document, and the next sync run finds it unchanged (no write) unless Connect moved on since.

What the streams read differs from what an action's answer carries in two ways, both handled so
the rows still agree:

- a usage file's detail carries signed, short-lived workbook links (`*_file_uri`) that the list
  the files stream reads has not: they are left out of the payload (the admin asks Connect for
  fresh links when someone downloads a workbook);
- a usage file row carries the records stream's markers (`records_pulled_for`,
  `records_pulled_upload`), which are not in any payload: a write-back keeps them, as the files
  stream does, so an action never makes the records stream think it pulled a file it did not,
  nor forget one it did.

Records' usage and amount are exact only when the payload was read with its numbers as Decimal
(`usage.streams.exact`, as the records stream reads them): the executors read records so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import orjson

from channelhub.sync.upsert import canonical_json, upsert_rows

from .. import mappers
from ..choices import ReportStatus
from ..models import BillingRequest, UsageChunk, UsageFile, UsageRecord, UsageReport
from ..streams.files import MARKERS

# A file detail's signed links (the list the files stream reads has none; they expire anyway).
FILE_LINKS = ("usage_file_uri", "processed_file_uri", "reconciliation_file_uri")
# Our own keys beside Connect's in an action's answer (the report an upload came from).
OUR_KEYS = ("_report",)


def status_of(obj: dict) -> str:
    """An object's status as our choices spell it (Connect's examples have `READY`)."""
    return str(obj.get("status") or "").lower()


def stored(obj: dict) -> dict:
    """A payload as the engine stores it: canonical JSON read back, a Decimal as its exact text.
    JSON-safe (an action's response can keep it), and mapped and digested exactly as the
    original (`mappers.as_decimal` reads the text back to the same Decimal)."""
    return orjson.loads(canonical_json(obj))


def _write(
    model, mapper: Callable[[dict], dict], payloads: Iterable[dict], *, keep: tuple[str, ...] = ()
) -> list[str]:
    """Upsert the payloads that have an id as the streams do; `keep`: columns of existing rows
    that no payload carries, written back unchanged. Returns the ids written (or unchanged)."""
    rows = [(str(p["id"]), mapper(p), p) for p in payloads if isinstance(p, dict) and p.get("id")]
    if not rows:
        return []
    if keep:
        kept = {
            pk: dict(zip(keep, values, strict=True))
            for pk, *values in model.objects.filter(pk__in=[pk for pk, _, _ in rows]).values_list("pk", *keep)
        }
        for pk, fields, _ in rows:
            fields.update(kept.get(pk, {}))
    upsert_rows(model, rows)
    return [pk for pk, _, _ in rows]


def file_payload(obj: dict) -> dict:
    """Connect's file as the files stream stores it: without our keys and the signed links."""
    return {k: v for k, v in obj.items() if k not in OUR_KEYS and k not in FILE_LINKS}


def write_file(obj: dict) -> UsageFile | None:
    """Connect's usage file into the mirror, keeping the records stream's markers."""
    written = _write(UsageFile, mappers.map_usage_file, [file_payload(obj)], keep=MARKERS)
    return UsageFile.objects.get(pk=written[0]) if written else None


def write_records(objs: Iterable[dict]) -> int:
    """Connect's usage records into the mirror (their files need not be mirrored). Returns how many."""
    return len(_write(UsageRecord, mappers.map_usage_record, objs))


def write_record(obj: dict) -> UsageRecord | None:
    """One usage record into the mirror."""
    written = _write(UsageRecord, mappers.map_usage_record, [obj])
    return UsageRecord.objects.get(pk=written[0]) if written else None


def write_chunk(obj: dict) -> UsageChunk | None:
    """Connect's chunk into the mirror."""
    written = _write(UsageChunk, mappers.map_usage_chunk, [obj])
    return UsageChunk.objects.get(pk=written[0]) if written else None


def write_billing_request(obj: dict) -> BillingRequest | None:
    """Connect's billing request into the mirror (its asset need not be mirrored)."""
    written = _write(BillingRequest, mappers.map_billing_request, [obj])
    return BillingRequest.objects.get(pk=written[0]) if written else None


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
