"""The Google Cloud Channel client. Nothing else in channelhub speaks HTTP to Cloud Channel.

Built on `UpstreamSession` (timeouts, retries with full jitter, Retry-After, truncated-body
detection, the `UpstreamError` hierarchy), with google-auth's `AuthorizedSession` as the
underlying `requests.Session`: a service account impersonating a reseller admin
(`with_subject`), scope `apps.order`. google-auth fetches the token on the first call, reuses
it until it expires and, when the API answers 401 once, refreshes it and resends the request
once by itself (channel-api.md §7b).

What this module adds on top of the session (channel-api.md §2, §4, §5, §8):

- paths: every method is `/v1/{name}` (names keep their slashes, custom verbs their `:`);
- the Google error envelope: `UpstreamError.code` is the Channel error name (ErrorInfo.reason,
  e.g. NOT_ACTIVE) when there is one, else the canonical status (FAILED_PRECONDITION);
  `errors` is [the name in plain words for staff, the upstream's message];
- page tokens, followed through empty pages that still carry one, with `pageSize` clamped to
  each method's maximum;
- long-running operations: polling with backoff and reading the result, where an error is a
  `google.rpc.Status` with a *gRPC* code (a different table from HTTP statuses);
- token-endpoint failures (google-auth's RefreshError / TransportError) mapped into the same
  hierarchy, so no caller ever sees a google-auth exception.

int64 values (seat counts, money units) stay strings in payloads; the mappers convert them.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import requests
from django.conf import settings
from google.auth import exceptions as auth_exceptions
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account

from .channel_reads import ChannelReads
from .channel_transfers import ChannelTransfers
from .channel_words import TOKEN_ENDPOINT_DOWN, plain_words
from .channel_writes import ChannelWrites
from .errors import (
    UpstreamBadResponse,
    UpstreamNotConfigured,
    UpstreamRejected,
    UpstreamRetryable,
    UpstreamUnauthorized,
)
from .http import RetryPolicy, UpstreamSession

logger = logging.getLogger(__name__)

SCOPES = ["https://www.googleapis.com/auth/apps.order"]
API_VERSION = "v1"

# The documented maximum page size of each list method, by the list's items key (§2). Bigger
# values are coerced by most methods, but customers.list only says "maximum is 50": clamp all.
PAGE_SIZE_MAX = {
    "customers": 50,
    "entitlements": 100,
    "entitlementChanges": 50,
    "channelPartnerLinks": 200,
    "offers": 1000,
    "products": 1000,
    "skus": 1000,
    "purchasableOffers": 1000,
    "purchasableSkus": 1000,
    "transferableOffers": 1000,
    "transferableSkus": 1000,
}

# gRPC code numbers (google.rpc.Code): what an Operation's `error.code` carries.
GRPC_CODES = {
    0: "OK",
    1: "CANCELLED",
    2: "UNKNOWN",
    3: "INVALID_ARGUMENT",
    4: "DEADLINE_EXCEEDED",
    5: "NOT_FOUND",
    6: "ALREADY_EXISTS",
    7: "PERMISSION_DENIED",
    8: "RESOURCE_EXHAUSTED",
    9: "FAILED_PRECONDITION",
    10: "ABORTED",
    11: "OUT_OF_RANGE",
    12: "UNIMPLEMENTED",
    13: "INTERNAL",
    14: "UNAVAILABLE",
    15: "DATA_LOSS",
    16: "UNAUTHENTICATED",
}
# An operation that failed with one of these may succeed if started again (with the same requestId).
RETRYABLE_GRPC_CODES = frozenset({2, 4, 8, 10, 13, 14})

LRO_POLL_FACTOR = 1.5
LRO_POLL_MAX = 20.0  # api-core's DEFAULT_POLLING cap


class ChannelOperationFailed(UpstreamRejected):
    """A long-running operation ended with a permanent error (its gRPC code is in `grpc_code`)."""

    grpc_code: int | None = None


class ChannelOperationRetryable(UpstreamRetryable):
    """A long-running operation ended with a transient error: start it again (same requestId)."""

    grpc_code: int | None = None


@dataclass
class ChannelPage:
    """One page of a Channel list: its items, and the token of the next page ("" at the end)."""

    items: list[dict]
    next_page_token: str


def _first_reason(details) -> str:
    """The `reason` of the first google.rpc.ErrorInfo among an error's details, or ""."""
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.ErrorInfo"):
            reason = detail.get("reason")
            if reason:
                return str(reason)
    return ""


