"""The usage file status machine (usage-automation-inventory.md A2) and its system steps.

    action     from                               to          who
    upload     draft, invalid, ready, rejected    uploading   vendor (multipart usage_file)
    (system)   uploading                          processing  after processing_seconds / 2
    (system)   processing                         ready | invalid  after processing_seconds
    submit     ready                              pending     vendor
    accept     pending                            accepted    provider (records -> approved, chunks made)
    reject     pending                            rejected    provider (rejection_note required; records -> rejected)
    close      accepted                           closed      provider, once every record has its billing id
    delete     draft, invalid, ready              deleted     vendor
    reprocess  accepted                           accepted    provider (counters and chunks recomputed)

A wrong state is 400 UFL_001, a close with records lacking a billing id 400 UFL_002, the wrong
side 403 AUTH_002 (world.require_side). Records follow the file: valid on ready (still valid while
pending), approved on accept, rejected on reject, closed on close.

The upload is read and checked at once (workbook.py) and the outcome kept in `usage_uploads`;
the file shows it only when its `due` time comes (`settle`, run before every usage read and on
tick). Seeded files have no `due`, so reads never change the seeded state.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime
from decimal import Decimal

from channelhub.sandbox.common import ApiError, now_iso

from . import shapes, workbook
from . import world as w

INVALID_STATE = "UFL_001"
NOT_BILLED = "UFL_002"
RECORD_STATE = "URC_001"

TRANSITIONS = {
    "upload": (("draft", "invalid", "ready", "rejected"), "uploading", w.VENDOR),
    "submit": (("ready",), "pending", w.VENDOR),
    "accept": (("pending",), "accepted", w.PROVIDER),
    "reject": (("pending",), "rejected", w.PROVIDER),
    "close": (("accepted",), "closed", w.PROVIDER),
    "delete": (("draft", "invalid", "ready"), "deleted", w.VENDOR),
    "reprocess": (("accepted",), "accepted", w.PROVIDER),
}
EVENT_OF = {
    "upload": "uploaded",
    "submit": "submitted",
    "accept": "accepted",
    "reject": "rejected",
    "close": "closed",
    "delete": "deleted",
}
RECORDS_TO = {
    "accept": ("valid", "approved"),
    "reject": ("valid", "rejected"),
    "close": ("approved", "closed"),
}


def check_transition(doc: dict, action: str) -> None:
    """400 UFL_001 unless `action` is allowed from the file's status."""
    allowed = TRANSITIONS[action][0]
    if doc["status"] not in allowed:
        raise ApiError(
            400,
            INVALID_STATE,
            f"Usage file {doc['id']} is {doc['status']}: {action} is only allowed from {' or '.join(allowed)}.",
        )


def put_file(session, doc: dict, due: float | None = None) -> None:
    """Store a file document (its `due` time, if given, replaces the stored one)."""
    session.put("usage_files", doc, due=due)


def event(doc: dict, key: str, when: str, by: dict) -> None:
    """Stamp `events[key]` = {at, by}."""
    doc.setdefault("events", {})[key] = {"at": when, "by": by}


def records_of(session, file_ident: str, status: str | None = None) -> list[dict]:
    """The file's records (optionally of one status), in id order."""

    sql = "SELECT doc FROM usage_records WHERE usagefile_id = ?"
    params: tuple = (file_ident,)
    if status is not None:
        sql += " AND status = ?"
        params = (file_ident, status)
    return [json.loads(r[0]) for r in session.conn.execute(sql + " ORDER BY id", params)]


def _hub_of_record(session, record: dict) -> dict:
    asset = session.get("assets", record["asset"]["id"]) or {}
    return w.hub_of(asset)


def upload(session, doc: dict, data: bytes, filename: str, by: dict, delay: float) -> dict:
    """Take an upload: check the workbook now, keep the outcome and the bytes, move the file to
    `uploading` (its previous records and chunks go). Answers the file."""
    check_transition(doc, "upload")
    outcome, headers, rows, categories = evaluate(session, doc, data)
    started = time.time()
    session.put(
        "usage_uploads",
        {
            "id": doc["id"],
            "filename": filename or "usage_file.xlsx",
            "content": base64.b64encode(data).decode("ascii"),
            "started": started,
            "finish": started + delay,
            "headers": headers,
            "rows": rows,
            "errors": outcome.errors,
            "summary": outcome.summary,
            "records": [_serialisable(f) for f in outcome.rows],
            "categories": list(categories.values()),
        },
    )
    session.conn.execute("DELETE FROM usage_records WHERE usagefile_id = ?", (doc["id"],))
    session.conn.execute("DELETE FROM usage_chunks WHERE usagefile_id = ?", (doc["id"],))
    when = now_iso()
    doc.update(
        status="uploading",
        sub_status=None,
        error_detail="",
        error_details="",
        rejection_note="",
        acceptance_note="",
    )
    event(doc, "uploaded", when, by)
    doc["records"], doc["stats"] = {"valid": 0, "invalid": 0, "closed": 0}, {"uploaded": 0}
    shapes.recount(session, doc)
    put_file(session, doc, due=started + delay / 2)
    return doc


