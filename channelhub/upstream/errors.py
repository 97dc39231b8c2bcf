"""One exception hierarchy for every upstream (Connect, Cloud Channel, CMP).

Callers sort failures by class, never by parsing messages:

- `UpstreamRetryable`: worth trying again later (connection errors, timeouts, 5xx, 429,
  a truncated or malformed body). `maybe_applied` says whether the request may have reached
  the upstream and been acted on (a timeout or a reset after sending), which matters for
  non-idempotent calls: the outbox re-reads the object before re-sending.
- `UpstreamRejected`: the upstream understood and refused (4xx). Carries the upstream's own
  error code and messages, which staff see. `UpstreamNotFound` and `UpstreamUnauthorized`
  are the two cases code branches on.
- `UpstreamNotConfigured`: no URL/credentials in settings; the caller skips, saying so.
"""

from __future__ import annotations


class UpstreamError(Exception):
    """Base of every upstream failure."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        upstream: str = "",
        status: int | None = None,
        code: str = "",
        errors: list[str] | None = None,
        method: str = "",
        url: str = "",
        maybe_applied: bool = False,
    ):
        super().__init__(message)
        self.message = message
        self.upstream = upstream
        self.status = status
        self.code = code
        self.errors = list(errors or [])
        self.method = method
        self.url = url
        self.maybe_applied = maybe_applied

    def __str__(self):
        parts = [f"{self.upstream or 'upstream'}"]
        if self.method:
            parts.append(f"{self.method} {self.url}")
        head = " ".join(parts)
        status = f"HTTP {self.status}" if self.status else "no response"
        detail = f"{self.code}: " if self.code else ""
        detail += "; ".join(self.errors) if self.errors else self.message
        return f"{head}: {status}: {detail}"

    def as_detail(self) -> dict:
        """A JSON-able summary for SyncRun.error_detail and outbox rows (no secrets: no headers)."""
        return {
            "upstream": self.upstream,
            "method": self.method,
            "url": self.url,
            "status": self.status,
            "error_code": self.code,
            "errors": self.errors,
            "message": self.message,
            "retryable": self.retryable,
            "maybe_applied": self.maybe_applied,
        }


class UpstreamNotConfigured(UpstreamError):
    """The upstream has no URL or credentials in settings."""


class UpstreamRetryable(UpstreamError):
    """A transient failure: retry later."""

    retryable = True


class UpstreamTimeout(UpstreamRetryable):
    """No answer in time. The request may have been applied upstream."""


class UpstreamBadResponse(UpstreamRetryable):
    """The upstream answered with a body we could not read (truncated, not JSON, wrong shape)."""


class UpstreamRejected(UpstreamError):
    """The upstream refused the request (4xx). Do not retry; show the upstream's reason."""


class UpstreamNotFound(UpstreamRejected):
    """404: the object does not exist upstream."""


class UpstreamUnauthorized(UpstreamRejected):
    """401/403: credentials missing, wrong or without the right."""