def _describe(name: str, message: str) -> list[str]:
    errors = []
    if name:
        errors.append(plain_words(name))
    if message and message not in errors:
        errors.append(message)
    return errors


def _google_error(response: requests.Response) -> tuple[str, list[str]]:
    """The AIP-193 envelope -> (Channel error name or canonical status, [plain words, message])."""
    try:
        body = response.json()
    except ValueError:
        text = (response.text or "").strip()
        return "", [text[:500]] if text else []
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        # OAuth-style {"error": "invalid_grant", ...} or something else entirely
        return str(error or ""), [str(body)[:500]]
    name = _first_reason(error.get("details")) or str(error.get("status") or "")
    return name, _describe(name, str(error.get("message") or ""))


def operation_result(operation: dict) -> dict:
    """The result of a done Operation: its `response` without "@type" ({} for Empty).

    An `error` raises ChannelOperationRetryable (transient gRPC codes) or ChannelOperationFailed;
    `code` is the Channel error name from ErrorInfo when present, else the gRPC code's name.
    Done with neither field raises UpstreamBadResponse (api-core does the same); not done is a
    programming error (ValueError): wait for it first.
    """
    name = str(operation.get("name") or "")
    if not operation.get("done"):
        raise ValueError(f"operation {name} is not done yet")
    error = operation.get("error")
    if isinstance(error, dict):
        number = error.get("code")
        number = number if isinstance(number, int) else 2
        grpc_name = GRPC_CODES.get(number, "UNKNOWN")
        channel_name = _first_reason(error.get("details")) or grpc_name
        message = str(error.get("message") or "")
        cls = ChannelOperationRetryable if number in RETRYABLE_GRPC_CODES else ChannelOperationFailed
        exc = cls(
            message or grpc_name,
            upstream=ChannelClient.upstream,
            code=channel_name,
            errors=_describe(channel_name, message),
            method="OPERATION",
            url=name,
            maybe_applied=False,
        )
        exc.grpc_code = number
        raise exc
    response = operation.get("response")
    if isinstance(response, dict):
        return {k: v for k, v in response.items() if k != "@type"}
    raise UpstreamBadResponse(
        "operation is done with neither a response nor an error",
        upstream=ChannelClient.upstream,
        method="OPERATION",
        url=name,
    )


class TokenEndpointUnreachable(requests.exceptions.ConnectTimeout):
    """google-auth could not reach the token endpoint. A ConnectTimeout to UpstreamSession: like
    one, it proves the API request itself was never sent, so even an action is safely retried."""


class _ChannelAuthorizedSession(AuthorizedSession):
    """AuthorizedSession whose token failures surface as requests/Upstream errors.

    google-auth raises its own exceptions from inside `request` when the token endpoint fails;
    UpstreamSession only knows requests' exceptions. A transport failure becomes a connection
    failure (retried by UpstreamSession); a refusal becomes UpstreamUnauthorized and a
    refresh that google-auth already retried (5xx from the token endpoint) UpstreamRetryable.
    """

    def request(self, method, url, *args, **kwargs):
        try:
            return super().request(method, url, *args, **kwargs)
        except auth_exceptions.RefreshError as exc:
            # google-auth marks a refusal (400/401: a bad or revoked key) as not retryable and
            # an outage (5xx, 429) as retryable. Only a refusal is a credentials problem.
            if getattr(exc, "retryable", False):
                cls, code, words = UpstreamRetryable, "UNAVAILABLE", TOKEN_ENDPOINT_DOWN
            else:
                cls, code, words = UpstreamUnauthorized, "UNAUTHENTICATED", plain_words("UNAUTHENTICATED")
            raise cls(
                "could not get an access token",
                upstream=ChannelClient.upstream,
                code=code,
                errors=[words, f"token endpoint: {exc}"[:500]],
                method=method,
                url=url,
                maybe_applied=False,
            ) from exc
        except auth_exceptions.TransportError as exc:
            raise TokenEndpointUnreachable(f"token endpoint unreachable: {exc}") from exc


# Credentials by (key file, its mtime, admin): a process keeps one token per identity across
# clients (a client is built per sync run or outbox attempt), refreshed only when it expires.
_credentials_cache: dict[tuple, service_account.Credentials] = {}
_credentials_lock = threading.Lock()