def evaluate(session, doc: dict, data: bytes):
    """(outcome, headers, rows as text, categories) of an uploaded workbook for file `doc`."""
    try:
        sheet = workbook.read(data)
    except workbook.WorkbookError as exc:
        return workbook.Outcome(summary=str(exc)), [], [], {}
    ctx = workbook.Context(
        schema=doc["schema"].upper(),
        bounds=w.period_bounds(doc.get("period")),
        items=w.items_of(session, doc["product"]["id"]),
        assets=w.assets_of(session, doc["product"]["id"], doc["contract"]["id"]),
    )
    outcome = workbook.check(sheet, ctx)
    columns = [h for h in sheet.headers if h]
    rows = [[number, [workbook._text(cells.get(h)) for h in columns]] for number, cells in sheet.rows]  # noqa: SLF001 - the module's own cell reader
    return outcome, columns, rows, sheet.categories


def _serialisable(fields: dict) -> dict:
    out = dict(fields)
    for key in ("quantity", "amount"):
        out[key] = None if out[key] is None else str(out[key])
    for key in ("start", "end"):
        out[key] = out[key].isoformat()
    return out


def _fields(stored: dict) -> dict:

    out = dict(stored)
    for key in ("quantity", "amount"):
        out[key] = None if out[key] is None else Decimal(out[key])
    for key in ("start", "end"):
        out[key] = datetime.fromisoformat(out[key])
    return out


def settle(session, now: float | None = None) -> int:
    """Run the system steps whose time has come (uploading -> processing -> ready | invalid); returns how
    many steps ran. Cheap when nothing is due (one indexed query)."""
    now = time.time() if now is None else now
    due = session.ids("usage_files", "due IS NOT NULL AND due <= ?", (now,))
    if not due:
        return 0
    steps = 0
    with session.write():
        for ident in due:
            while True:
                doc = session.get("usage_files", ident)
                due_at = session.scalar("SELECT due FROM usage_files WHERE id = ?", (ident,))
                if doc is None or due_at is None or due_at > now:
                    break
                step(session, doc)
                steps += 1
    return steps


def step(session, doc: dict) -> None:
    """One system step of a file in `uploading` or `processing`."""
    upload_doc = session.get("usage_uploads", doc["id"]) or {}
    if doc["status"] == "uploading":
        doc.update(status="processing", sub_status="processing")
        put_file(session, doc, due=upload_doc.get("finish", 0))
        return
    if doc["status"] != "processing":
        put_file(session, doc, due=None)
        return
    finish(session, doc, upload_doc)


def finish(session, doc: dict, upload_doc: dict) -> None:
    """Processing done: `ready` with the records, or `invalid` with Connect's error detail."""
    records = upload_doc.get("records") or []
    summary = upload_doc.get("summary", "")
    if summary or not records:
        detail = summary or "The file has no records."
        bad_rows = {e["row"] for e in upload_doc.get("errors", [])}
        doc.update(status="invalid", sub_status="processed", error_detail=detail, error_details=detail)
        doc["records"] = {"valid": 0, "invalid": len(bad_rows), "closed": 0}
        doc["stats"] = {"uploaded": len(upload_doc.get("rows", []))}
        shapes.recount(session, doc)
        put_file(session, doc, due=None)
        return
    create_records(session, doc, [_fields(r) for r in records])
    doc.update(status="ready", sub_status="processed", error_detail="", error_details="")
    shapes.recount(session, doc)
    put_file(session, doc, due=None)


def create_records(session, doc: dict, rows: list[dict], status: str = "valid") -> list[dict]:
    """Create the file's records from checked rows (ids `UR-<file>-NNNN`)."""
    out = []
    for n, fields in enumerate(rows, start=1):
        record = shapes.record_doc(doc, shapes.record_id(doc["id"], n), fields, status)
        out.append((record, {"hub_id": w.hub_of(fields["asset"]).get("id")}))
    session.put_many("usage_records", out)
    return [r for r, _ in out]


