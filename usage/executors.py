"""How each usage and billing action kind is sent, checked and written back (channelhub.actions).

Each executor is built with its kind's spec (usage.transitions): its verb is the kind's last
part, its target state the spec's. Connect has no idempotency keys, so every executor can
tell from Connect's object whether an earlier attempt already did the work:

- the create + upload of a report looks the file up by the report's `external_id` before
  creating it (on every attempt, not only after a timeout), and uploads only when the file's
  `events.uploaded.at` is older than the action;
- a re-upload is done when the file was uploaded after the action was queued;
- file actions are done when the file is in the spec's target state or carries the verb's
  event since the action was queued (it may have moved on: accepted, then closed); record and chunk
  closes when the object is closed with our billing id; the bulk close sends on a retry only
  the records not closed yet;
- a billing request is looked up by (asset, period start, type) before creating it.

The answer goes into the mirror (`usage.services.writeback`: the app's mappers and the sync's
upsert, so the row is the one a sync would write) and, for the two uploads, into our report
(`UsageReport.usage_file_id`, status SENT; FAILED when Connect refuses). Records are read as the
records stream reads them (`exact_records`: a page of `/usage/records` with its numbers as
Decimal), never through the float-parsing reads, so their usage and amount stay exact.
"""

from __future__ import annotations

from datetime import datetime

from django.utils.dateparse import parse_datetime

from channelhub.actions.executors import Executor
from channelhub.upstream import rql
from channelhub.upstream.errors import UpstreamRejected

from .choices import UsageFileStatus as FS
from .choices import UsageRecordStatus as RS
from .services import writeback as mirror
from .services.writeback import status_of, stored
from .streams.exact import exact_page
from .streams.files import IDS_PER_PAGE
from .streams.records import UsageRecordStream
from .upstream import UsageClient

# A file in one of these takes an upload (t-2, t-5, t-7, t-10 of the machine).
UPLOADABLE = frozenset({FS.DRAFT, FS.INVALID, FS.READY, FS.REJECTED})
# What a file goes through after an upload until Connect has read it.
AFTER_UPLOAD = frozenset({FS.UPLOADING, FS.UPLOADED, FS.PROCESSING})


def _event_at(obj: dict, event: str) -> datetime | None:
    at = ((obj.get("events") or {}).get(event) or {}).get("at")
    return parse_datetime(at) if isinstance(at, str) else None


def event_since(obj: dict, event: str, since: datetime) -> bool:
    """Whether Connect's file has `events.<event>` at or after `since` (to the second, as
    Connect keeps times): what an action queued at `since` does is then done."""
    at = _event_at(obj, event)
    if at is None:
        return False
    if at.tzinfo is None:
        at = at.replace(tzinfo=since.tzinfo)
    return at >= since.replace(microsecond=0)


def uploaded_since(obj: dict, since: datetime) -> bool:
    """Whether Connect's file was uploaded at or after `since`: the upload is then done."""
    return event_since(obj, "uploaded", since)


# The event each file verb stamps on the file (Connect's `events`, as usage_file_list.json shows).
FILE_EVENTS = {
    "submit": "submitted",
    "accept": "accepted",
    "reject": "rejected",
    "close": "closed",
    "delete": "deleted",
}


def exact_records(client: UsageClient, ids, *, file_id: str = "") -> list[dict]:
    """The records of `ids` (of file `file_id` when given) as the records stream reads them: from
    the list, numbers as Decimal, in stored form (`writeback.stored`: JSON-safe, exact text).
    Missing ones are not in the answer. `in(id,(...))` pages of `IDS_PER_PAGE`."""
    ids = list(dict.fromkeys(ids))
    out: list[dict] = []
    for start in range(0, len(ids), IDS_PER_PAGE):
        chunk = ids[start : start + IDS_PER_PAGE]
        filters = rql.and_(rql.eq("usagefile.id", file_id) if file_id else "", rql.in_("id", chunk))
        page = exact_page(
            client.connect, UsageRecordStream.path, filters=filters, ordering=("id",), limit=len(chunk)
        )
        out += [stored(record) for record in page]
    return out