def load_credentials(credentials_file: str, admin_email: str) -> service_account.Credentials:
    """The service account's credentials impersonating `admin_email`, cached per key file version."""
    path = Path(credentials_file)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise UpstreamNotConfigured(
            f"Cloud Channel credentials file {credentials_file!r} cannot be read ({exc.strerror})",
            upstream=ChannelClient.upstream,
        ) from exc
    key = (str(path.resolve()), mtime, admin_email)
    with _credentials_lock:
        credentials = _credentials_cache.get(key)
        if credentials is None:
            try:
                credentials = service_account.Credentials.from_service_account_file(
                    str(path), scopes=SCOPES
                ).with_subject(admin_email)
            except (ValueError, KeyError) as exc:
                raise UpstreamNotConfigured(
                    f"Cloud Channel credentials file {credentials_file!r} is not a service-account key: {exc}",
                    upstream=ChannelClient.upstream,
                ) from exc
            _credentials_cache.clear()  # an older version of the key is of no further use
            _credentials_cache[key] = credentials
    return credentials


def clear_credentials_cache() -> None:
    """Forget cached tokens (tests; or after rotating a key in place with the same mtime)."""
    with _credentials_lock:
        _credentials_cache.clear()


class ChannelClient(ChannelReads, ChannelWrites, ChannelTransfers):
    """Talks to one Cloud Channel API (`CHANNEL_API_URL`) as one reseller account.

    Its typed reads (get_customer, purchasable_offers, ...) are in `channel_reads.ChannelReads`,
    its writes (entitlement operations, customers, partner links) in `channel_writes.ChannelWrites`,
    the transfers (transferable SKUs and offers, import, transfer in and to Google) in
    `channel_transfers.ChannelTransfers`."""

    upstream = "channel"

    def __init__(
        self,
        *,
        base_url: str,
        account_id: str,
        credentials,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        lro_wait: float = 60.0,
        lro_poll_initial: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if not base_url or not account_id or credentials is None:
            raise UpstreamNotConfigured(_not_configured_message(), upstream=self.upstream)
        base_url = base_url.rstrip("/")
        if base_url.endswith(f"/{API_VERSION}"):  # tolerate a URL given with the version
            base_url = base_url[: -len(API_VERSION) - 1]
        self.account = f"accounts/{account_id.removeprefix('accounts/')}"
        self.lro_wait = lro_wait
        self.lro_poll_initial = lro_poll_initial
        self.sleep = sleep
        session = _ChannelAuthorizedSession(credentials, max_refresh_attempts=1)
        self.http = UpstreamSession(
            upstream=self.upstream,
            base_url=f"{base_url}/{API_VERSION}",
            headers={"Accept": "application/json", "User-Agent": "channelhub/0.1"},
            timeout=timeout,
            retry=retry,
            error_parser=_google_error,
            session=session,
            sleep=sleep,
        )

    @classmethod
    def is_configured(cls) -> bool:
        """Whether the API URL, account, credentials file and admin email are all set."""
        return bool(
            settings.CHANNEL_API_URL
            and settings.CHANNEL_ACCOUNT_ID
            and settings.CHANNEL_CREDENTIALS_FILE
            and settings.CHANNEL_ADMIN_EMAIL
        )

    @classmethod
    def from_settings(cls) -> ChannelClient:
        """A client from the CHANNEL_* and UPSTREAM_* settings; UpstreamNotConfigured if one is missing."""
        if not cls.is_configured():
            raise UpstreamNotConfigured(_not_configured_message(), upstream=cls.upstream)
        return cls(
            base_url=settings.CHANNEL_API_URL,
            account_id=settings.CHANNEL_ACCOUNT_ID,
            credentials=load_credentials(settings.CHANNEL_CREDENTIALS_FILE, settings.CHANNEL_ADMIN_EMAIL),
            timeout=settings.UPSTREAM_TIMEOUT,
            retry=RetryPolicy(max_retries=settings.UPSTREAM_MAX_RETRIES, backoff=settings.UPSTREAM_BACKOFF),
            lro_wait=settings.CHANNEL_LRO_WAIT_SECONDS,
            lro_poll_initial=settings.CHANNEL_LRO_POLL_INITIAL,
        )

    # --- plumbing --------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        body: dict | None = None,
        idempotent: bool | None = None,
    ) -> dict:
        query = urllib.parse.urlencode(
            {k: v for k, v in (params or {}).items() if v is not None and v != ""}, doseq=True
        )
        response = self.http.request(
            method,
            path.lstrip("/"),
            query=query,
            json=body if method in ("POST", "PATCH", "PUT") else None,
            idempotent=idempotent,
        )
        data = response.data
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise UpstreamBadResponse(
                "expected a JSON object",
                upstream=self.upstream,
                status=response.status_code,
                method=method,
                url=path,
            )
        return data

    # --- reads (typed ones: ChannelReads, in channel_reads.py) --------------------------------

    def get(self, name: str, params: dict | None = None) -> dict:
        """GET /v1/{name}: one resource."""
        return self._call("GET", name, params=params)

    def list_page(
        self,
        path: str,
        items_key: str,
        *,
        page_size: int | None = None,
        page_token: str = "",
        params: dict | None = None,
    ) -> ChannelPage:
        """GET one page of a list. An empty page may still carry a token: keep going."""
        query = dict(params or {})
        if page_size is not None:
            limit = PAGE_SIZE_MAX.get(items_key)
            query["pageSize"] = max(1, min(int(page_size), limit) if limit else int(page_size))
        if page_token:
            query["pageToken"] = page_token
        data = self._call("GET", path, params=query)
        items = data.get(items_key) or []
        if not isinstance(items, list):
            raise UpstreamBadResponse(
                f"expected a list under {items_key!r}", upstream=self.upstream, method="GET", url=path
            )
        return ChannelPage(items=items, next_page_token=str(data.get("nextPageToken") or ""))

    def iter_all(
        self, path: str, items_key: str, *, page_size: int | None = None, params: dict | None = None
    ) -> Iterator[dict]:
        """Every item of a list, following nextPageToken (through empty pages) with the other
        parameters unchanged, as the API requires."""
        for page in self.iter_pages(path, items_key, page_size=page_size, params=params):
            yield from page.items

    def iter_pages(
        self, path: str, items_key: str, *, page_size: int | None = None, params: dict | None = None
    ) -> Iterator[ChannelPage]:
        """Every page of a list (empty ones included), for callers that write page by page."""
        token, seen = "", set()
        while True:
            page = self.list_page(path, items_key, page_size=page_size, page_token=token, params=params)
            yield page
            token = page.next_page_token
            if not token:
                return
            if token in seen:  # a server handing back an old token would loop forever
                raise UpstreamBadResponse(
                    "the same page token came back twice", upstream=self.upstream, method="GET", url=path
                )
            seen.add(token)

    # --- writes: channel_writes.ChannelWrites (one method per upstream write) --------------

    # --- long-running operations -----------------------------------------------------------

    def get_operation(self, name: str) -> dict:
        """GET /v1/operations/...: the Operation as it is now."""
        return self._call("GET", name)

    def wait_operation(
        self, operation: dict, *, timeout: float | None = None, on_poll: Callable[[dict], None] | None = None
    ) -> dict:
        """Poll until the operation is done or `timeout` (default CHANNEL_LRO_WAIT_SECONDS)
        runs out; returns the last Operation seen, done or not (an operation already done in
        the POST reply is returned at once). Polls after CHANNEL_LRO_POLL_INITIAL seconds,
        then x1.5 each time, capped at 20 s, as api-core does. `on_poll(operation)` is called
        after each poll (the outbox counts them for staff)."""
        timeout = self.lro_wait if timeout is None else timeout
        deadline = time.monotonic() + max(timeout, 0.0)
        delay = max(self.lro_poll_initial, 0.0)
        name = operation.get("name")
        while not operation.get("done"):
            if not name:
                raise UpstreamBadResponse(
                    "operation without a name", upstream=self.upstream, method="OPERATION", url=""
                )
            left = deadline - time.monotonic()
            if left <= 0:
                return operation
            self.sleep(min(delay, left))
            operation = self.get_operation(name)
            if on_poll is not None:
                on_poll(operation)
            delay = min(delay * LRO_POLL_FACTOR, LRO_POLL_MAX)
        return operation


def _not_configured_message() -> str:
    return (
        "Cloud Channel is not configured: set CHANNEL_API_URL, CHANNEL_ACCOUNT_ID, "
        "CHANNEL_CREDENTIALS_FILE and CHANNEL_ADMIN_EMAIL"
    )