def transition(session, doc: dict, action: str, body: dict, by: dict) -> dict:
    """submit, accept, reject, close, delete or reprocess file `doc` (checked); records and chunks follow."""
    check_transition(doc, action)
    when = now_iso()
    if action == "reject":
        note = str(body.get("rejection_note") or "").strip()
        if not note:
            raise ApiError(400, "VAL_001", "rejection_note: This field is required.")
        doc["rejection_note"] = note[:200]
    if action == "accept":
        doc["acceptance_note"] = str(body.get("acceptance_note") or "")[:200]
    if action == "close":
        missing = session.scalar(
            "SELECT COUNT(*) FROM usage_records WHERE usagefile_id = ? AND COALESCE(external_billing_id, '') = ''",
            (doc["id"],),
        )
        if missing:
            raise ApiError(
                400,
                NOT_BILLED,
                f"Usage file {doc['id']} has {missing} record(s) without external_billing_id: close them first.",
            )
    if action in RECORDS_TO:
        old, new = RECORDS_TO[action]
        move_records(session, records_of(session, doc["id"], old), new, when, by)
    doc["status"] = TRANSITIONS[action][1]
    if action in EVENT_OF:
        event(doc, EVENT_OF[action], when, by)
    if action == "accept":
        make_chunks(session, doc, when, by)
    if action in ("reprocess", "close"):
        doc["sub_status"] = "processed"
        refresh_chunks(session, doc["id"])
    shapes.recount(session, doc)
    put_file(session, doc)
    return doc


def move_records(session, records: list[dict], status: str, when: str, by: dict) -> None:
    """Set the records' status (closing stamps closed_at / closed_by)."""
    for record in records:
        record["status"] = status
        if status == "closed" and not record.get("closed_at"):
            record["closed_at"], record["closed_by"] = when, by["name"]
    session.put_many("usage_records", [(r, {}) for r in records])


def make_chunks(session, doc: dict, when: str, by: dict) -> list[dict]:
    """One `ready` chunk per hub of the accepted file's records (their assets' hubs)."""
    hubs: dict[str, tuple[dict, int]] = {}
    for record in records_of(session, doc["id"]):
        hub = _hub_of_record(session, record) or {"id": "", "name": ""}
        seen, count = hubs.get(hub["id"], (hub, 0))
        hubs[hub["id"]] = (seen, count + 1)
    chunks = []
    for n, (hub, count) in enumerate(sorted(hubs.values(), key=lambda p: p[0]["id"]), start=1):
        chunks.append(shapes.chunk_doc(doc, shapes.chunk_id(doc["id"], n), hub, count, when, by))
    session.put_many("usage_chunks", [(c, {}) for c in chunks])
    return chunks


def refresh_chunks(session, file_ident: str) -> None:
    """Chunk counters from their records; a chunk whose records are all closed is closed."""

    for (raw,) in session.conn.execute(
        "SELECT doc FROM usage_chunks WHERE usagefile_id = ?", (file_ident,)
    ).fetchall():
        chunk = json.loads(raw)
        hub = chunk["binding"]["hub"]["id"]
        rows = session.conn.execute(
            "SELECT status, COUNT(*), SUM(COALESCE(external_billing_id, '') <> '') FROM usage_records"
            " WHERE usagefile_id = ? AND COALESCE(hub_id, '') = ? GROUP BY status",
            (file_ident, hub),
        ).fetchall()
        by = {status: count for status, count, _ in rows}
        total = sum(by.values())
        chunk["stats"].update(
            closed=by.get("closed", 0), billed=sum(b or 0 for _, _, b in rows), accepted=total
        )
        if total and by.get("closed", 0) == total and chunk["status"] == "ready":
            chunk["status"] = "closed"
        session.put("usage_chunks", chunk)


def close_record(session, record: dict, body: dict, by: dict) -> dict:
    """Close one approved record with its billing id; the file's counters and chunks follow."""
    if record["status"] != "approved":
        raise ApiError(
            400,
            RECORD_STATE,
            f"Usage record {record['id']} is {record['status']}: only approved records can be closed.",
        )
    billing_id = str(body.get("external_billing_id") or "").strip()
    if not billing_id:
        raise ApiError(400, "VAL_001", "external_billing_id: This field is required.")
    record["external_billing_id"] = billing_id[:200]
    record["external_billing_note"] = str(body.get("external_billing_note") or "")[:200]
    move_records(session, [record], "closed", now_iso(), by)
    return record


def after_records_closed(session, file_idents) -> None:
    """Recount the files (and their chunks) whose records were closed."""
    for ident in sorted(set(file_idents)):
        doc = session.get("usage_files", ident)
        if doc is not None:
            shapes.recount(session, doc)
            put_file(session, doc)
            refresh_chunks(session, ident)
