"""The shared HTTP session every upstream client is built on.

It owns what every upstream needs the same way: timeouts, retries with exponential backoff
and full jitter (connection errors, timeouts, 5xx, 429 honouring Retry-After), and turning
responses into the `UpstreamError` hierarchy. Upstream-specific clients (connect.py, ...)
add authentication, paths, pagination and error-body parsing on top.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

import orjson
import requests
from requests.adapters import HTTPAdapter

from .errors import (
    UpstreamBadResponse,
    UpstreamError,
    UpstreamNotFound,
    UpstreamRejected,
    UpstreamRetryable,
    UpstreamTimeout,
    UpstreamUnauthorized,
)

logger = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 60.0  # never sleep longer than this on one Retry-After


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry. `backoff` is the first step; it doubles each attempt."""

    max_retries: int = 5
    backoff: float = 0.5
    max_backoff: float = 30.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds before retry `attempt` (from 0): Retry-After (capped) if given, else jittered backoff."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), MAX_RETRY_AFTER)
        cap = min(self.max_backoff, self.backoff * (2**attempt))
        return random.uniform(0, cap)  # full jitter: spreads retries of many workers apart  # noqa: S311


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After is either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


ErrorParser = Callable[[requests.Response], tuple[str, list[str]]]


def _default_error_parser(response: requests.Response) -> tuple[str, list[str]]:
    text = (response.text or "").strip()
    return "", [text[:500]] if text else []


