"""Long-running operations (channel-api.md §4) and requestId idempotency (§6).

A state-changing call is checked at once (validation, permission and state errors come back
synchronously as HTTP errors, like upstream), then becomes an operation row. Nothing changes
until the operation completes: at once when the delay knobs are 0 (the POST reply is already
`done: true`), otherwise on the operations.get poll that finds it due. Completion re-runs the
action's checks against the state of that moment (another change may have won meanwhile), then
applies it; a failed check, or a failure queued with the `lro_fail_next` knob, ends the
operation with `error` = google.rpc.Status (gRPC number, e.g. 9 FAILED_PRECONDITION, the Channel
name as ErrorInfo.reason) and applies nothing.

requestId: (account, operation type, target, requestId) maps to the first operation; the same
key returns that operation again (same name, applied once). The same key with a different body
is 409 ABORTED (reason REQUEST_ID_CONFLICT): the id was reused for another request, a
concurrency-style conflict rather than an existing resource.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable

from ..common import dumps
from ..store import Session
from . import collections as c
from . import data, shapes
from .knobs import KnobBox
from .wire import ACCOUNT, ACCOUNT_ID, CHANNEL_TYPE, GRPC_NAMES, TYPE_PREFIX, GoogleError, error_info

# An action: (session, target name, payload, operator, commit) -> the response resource.
# With commit=False it only checks; with commit=True it checks again and applies.
Action = Callable[[Session, str, dict, str, bool], dict]

RESULT_TYPES = {
    "CANCEL_ENTITLEMENT": TYPE_PREFIX + "google.protobuf.Empty",
    "PROVISION_CLOUD_IDENTITY": CHANNEL_TYPE + "Customer",
    "TRANSFER_ENTITLEMENTS": CHANNEL_TYPE + "TransferEntitlementsResponse",
    "TRANSFER_ENTITLEMENTS_TO_GOOGLE": TYPE_PREFIX + "google.protobuf.Empty",
}
ENTITLEMENT_TYPE = CHANNEL_TYPE + "Entitlement"


def _body_hash(body: dict) -> str:
    return hashlib.sha256(dumps(body).encode()).hexdigest()


def _request_key(operation_type: str, target: str, request_id: str) -> str:
    return hashlib.sha256(f"{ACCOUNT}|{operation_type}|{target}|{request_id}".encode()).hexdigest()


def submit(
    session: Session,
    knobs: KnobBox,
    actions: dict[str, Action],
    *,
    operation_type: str,
    target: str,
    payload: dict,
    operator: str,
    body: dict,
    request_id: str | None,
) -> dict:
    """Check, then start (and maybe complete) an operation; returns the public Operation."""
    with session.write():
        if request_id:
            key = _request_key(operation_type, target, request_id)
            seen = data.get(session, c.REQUEST_IDS, key)
            if seen is not None:
                if seen["body"] != _body_hash(body):
                    raise GoogleError(
                        "ABORTED",
                        f"request_id {request_id} was already used for a different request.",
                        "REQUEST_ID_CONFLICT",
                    )
                return data.get(session, c.OPERATIONS, seen["operation"])["operation"]
        action = actions[operation_type]
        action(session, target, payload, operator, False)
        record = _new_record(knobs, operation_type, target, payload, operator)
        if record["polls_left"] <= 0 and record["due"] <= time.time():
            _complete(session, actions, record)
        data.put(session, c.OPERATIONS, record["operation"]["name"], record)
        if request_id:
            data.put(
                session,
                c.REQUEST_IDS,
                _request_key(operation_type, target, request_id),
                {"operation": record["operation"]["name"], "body": _body_hash(body)},
            )
    return record["operation"]


def _new_record(knobs: KnobBox, operation_type: str, target: str, payload: dict, operator: str) -> dict:
    settings = knobs.get()
    failure = knobs.take_failure(operation_type)
    # opaque, and with slashes on purpose: clients must not assume a single path segment
    name = f"operations/{ACCOUNT_ID}/{operation_type.lower()}/{uuid.uuid4().hex}"
    return {
        "operation": {"name": name, "metadata": shapes.operation_metadata(operation_type)},
        "status": "running",
        "type": operation_type,
        "target": target,
        "payload": payload,
        "operator": operator,
        "due": time.time() + settings.lro_delay_seconds,
        "polls_left": settings.lro_polls,
        "fail": _failure_status(failure, operation_type) if failure else None,
    }


def _failure_status(failure: dict, operation_type: str) -> dict:
    code = failure["code"]
    reason = failure.get("reason") or GRPC_NAMES.get(code, "UNKNOWN")
    message = failure.get("message") or f"{reason}: {operation_type} failed in fulfillment."
    return {"code": code, "message": message, "details": [error_info(reason)]}


def _complete(session: Session, actions: dict[str, Action], record: dict) -> None:
    operation = record["operation"]
    if record["fail"]:
        operation["error"] = record["fail"]
    else:
        try:
            result = actions[record["type"]](
                session, record["target"], record["payload"], record["operator"], True
            )
        except GoogleError as exc:
            operation["error"] = exc.rpc_status()
        else:
            operation["response"] = {"@type": RESULT_TYPES.get(record["type"], ENTITLEMENT_TYPE), **result}
    operation["done"] = True
    record["status"] = "failed" if "error" in operation else "done"


def poll(session: Session, actions: dict[str, Action], name: str) -> dict:
    """operations.get: counts the poll and completes the operation when it is due."""
    with session.write():
        record = data.get(session, c.OPERATIONS, name)
        if record is None:
            raise GoogleError("NOT_FOUND", f"Operation {name} not found.", "NOT_FOUND")
        if not record["operation"].get("done"):
            record["polls_left"] -= 1
            if record["polls_left"] <= 0 and record["due"] <= time.time():
                _complete(session, actions, record)
            data.put(session, c.OPERATIONS, name, record)
    return record["operation"]