def report_workbook_bytes(report) -> bytes:
    """The report's rows as the workbook Connect reads (`usage.workbook.report_workbook`)."""
    from .workbook import report_workbook  # noqa: PLC0415 - usage.workbook loads openpyxl; only uploads need it

    return report_workbook(report)


class UsageExecutor(Executor):
    """Base of the usage executors: the client, and "already applied" by the target state."""

    def client(self):
        """A usage client on the CONNECT_* settings."""
        return UsageClient.from_settings()

    def is_applied(self, action, obj) -> bool:
        """Done when Connect's object is in the spec's target state."""
        target = self.target_state
        return bool(obj) and target is not None and status_of(obj) == target

    def snapshot(self, obj: dict) -> dict:
        """The object's id and status, the audit event's 'after'."""
        return {"id": obj.get("id"), "status": obj.get("status")}


class UsageFileExecutor(UsageExecutor):
    """A file action: POST /usage/files/{id}/{verb}, then the file as Connect has it."""

    def current(self, action, client) -> dict:
        """The file as Connect has it."""
        return client.get_file(action.target_id)

    def is_applied(self, action, obj) -> bool:
        """Done when the file is in the verb's target state, or its event was stamped since the
        action was queued: the file may have moved on since (found by the soak: an accept whose
        answer was lost, then the file closed by the provider before the resend, was sent again,
        refused, and reported failed though it had been applied)."""
        if super().is_applied(action, obj):
            return True
        event = FILE_EVENTS.get(self.verb)
        return bool(obj) and event is not None and event_since(obj, event, action.created_at)

    def send(self, action, client) -> dict:
        """The verb with its body (accept/reject carry their note); the file re-read, since
        Connect's action answers need not carry the whole file."""
        client.file_action(action.target_id, self.verb, action.payload or {})
        return client.get_file(action.target_id)

    def write_mirror(self, obj: dict) -> None:
        """The file into the mirror."""
        mirror.write_file(obj)


class ReportUploadExecutor(UsageExecutor):
    """Shared by the two uploads: the report's workbook to a file, the answer to the report."""

    def write_mirror(self, obj: dict) -> None:
        """The file into the mirror; the report that was uploaded to it marked SENT."""
        mirror.write_file(obj)
        report_id = (obj.get("_report") or {}).get("id")
        if report_id and obj.get("id"):
            mirror.report_sent(report_id, obj["id"])

    def upload(self, action, client, file_id: str) -> dict:
        """Upload the report's workbook; the file re-read (Connect's answer to an upload is
        the file at `uploading`, the system steps follow)."""
        report_id = action.payload["report_id"]
        try:
            client.upload_file(file_id, report_workbook_bytes(mirror.report(report_id)))
        except UpstreamRejected as exc:
            mirror.report_failed(report_id, "; ".join(exc.errors) or str(exc), file_id=file_id)
            raise
        return client.get_file(file_id)

    def with_report(self, action, obj: dict) -> dict:
        """Connect's file, with our report's id beside it (kept as the action's response)."""
        return {**obj, "_report": {"id": action.payload["report_id"]}} if obj else obj


class ReportCreateExecutor(ReportUploadExecutor):
    """Create + upload of a report's file. Exactly once: the file is found by the report's
    external_id before it is created, and uploaded only if this action has not done it."""

    def current(self, action, client) -> dict:
        """The report's file as Connect has it, or {} when none was created."""
        return self.with_report(action, client.find_file_by_external_id(action.target_id) or {})

    def is_applied(self, action, obj) -> bool:
        """Done when the file exists and was uploaded since this action was queued."""
        return bool(obj) and uploaded_since(obj, action.created_at)

    def send(self, action, client) -> dict:
        """Find or create the file, then upload the workbook unless this action did already."""
        found = client.find_file_by_external_id(action.target_id)
        if found is None:
            try:
                found = client.create_file(action.payload["file"])
            except UpstreamRejected as exc:
                mirror.report_failed(action.payload["report_id"], "; ".join(exc.errors) or str(exc))
                raise
        if uploaded_since(found, action.created_at) or status_of(found) not in UPLOADABLE:
            # Uploaded by an earlier attempt (its answer lost), or moved on upstream meanwhile.
            return self.with_report(action, client.get_file(found["id"]))
        return self.with_report(action, self.upload(action, client, found["id"]))