class UpstreamSession:
    """A `requests` session with the upstream's base URL, timeouts, retries and error mapping."""

    def __init__(
        self,
        *,
        upstream: str,
        base_url: str,
        headers: dict[str, str] | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        error_parser: ErrorParser = _default_error_parser,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.upstream = upstream
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.error_parser = error_parser
        self.sleep = sleep
        self.session = session or requests.Session()
        # A pool big enough for the threads of one worker; no urllib3-level retries (ours decide).
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        if headers:
            self.session.headers.update(headers)

    def url(self, path: str, query: str = "") -> str:
        """The full URL of `path` under the base URL, with `query` if any. An absolute URL (a
        link the upstream gave) is taken as it is, but only on the base URL's own host: the
        session's credentials never go to another one."""
        if path.startswith(("http://", "https://")):
            if urllib.parse.urlsplit(path).netloc != urllib.parse.urlsplit(self.base_url).netloc:
                raise ValueError(f"{self.upstream}: refusing to send credentials to {path}")
            url = path
        else:
            url = f"{self.base_url}/{path.lstrip('/')}"
        return f"{url}?{query}" if query else url

    def request(
        self,
        method: str,
        path: str,
        *,
        query: str = "",
        json=None,
        files: dict | None = None,
        idempotent: bool | None = None,
        expect_json: bool = True,
    ) -> requests.Response:
        """Send one request, retrying what is safe to retry. With `expect_json` (the default)
        a successful response's parsed body is in `response.data` (None when empty).

        `query` is a ready-made query string (RQL is not key=value, so callers build it).
        Reads are retried on every transient failure. A non-idempotent call (an action) is
        retried only when it surely did not reach the upstream (connection refused) or the
        upstream said to come back (429, 503); a timeout or reset after sending is raised with
        `maybe_applied=True` so the caller can check the upstream's state before re-sending.
        `files` ({field: (filename, bytes, content type)}) sends a multipart/form-data body
        instead of JSON. Without `expect_json` the body is read whole (a truncated one fails)
        and left in `response.content`.
        """
        if idempotent is None:
            idempotent = method.upper() in ("GET", "HEAD", "OPTIONS", "PUT", "DELETE")
        url = self.url(path, query)
        attempt = 0
        while True:
            try:
                response = self.session.request(method, url, json=json, files=files, timeout=self.timeout)
                response.data = None
                if response.status_code != 204 and response.status_code < 400:
                    self._check_body(response, method, url, parse=expect_json)
            except requests.exceptions.ConnectionError as exc:
                # ConnectTimeout is a ConnectionError too: in both cases nothing was sent.
                sent = not _never_sent(exc)
                error = (
                    UpstreamTimeout
                    if isinstance(exc, requests.exceptions.ConnectTimeout)
                    else UpstreamRetryable
                )(
                    f"connection failed: {exc.__class__.__name__}",
                    upstream=self.upstream,
                    method=method,
                    url=url,
                    maybe_applied=sent,
                )
                retry_ok = idempotent or not sent
                retry_after = None
            except requests.exceptions.Timeout as exc:
                error = UpstreamTimeout(
                    f"no answer within {self.timeout}s ({exc.__class__.__name__})",
                    upstream=self.upstream,
                    method=method,
                    url=url,
                    maybe_applied=True,
                )
                retry_ok = idempotent
                retry_after = None
            except UpstreamBadResponse as exc:
                error = exc
                retry_ok = idempotent
                retry_after = None
            except requests.exceptions.RequestException as exc:
                # ChunkedEncodingError, ContentDecodingError...: the body broke mid-way.
                error = UpstreamBadResponse(
                    f"broken response: {exc.__class__.__name__}",
                    upstream=self.upstream,
                    method=method,
                    url=url,
                    maybe_applied=True,
                )
                retry_ok = idempotent
                retry_after = None
            else:
                if response.status_code < 400:
                    return response
                error = self._error_for(response, method, url)
                if not error.retryable:
                    raise error
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                # 429 and 503 mean "not processed, come back": safe to resend even an action.
                retry_ok = idempotent or response.status_code in (429, 503)
            if not retry_ok or attempt >= self.retry.max_retries:
                raise error
            delay = self.retry.delay(attempt, retry_after)
            logger.warning(
                "%s %s %s failed (%s); retry %d/%d in %.2fs",
                self.upstream,
                method,
                url,
                error,
                attempt + 1,
                self.retry.max_retries,
                delay,
            )
            self.sleep(delay)
            attempt += 1

    def _check_body(self, response: requests.Response, method: str, url: str, *, parse: bool = True) -> None:
        """Read the whole body now so a truncated one fails here (and is retried), not later;
        with `parse`, parse it as JSON into `response.data`."""
        content = response.content  # raises ChunkedEncodingError etc. on a broken stream
        length = response.headers.get("Content-Length")
        if length is not None and length.isdigit() and int(length) != len(content):
            raise UpstreamBadResponse(
                f"truncated body: {len(content)} of {length} bytes",
                upstream=self.upstream,
                status=response.status_code,
                method=method,
                url=url,
                maybe_applied=True,
            )
        response.data = None
        if parse and content and response.status_code != 204:
            try:
                # Parsed once here and kept: callers read `response.data`.
                response.data = orjson.loads(content)
            except orjson.JSONDecodeError:
                raise UpstreamBadResponse(
                    "body is not JSON",
                    upstream=self.upstream,
                    status=response.status_code,
                    method=method,
                    url=url,
                    errors=[response.text[:200]],
                    maybe_applied=True,
                ) from None

    def _error_for(self, response: requests.Response, method: str, url: str) -> UpstreamError:
        code, errors = self.error_parser(response)
        status = response.status_code
        kwargs = dict(upstream=self.upstream, status=status, code=code, errors=errors, method=method, url=url)
        reason = response.reason or "error"
        if status in RETRYABLE_STATUS:
            return UpstreamRetryable(reason, maybe_applied=status not in (429, 503), **kwargs)
        if status == 404:
            return UpstreamNotFound(reason, **kwargs)
        if status in (401, 403):
            return UpstreamUnauthorized(reason, **kwargs)
        if 400 <= status < 500:
            return UpstreamRejected(reason, **kwargs)
        return UpstreamRetryable(reason, maybe_applied=True, **kwargs)


def _never_sent(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the connection failed before the request went out (refused, DNS, connect timeout)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    text = repr(exc)
    return any(s in text for s in ("NewConnectionError", "Connection refused", "NameResolutionError"))
