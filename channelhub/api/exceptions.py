"""Errors of the read API: always JSON in Connect's shape, `{"error_code", "errors"}`.

Connect's clients (connect-openapi-client's `ClientError`) read exactly these two keys, so a
team pointing one at `/api/v1/connect` sees our reasons the way it sees Connect's. RQL
errors (django-rql raises them while filtering) and database errors caused by a value the
database refuses (a NUL byte on PostgreSQL, a number out of range) are the client's fault:
400 with the reason, never a 500.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError, DataError
from django.http import Http404
from py_rql.exceptions import RQLFilterError, RQLFilterLookupError, RQLFilterParsingError, RQLFilterValueError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


def _timeout_ms() -> int:
    return settings.API_STATEMENT_TIMEOUT_MS


class BadQuery(exceptions.APIException):
    """A query the API refuses (limit out of range, offset too deep, a bad select path)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Bad query."
    default_code = "QUERY_001"

    def __init__(self, detail, code=None, details=None):
        super().__init__(detail, code or self.default_code)
        self.error_code = code or self.default_code
        self.details = details


_RQL_CODES = {
    RQLFilterParsingError: ("RQL_001", "Invalid RQL expression"),
    RQLFilterLookupError: ("RQL_002", "Unknown filter or lookup not allowed"),
    RQLFilterValueError: ("RQL_003", "Bad value for the filter's type"),
}
_STATUS_CODES = {
    401: "AUTH_001",
    403: "AUTH_002",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    429: "THROTTLED",
}


def _rql_reason(exc: RQLFilterError) -> tuple[str, list[str], dict]:
    code, title = next((v for k, v in _RQL_CODES.items() if isinstance(exc, k)), ("RQL_000", "RQL error"))
    details = exc.details if isinstance(exc.details, dict) else {}
    if "error" in details:
        message = f"{title}: {details['error']}"
    elif "filter" in details:
        message = (
            f"{title}: filter '{details.get('filter')}', lookup '{details.get('lookup')}', "
            f"value '{details.get('value')}'"
        )
    else:
        message = title
    return code, [message], details


def _flatten(detail) -> list[str]:
    if isinstance(detail, dict):
        return [f"{key}: {msg}" for key, value in detail.items() for msg in _flatten(value)]
    if isinstance(detail, list):
        return [msg for item in detail for msg in _flatten(item)]
    return [str(detail)]


# PostgreSQL's SQLSTATE for a statement cancelled by statement_timeout (or by an operator).
QUERY_CANCELED = "57014"


def _cancelled(exc: Exception) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) == QUERY_CANCELED


def api_exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER for the read API (settings.REST_FRAMEWORK)."""
    if isinstance(exc, DatabaseError) and _cancelled(exc):
        view = context.get("view")
        logger.warning("API query cancelled after %s ms in %s", _timeout_ms(), type(view).__name__)
        return Response(
            {
                "error_code": "QUERY_TOO_EXPENSIVE",
                "errors": [
                    f"The query ran longer than the API allows ({_timeout_ms()} ms, "
                    "API_STATEMENT_TIMEOUT_MS) and was cancelled: narrow the filters, "
                    "lower the limit or select(-...) fewer paths."
                ],
                "details": {"limit": "API_STATEMENT_TIMEOUT_MS", "max": _timeout_ms()},
            },
            status=503,
        )
    if isinstance(exc, RQLFilterError):
        code, errors, details = _rql_reason(exc)
        return Response({"error_code": code, "errors": errors, "details": details}, status=400)
    if isinstance(exc, DataError | OverflowError):
        view = context.get("view")
        logger.info("API query refused by the database in %s: %s", type(view).__name__, exc)
        return Response(
            {"error_code": "VAL_001", "errors": ["A filter value is not valid for the database."]},
            status=400,
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django log it and answer 500
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    if isinstance(exc, Http404):
        detail = "Object not found."
    code = exc.error_code if isinstance(exc, BadQuery) else None
    body = {
        "error_code": code or _STATUS_CODES.get(response.status_code, "VAL_001"),
        "errors": _flatten(detail),
    }
    if isinstance(exc, BadQuery) and exc.details:
        body["details"] = exc.details
    response.data = body
    return response
