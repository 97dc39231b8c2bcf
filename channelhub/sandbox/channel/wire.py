"""What every Channel handler speaks: the Google error envelope, JSON replies with the charset
Google sends, RFC 3339 timestamps with `Z`, request bodies and `requestId` validation.

The error envelope is AIP-193's (`{"error": {code, message, status, details}}`), where `code` is
the HTTP status and `status` the canonical name; Channel-specific names (NOT_ACTIVE, ...) travel
as `ErrorInfo.reason` and at the start of the message, the reading channel-api.md §5 suggests.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime

from werkzeug.wrappers import Request, Response

from ..common import ApiError, dumps

ACCOUNT_ID = "C01sandbx"
ACCOUNT = f"accounts/{ACCOUNT_ID}"
ADMIN_EMAIL = "admin@reseller.example"
RESELLER_DOMAIN = "reseller.example"
SCOPE = "https://www.googleapis.com/auth/apps.order"
CONTENT_TYPE = "application/json; charset=UTF-8"
ERROR_DOMAIN = "cloudchannel.googleapis.com"
TYPE_PREFIX = "type.googleapis.com/"
CHANNEL_TYPE = TYPE_PREFIX + "google.cloud.channel.v1."

# canonical code -> (HTTP status, gRPC number), google.rpc.Code
CANONICAL = {
    "CANCELLED": (499, 1),
    "UNKNOWN": (500, 2),
    "INVALID_ARGUMENT": (400, 3),
    "DEADLINE_EXCEEDED": (504, 4),
    "NOT_FOUND": (404, 5),
    "ALREADY_EXISTS": (409, 6),
    "PERMISSION_DENIED": (403, 7),
    "RESOURCE_EXHAUSTED": (429, 8),
    "FAILED_PRECONDITION": (400, 9),
    "ABORTED": (409, 10),
    "OUT_OF_RANGE": (400, 11),
    "UNIMPLEMENTED": (501, 12),
    "INTERNAL": (500, 13),
    "UNAVAILABLE": (503, 14),
    "DATA_LOSS": (500, 15),
    "UNAUTHENTICATED": (401, 16),
}
GRPC_NAMES = {number: name for name, (_, number) in CANONICAL.items()}
# HTTP status -> canonical name, for errors that start from a status (faults, 404/405/500)
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "UNIMPLEMENTED",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def error_info(reason: str, metadata: dict | None = None) -> dict:
    """A google.rpc.ErrorInfo detail carrying Channel's `reason`."""
    return {
        "@type": TYPE_PREFIX + "google.rpc.ErrorInfo",
        "reason": reason,
        "domain": ERROR_DOMAIN,
        "metadata": metadata or {},
    }


class GoogleError(ApiError):
    """An error answered in the Google envelope. Subclasses the core's ApiError so any code path
    that already turns ApiError into a response (app.dispatch) answers this format too."""

    def __init__(self, status: str, message: str, reason: str | None = None, headers: dict | None = None):
        http, _ = CANONICAL[status]
        super().__init__(http, status, message, headers)
        self.canonical = status
        self.reason = reason
        self.message = message

    def envelope(self) -> dict:
        """The error as AIP-193's `{"error": {code, message, status, details}}`."""
        error = {"code": self.status, "message": self.message, "status": self.canonical}
        if self.reason:
            error["details"] = [error_info(self.reason)]
        return {"error": error}

    def rpc_status(self) -> dict:
        """The same error as a google.rpc.Status, for Operation.error (gRPC number as code)."""
        status = {"code": CANONICAL[self.canonical][1], "message": self.message}
        if self.reason:
            status["details"] = [error_info(self.reason)]
        return status

    def response(self) -> Response:
        """The envelope as a reply with the error's HTTP status."""
        return reply(self.envelope(), self.status, self.headers)


def error_response(status: int, message: str, headers: dict | None = None) -> Response:
    """A Google-envelope reply for an HTTP status chosen outside the module (faults, routing)."""
    body = {"error": {"code": status, "message": message, "status": STATUS_NAMES.get(status, "UNKNOWN")}}
    return reply(body, status, headers)


def invalid(message: str, reason: str | None = None) -> GoogleError:
    """400 INVALID_ARGUMENT (with a reason if given)."""
    return GoogleError("INVALID_ARGUMENT", message, reason)


def not_found(what: str, name: str) -> GoogleError:
    """404 NOT_FOUND for a resource name."""
    return GoogleError("NOT_FOUND", f"{what} {name} not found.", "NOT_FOUND")


def precondition(reason: str, message: str) -> GoogleError:
    """400 FAILED_PRECONDITION whose message starts with the Channel reason (NOT_ACTIVE: ...)."""
    return GoogleError("FAILED_PRECONDITION", f"{reason}: {message}", reason)


def reply(obj, status: int = 200, headers: dict | None = None) -> Response:
    """A JSON reply with Google's `application/json; charset=UTF-8`."""
    response = Response(dumps(obj).encode(), status=status, content_type=CONTENT_TYPE)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def json_body(request: Request) -> dict:
    """The request's JSON object body ({} if empty); 400 INVALID_ARGUMENT otherwise."""
    data = request.get_data()
    if not data.strip():
        return {}
    try:
        body = json.loads(data)
    except ValueError:
        raise invalid("Invalid JSON payload received.") from None
    if not isinstance(body, dict):
        raise invalid("Invalid JSON payload received: expected an object.")
    return body


def check_request_id(value) -> str | None:
    """requestId must be an RFC 4122 UUID other than the all-zero one (§6); absent is fine."""
    if value in (None, ""):
        return None
    try:
        parsed = uuid.UUID(str(value))
    except ValueError:
        raise invalid(f"request_id {value!r} is not a valid UUID.", "INVALID_VALUE") from None
    if parsed.int == 0:
        raise invalid("request_id must not be the zero UUID.", "INVALID_VALUE")
    return str(parsed)


def rfc3339(dt: datetime) -> str:
    """Google's timestamp form: UTC with `Z`, fractional digits only when there are some."""
    dt = dt.astimezone(UTC)
    text = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if dt.microsecond:
        text += f".{dt.microsecond:06d}"
    return text + "Z"


def parse_time(text: str) -> datetime:
    """An RFC 3339 timestamp (Z or offset, 0-9 fractional digits) as an aware datetime."""
    value = str(text).strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    head, sep, tail = value.partition(".")
    if sep:  # Python accepts at most 6 fractional digits
        frac = re.match(r"\d*", tail).group()
        tail = frac[:6] + tail[len(frac) :]
        value = f"{head}.{tail}"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no time zone")
    return parsed.astimezone(UTC)


def micros(text: str) -> int:
    """A timestamp as integer microseconds since 1970: the sortable form kept in columns."""
    dt = parse_time(text)
    return int(dt.timestamp()) * 1_000_000 + dt.microsecond


def now() -> str:
    """The wall clock as an RFC 3339 timestamp (live changes; the seed counts from EPOCH)."""
    return rfc3339(datetime.now(UTC))
