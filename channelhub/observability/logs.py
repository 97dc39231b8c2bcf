"""Log lines that say what they belong to, and carry nothing secret.

`log_context(sync_run=..., action=..., ...)` puts ids in a context variable for the work inside
it: the middleware sets `request_id` for a request, the sync engine `sync_run`, the outbox's
sender `action`, the automation runner `automation_task`, so a worker's lines carry them too.
`ContextFilter` copies them onto each record; `JsonFormatter` writes one JSON object a line
(`LOG_FORMAT=json`): time, level, logger, message and those ids, never a header or a body.
`RedactSecrets` masks `ApiKey ...` and `Bearer ...` credentials, URL passwords and the secret
values this process knows (`channelhub.reporting.mask_secrets`) in every line, plain or JSON, as
a second line of defence: upstream errors are built without headers already
(`channelhub.upstream.errors`).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType

# The ids a line may carry, in the order they are written.
IDS = ("request_id", "sync_run", "action", "automation_task")
MASK = "********"

_context: ContextVar[Mapping[str, object]] = ContextVar(
    "channelhub_log_context", default=MappingProxyType({})
)
# A credential after its scheme, up to a space, quote, comma, semicolon or bracket.
_CREDENTIAL = re.compile(r"\b(ApiKey|Bearer)\s+[^\s'\",;)\]}]+")


@contextmanager
def log_context(**ids: object) -> Iterator[None]:
    """Within the block, every log line carries `ids` (added to those of an outer block)."""
    unknown = set(ids) - set(IDS)
    if unknown:
        raise TypeError(f"not a log id: {', '.join(sorted(unknown))}")
    merged = {**_context.get(), **{key: value for key, value in ids.items() if value is not None}}
    token = _context.set(MappingProxyType(merged))
    try:
        yield
    finally:
        _context.reset(token)


def current_ids() -> dict[str, object]:
    """The ids of the current context (a copy)."""
    return dict(_context.get())


def redact(text: str) -> str:
    """`text` with credentials after `ApiKey`/`Bearer`, URL passwords and known secrets masked."""
    text = _CREDENTIAL.sub(lambda m: f"{m.group(1)} {MASK}", text)
    return _mask_known_secrets(text)


def _mask_known_secrets(text: str) -> str:
    """The error reports' masking, once Django is set up (logging is configured before)."""
    from django.apps import apps  # noqa: PLC0415 - logging is configured before the apps load
    from django.conf import settings  # noqa: PLC0415 - as above

    if not (settings.configured and apps.ready):
        return text
    from channelhub.reporting import mask_secrets  # noqa: PLC0415 - imports Django's debug views

    return mask_secrets(text)


class ContextFilter(logging.Filter):
    """Puts the context's ids on each record (`record.sync_run`, ...); a `django.request`
    record's request gives its `request_id` (logged after the middleware has returned)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the ids; never drops a record."""
        for key, value in _context.get().items():
            if getattr(record, key, None) is None:
                setattr(record, key, value)
        request_id = getattr(getattr(record, "request", None), "request_id", None)
        if request_id and getattr(record, "request_id", None) is None:
            record.request_id = request_id
        return True


class RedactSecrets(logging.Filter):
    """Masks credentials in a record's message, traceback and stack (see `redact`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite what is secret; never drops a record."""
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format: the handler reports it when formatting
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, the ids it belongs
    to, a `django.request` line's status code, and the traceback if any. Nothing else of the
    record (a request's headers or body never)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        context = _context.get()
        for key in IDS:
            value = getattr(record, key, None)
            if value is None:
                value = context.get(key)
            if value is not None:
                line[key] = value
        status = getattr(record, "status_code", None)
        if isinstance(status, int):
            line["status_code"] = status
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)
