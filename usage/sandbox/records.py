"""`/usage/records` (list, detail, close, bulk close-records answering 206 with a result per
record) and `/usage/chunks` (list, detail, PUT external_id, close with a billing id), the
provider's side of billing what was accepted."""

from __future__ import annotations

import json

from werkzeug.routing import Rule
from werkzeug.wrappers import Request

from channelhub.sandbox.common import ApiError, bad_request, json_body, json_response, not_found, now_iso
from channelhub.sandbox.connect.routes import PREFIX, authenticated, detail_response, list_response

from . import machine
from . import world as w


def _settled(ctx) -> None:
    with ctx.session() as session:
        machine.settle(session)


@authenticated
def records(ctx, request):
    """GET /usage/records: RQL over the records (usagefile.id, asset.id, product.id, item.id, status,
    start_date, end_date, hub.id, ...)."""
    _settled(ctx)
    return list_response(ctx, request, "usage_records")


@authenticated
def record_detail(ctx, request, ident):
    """GET /usage/records/{id}."""
    _settled(ctx)
    return detail_response(ctx, "usage_records", ident, "Usage record")


@authenticated
def record_close(ctx, request, ident):
    """POST /usage/records/{id}/close {external_billing_id, external_billing_note}: approved -> closed."""
    by = w.require_side(request, w.PROVIDER, "close records of")
    body = json_body(request)
    with ctx.session() as session, session.write():
        record = session.get("usage_records", ident)
        if record is None:
            raise not_found("Usage record", ident)
        record = machine.close_record(session, record, body, by)
        machine.after_records_closed(session, [record["usagefile"]["id"]])
    return json_response(record)


def _list_body(request: Request) -> list:
    data = request.get_data()
    try:
        body = json.loads(data) if data.strip() else None
    except ValueError as exc:
        raise bad_request("Request body is not valid JSON.") from exc
    if not isinstance(body, list):
        raise bad_request("The body must be a list of {id, external_billing_id, external_billing_note}.")
    return body


@authenticated
def close_records(ctx, request):
    """POST /usage/records/close-records [{id, external_billing_id, external_billing_note}]: 206, one
    `{id, error_details, error_codes, status}` per item; the good ones close, the others say why."""
    by = w.require_side(request, w.PROVIDER, "close records of")
    items = _list_body(request)
    results, files = [], []
    with ctx.session() as session, session.write():
        for item in items:
            ident = str(item.get("id", "")) if isinstance(item, dict) else ""
            record = session.get("usage_records", ident) if ident else None
            if record is None:
                results.append(
                    _result(ident, None, f"Usage record {ident or '(no id)'} not found.", "NTF_001")
                )
                continue
            try:
                machine.close_record(session, record, item, by)
            except ApiError as exc:
                results.append(_result(ident, record["status"], " ".join(exc.messages), exc.code))
                continue
            files.append(record["usagefile"]["id"])
            results.append(_result(ident, "closed", "", None))
        machine.after_records_closed(session, files)
    return json_response(results, 206)


def _result(ident, status, detail, code) -> dict:
    return {
        "id": ident,
        "error_details": detail or None,
        "error_codes": [code] if code else [],
        "status": status,
    }


@authenticated
def chunks(ctx, request):
    """GET /usage/chunks: the provider's per-hub slices (status, usagefile.id, provider.id, binding.hub.id)."""
    _settled(ctx)
    return list_response(ctx, request, "usage_chunks")


@authenticated
def chunk_detail(ctx, request, ident):
    """GET /usage/chunks/{id}; PUT {external_id} (required)."""
    if request.method == "GET":
        return detail_response(ctx, "usage_chunks", ident, "Usage chunk")
    w.require_side(request, w.PROVIDER, "update chunks of")
    body = json_body(request)
    external_id = str(body.get("external_id") or "").strip()
    if not external_id:
        raise bad_request("external_id: This field is required.")
    if len(external_id) > 200:
        raise bad_request("external_id: Ensure this field has no more than 200 characters.")
    with ctx.session() as session, session.write():
        chunk = _chunk(session, ident)
        chunk["external_id"] = external_id
        chunk["binding"]["external_id"] = external_id
        session.put("usage_chunks", chunk)
    return json_response(chunk)


def _chunk(session, ident: str) -> dict:
    chunk = session.get("usage_chunks", ident)
    if chunk is None:
        raise not_found("Usage chunk", ident)
    return chunk


@authenticated
def chunk_close(ctx, request, ident):
    """POST /usage/chunks/{id}/close {external_billing_id (required), external_billing_note}: the chunk
    and its approved records close with that billing id (400 UCH_001 unless the chunk is ready)."""
    by = w.require_side(request, w.PROVIDER, "close chunks of")
    body = json_body(request)
    if not str(body.get("external_billing_id") or "").strip():
        raise bad_request("external_billing_id: This field is required.")
    with ctx.session() as session, session.write():
        chunk = _chunk(session, ident)
        if chunk["status"] != "ready":
            raise ApiError(
                400, "UCH_001", f"Usage chunk {ident} is {chunk['status']}: only ready chunks can be closed."
            )
        file_ident, hub = chunk["usagefile"]["id"], chunk["binding"]["hub"]["id"]
        rows = session.conn.execute(
            "SELECT doc FROM usage_records WHERE usagefile_id = ? AND COALESCE(hub_id, '') = ? AND status = 'approved'",
            (file_ident, hub),
        ).fetchall()
        for (raw,) in rows:
            machine.close_record(session, json.loads(raw), body, by)
        chunk.update(status="closed", external_billing_id=str(body["external_billing_id"]).strip()[:200])
        chunk["external_billing_note"] = str(body.get("external_billing_note") or "")[:200]
        chunk["events"]["closed"] = {"at": now_iso(), "by": by}
        session.put("usage_chunks", chunk)
        machine.after_records_closed(session, [file_ident])
        chunk = _chunk(session, ident)
    return json_response(chunk)


def rules() -> list[Rule]:
    """The records and chunks routes."""
    base = PREFIX + "/usage"
    return [
        Rule(base + "/records", endpoint=records, methods=["GET"]),
        Rule(base + "/records/close-records", endpoint=close_records, methods=["POST"]),
        Rule(base + "/records/<ident>", endpoint=record_detail, methods=["GET"]),
        Rule(base + "/records/<ident>/close", endpoint=record_close, methods=["POST"]),
        Rule(base + "/chunks", endpoint=chunks, methods=["GET"]),
        Rule(base + "/chunks/<ident>", endpoint=chunk_detail, methods=["GET", "PUT"]),
        Rule(base + "/chunks/<ident>/close", endpoint=chunk_close, methods=["POST"]),
    ]
