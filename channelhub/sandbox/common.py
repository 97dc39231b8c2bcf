"""Small helpers shared by the sandbox core and its upstream modules: errors, JSON responses,
clock and id generation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from werkzeug.wrappers import Request, Response

JSON = "application/json"

# Fixed epoch of the seeded world: every seeded timestamp is EPOCH + a seeded offset, never the
# wall clock, so one seed always gives byte-identical state. Live changes use the wall clock.
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


class ApiError(Exception):
    """An error answered as `{"error_code": ..., "errors": [...]}` (Connect's error body)."""

    def __init__(self, status: int, code: str, message: str | list[str], headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.messages = [message] if isinstance(message, str) else list(message)
        self.headers = headers or {}

    def response(self) -> Response:
        """The error as a Connect JSON response with its status and headers."""
        return json_response({"error_code": self.code, "errors": self.messages}, self.status, self.headers)


def not_found(what: str, ident: str) -> ApiError:
    """Connect's 404 NTF_001 for an unknown object, e.g. `Request PR-... not found.`"""
    return ApiError(404, "NTF_001", f"{what} {ident} not found.")


def bad_request(message: str, code: str = "VAL_001") -> ApiError:
    """Connect's 400 (VAL_001 unless another code is given)."""
    return ApiError(400, code, message)


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def dumps(obj) -> str:
    """Compact JSON (no spaces, UTF-8 kept), as the upstreams send it."""
    return _ENCODER.encode(obj)


def json_response(obj, status: int = 200, headers: dict | None = None) -> Response:
    """`obj` as a JSON response."""
    return raw_json_response(dumps(obj), status, headers)


def raw_json_response(text: str, status: int = 200, headers: dict | None = None) -> Response:
    """An already-encoded JSON text as a response (lists are served from stored docs without re-encoding)."""
    response = Response(text.encode(), status=status, content_type=JSON)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def iso(dt: datetime) -> str:
    """Connect's timestamp format: second precision, explicit +00:00."""
    return dt.astimezone(UTC).replace(microsecond=0).isoformat()


def now_iso() -> str:
    """The wall clock in Connect's timestamp format (live changes only; the seed uses `at`)."""
    return iso(datetime.now(UTC))


def at(seconds: float) -> str:
    """A seeded timestamp: the epoch plus an offset in seconds."""
    return iso(EPOCH + timedelta(seconds=int(seconds)))


def digits(rng, n: int) -> str:
    """`n` random decimal digits from `rng`, zero-padded."""
    return f"{rng.randrange(10**n):0{n}d}"


def id_groups(rng, *sizes: int) -> str:
    """Groups of random digits joined by dashes, as in Connect ids (`PR-1234-5678-9012`)."""
    return "-".join(digits(rng, n) for n in sizes)


def json_body(request: Request) -> dict:
    """The request's JSON object body ({} if empty); 400 VAL_001 if it is not a JSON object."""
    data = request.get_data()
    if not data.strip():
        return {}
    try:
        body = json.loads(data)
    except ValueError as exc:
        raise ApiError(400, "VAL_001", "Request body is not valid JSON.") from exc
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ApiError(400, "VAL_001", "Request body must be a JSON object.")
    return body
