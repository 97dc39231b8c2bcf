"""Each request's id and latency.

The id is the incoming `X-Request-ID` when it is a safe short token (a proxy's or a caller's,
so their logs and ours meet), else a new one; it is on `request.request_id`, in every log line
of the request (`log_context`) and echoed in the response's `X-Request-ID`. The time to answer
is observed in `channelhub_http_request_duration_seconds` by the resolved URL name, never the
raw path (`unmatched` when nothing resolved), so the number of series stays that of the URL conf.
"""

from __future__ import annotations

import re
import time
import uuid

from .logs import log_context
from .metrics import observe_request

HEADER = "X-Request-ID"
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def request_id_of(request) -> str:
    """The caller's X-Request-ID if it is a safe short token, else a new random one."""
    given = request.headers.get(HEADER, "")
    if SAFE_REQUEST_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


def endpoint_of(request) -> str:
    """The resolved URL's name (`admin:index`, `connect-request-list`), the view's
    dotted path for an unnamed URL, `unmatched` when none resolved (a 404, a redirect before)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or "unnamed"


class RequestContextMiddleware:
    """Gives the request its id (logs, response header) and observes its latency."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        """Answer the request within its log context; time it; echo its id."""
        request.request_id = request_id_of(request)
        started = time.perf_counter()
        with log_context(request_id=request.request_id):
            response = self.get_response(request)
        method = request.method if request.method in METHODS else "other"
        observe_request(endpoint_of(request), method, response.status_code, time.perf_counter() - started)
        response[HEADER] = request.request_id
        return response