class ReportReuploadExecutor(ReportUploadExecutor):
    """A report's rows uploaded again to an existing file (draft, invalid, ready, rejected)."""

    def current(self, action, client) -> dict:
        """The file as Connect has it."""
        return self.with_report(action, client.get_file(action.target_id))

    def is_applied(self, action, obj) -> bool:
        """Done when the file was uploaded since this action was queued."""
        return bool(obj) and uploaded_since(obj, action.created_at)

    def send(self, action, client) -> dict:
        """The upload."""
        return self.with_report(action, self.upload(action, client, action.target_id))


class RecordCloseExecutor(UsageExecutor):
    """POST /usage/records/{id}/close with the billing id and note."""

    def current(self, action, client) -> dict:
        """The record as Connect has it (numbers exact), or {} when Connect has none."""
        found = exact_records(client, [action.target_id])
        return found[0] if found else {}

    def is_applied(self, action, obj) -> bool:
        """Done when the record is closed with our billing id."""
        return (
            bool(obj)
            and status_of(obj) == RS.CLOSED
            and obj.get("external_billing_id") == action.payload["external_billing_id"]
        )

    def send(self, action, client) -> dict:
        """The close; the record re-read."""
        payload = action.payload
        client.close_record(
            action.target_id,
            billing_id=payload["external_billing_id"],
            note=payload.get("external_billing_note", ""),
        )
        return self.current(action, client)

    def write_mirror(self, obj: dict) -> None:
        """The record into the mirror."""
        mirror.write_record(obj)


class BulkCloseRecordsExecutor(UsageExecutor):
    """POST /usage/records/close-records for many records of one file (the action's target).

    Connect answers 206 with a result per record; they are the action's response (`results`:
    `{id, status, closed, error_codes, error_details}`, with `closed` and `not_closed` counts),
    shown on the file's page: which closed, which did not, why. The action's records are then
    re-read (exact) and go into the mirror, whether they closed or not (one closed elsewhere
    shows as closed); they ride in the answer under `records` only until `write_mirror` takes
    them out, so the response keeps the results, not a copy of every record.
    """

    def _records(self, action, client) -> list[dict]:
        ids = [item["id"] for item in action.payload["records"]]
        return exact_records(client, ids, file_id=action.target_id)

    def current(self, action, client) -> dict:
        """The action's records as Connect has them, as results (`closed` when closed with our id)."""
        wanted = {item["id"]: item["external_billing_id"] for item in action.payload["records"]}
        records = self._records(action, client)
        results = []
        for record in records:
            status = status_of(record)
            closed = status == RS.CLOSED and record.get("external_billing_id") == wanted.get(record.get("id"))
            results.append(
                {
                    "id": record.get("id"),
                    "status": status,
                    "closed": closed,
                    "error_codes": [],
                    "error_details": [] if closed else [f"record is {status}"],
                }
            )
        return self._answer(action.target_id, results, records)

    def is_applied(self, action, obj) -> bool:
        """Done when every record of the action is closed with its billing id."""
        results = obj.get("results") or []
        return len(results) == len(action.payload["records"]) and all(r["closed"] for r in results)

    def send(self, action, client) -> dict:
        """Close the records; on a retry after a lost answer only those not closed yet (the
        others are reported closed by the earlier attempt). Then the records re-read."""
        items = list(action.payload["records"])
        earlier = []
        if action.maybe_applied:
            earlier = [r for r in self.current(action, client)["results"] if r["closed"]]
            done = {r["id"] for r in earlier}
            items = [item for item in items if item["id"] not in done]
        answered = client.close_records(items) if items else []
        results = earlier + [self._result(r) for r in answered]
        return self._answer(action.target_id, results, self._records(action, client))

    @staticmethod
    def _result(answer: dict) -> dict:
        errors = answer.get("error_details") or []
        if isinstance(errors, str):
            errors = [errors]
        return {
            "id": answer.get("id"),
            "status": status_of(answer),
            "closed": status_of(answer) == RS.CLOSED and not errors,
            "error_codes": list(answer.get("error_codes") or []),
            "error_details": [str(e) for e in errors],
        }

    @staticmethod
    def _answer(file_id: str, results: list[dict], records: list[dict]) -> dict:
        closed = sum(1 for r in results if r["closed"])
        return {
            "id": file_id,
            "results": results,
            "closed": closed,
            "not_closed": len(results) - closed,
            "records": records,
        }

    def write_mirror(self, obj: dict) -> None:
        """The action's records, as Connect has them now, into the mirror (taken out of the answer)."""
        mirror.write_records(obj.pop("records", None) or [])

    def snapshot(self, obj: dict) -> dict:
        """How many closed and which did not, the audit event's 'after'."""
        return {
            "closed": obj.get("closed"),
            "not_closed": [r["id"] for r in obj.get("results") or [] if not r["closed"]],
        }


class ChunkCloseExecutor(UsageExecutor):
    """POST /usage/chunks/{id}/close with the billing id."""

    def current(self, action, client) -> dict:
        """The chunk as Connect has it."""
        return client.get_chunk(action.target_id)

    def send(self, action, client) -> dict:
        """The close; the chunk re-read."""
        payload = action.payload
        client.close_chunk(
            action.target_id,
            billing_id=payload["external_billing_id"],
            note=payload.get("external_billing_note", ""),
        )
        return client.get_chunk(action.target_id)

    def write_mirror(self, obj: dict) -> None:
        """The chunk into the mirror."""
        mirror.write_chunk(obj)


class BillingRequestCreateExecutor(UsageExecutor):
    """POST /subscriptions/requests; exactly once by looking for (asset, period start, type) first."""

    def _find(self, action, client) -> dict | None:
        body = action.payload["request"]
        return client.find_billing_request(
            asset_id=body["asset_id"], period_from=body["period_from"], type=body["type"]
        )

    def current(self, action, client) -> dict:
        """The billing request for the action's asset and period, or {}."""
        return self._find(action, client) or {}

    def is_applied(self, action, obj) -> bool:
        """Done when the billing request exists."""
        return bool(obj and obj.get("id"))

    def send(self, action, client) -> dict:
        """Find it (an earlier attempt may have made it) or create it."""
        return self._find(action, client) or client.create_billing_request(action.payload["request"])

    def write_mirror(self, obj: dict) -> None:
        """The billing request into the mirror."""
        mirror.write_billing_request(obj)

    def snapshot(self, obj: dict) -> dict:
        """The new request's id and period, the audit event's 'after'."""
        return {"id": obj.get("id"), "period": obj.get("period")}


class BillingRequestAttributesExecutor(UsageExecutor):
    """PUT /subscriptions/requests/{id}/attributes (idempotent: the same values twice are once)."""

    def current(self, action, client) -> dict:
        """The billing request as Connect has it."""
        return client.get_billing_request(action.target_id)

    def is_applied(self, action, obj) -> bool:
        """Done when each side's attributes hold the values sent."""
        have = obj.get("attributes") or {}
        return all(
            all((have.get(side) or {}).get(k) == v for k, v in values.items())
            for side, values in action.payload["attributes"].items()
        )

    def send(self, action, client) -> dict:
        """The PUT; the billing request re-read."""
        client.update_billing_request_attributes(action.target_id, action.payload["attributes"])
        return client.get_billing_request(action.target_id)

    def write_mirror(self, obj: dict) -> None:
        """The billing request into the mirror."""
        mirror.write_billing_request(obj)

    def snapshot(self, obj: dict) -> dict:
        """The attributes as they are now, the audit event's 'after'."""
        return {"id": obj.get("id"), "attributes": obj.get("attributes")}
