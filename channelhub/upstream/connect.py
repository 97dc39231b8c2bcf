"""The CloudBlue Connect client. Nothing else in channelhub speaks HTTP to Connect.

Built on `UpstreamSession` (timeouts, retries, error mapping); adds the `ApiKey`
authentication, Connect's error body (`{"error_code", "errors"}`), and `limit`/`offset`
pagination read from `Content-Range`.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

import requests
from django.conf import settings

from . import rql
from .errors import UpstreamBadResponse, UpstreamNotConfigured
from .http import RetryPolicy, UpstreamSession

CONTENT_RANGE = re.compile(r"^items (\d+)-(\d+)/(\d+)$")
MAX_LIMIT = 1000


@dataclass
class Page:
    """One page of a Connect collection."""

    items: list[dict]
    first: int
    last: int
    total: int


def _connect_error(response: requests.Response) -> tuple[str, list[str]]:
    try:
        body = response.json()
    except ValueError:
        text = (response.text or "").strip()
        return "", [text[:500]] if text else []
    if isinstance(body, dict):
        errors = body.get("errors") or []
        if isinstance(errors, str):
            errors = [errors]
        return str(body.get("error_code") or ""), [str(e) for e in errors]
    return "", [str(body)[:500]]


def _segment(ident: str) -> str:
    """An id as one path segment: Connect's ids need no quoting, anything else cannot
    reach another path."""
    return urllib.parse.quote(str(ident), safe="")


def parse_content_range(value: str | None) -> tuple[int, int, int] | None:
    """`items 0-99/1234` as (first, last, total); None when absent or not in that form."""
    if not value:
        return None
    m = CONTENT_RANGE.match(value.strip())
    return (int(m[1]), int(m[2]), int(m[3])) if m else None


class ConnectClient:
    """Talks to one Connect API (`CONNECT_API_URL`, e.g. https://api.connect.cloudblue.com/public/v1)."""

    upstream = "connect"

    def __init__(
        self, *, base_url: str, api_key: str, timeout: float = 30.0, retry: RetryPolicy | None = None
    ):
        if not base_url or not api_key:
            raise UpstreamNotConfigured(
                "Connect is not configured: set CONNECT_API_URL and CONNECT_API_KEY", upstream=self.upstream
            )
        if not api_key.startswith("ApiKey "):
            api_key = f"ApiKey {api_key}"
        self.http = UpstreamSession(
            upstream=self.upstream,
            base_url=base_url,
            headers={"Authorization": api_key, "Accept": "application/json", "User-Agent": "channelhub/0.1"},
            timeout=timeout,
            retry=retry,
            error_parser=_connect_error,
        )

    @classmethod
    def is_configured(cls) -> bool:
        """Whether CONNECT_API_URL and CONNECT_API_KEY are both set."""
        return bool(settings.CONNECT_API_URL and settings.CONNECT_API_KEY)

    @classmethod
    def from_settings(cls) -> ConnectClient:
        """A client built from the CONNECT_* and UPSTREAM_* settings."""
        return cls(
            base_url=settings.CONNECT_API_URL,
            api_key=settings.CONNECT_API_KEY,
            timeout=settings.UPSTREAM_TIMEOUT,
            retry=RetryPolicy(max_retries=settings.UPSTREAM_MAX_RETRIES, backoff=settings.UPSTREAM_BACKOFF),
        )

    # --- reads (collections; the typed reads of single objects follow) ------------------------

    def list_page(
        self,
        path: str,
        *,
        filters: str = "",
        ordering: tuple[str, ...] = (),
        limit: int = 100,
        offset: int = 0,
        extra: str = "",
    ) -> Page:
        """GET one page of a collection. `filters` is an RQL expression (see `rql`)."""
        limit = max(0, min(int(limit), MAX_LIMIT))
        query = rql.query(
            filters, rql.ordering(*ordering) if ordering else "", extra, limit=limit, offset=offset
        )
        response = self.http.request("GET", path, query=query)
        items = response.data
        if not isinstance(items, list):
            raise UpstreamBadResponse(
                "expected a JSON array",
                upstream=self.upstream,
                status=response.status_code,
                method="GET",
                url=path,
            )
        rng = parse_content_range(response.headers.get("Content-Range"))
        if rng is None:
            # Without Content-Range the total is unknown; what we got is all we know of.
            first, last, total = offset, offset + max(len(items) - 1, 0), offset + len(items)
        else:
            first, last, total = rng
        return Page(items=items, first=first, last=last, total=total)

    def iter_all(
        self, path: str, *, filters: str = "", ordering: tuple[str, ...] = ("id",), limit: int = 500
    ) -> Iterator[dict]:
        """Every object of a small collection, offset-paged. For big or changing collections
        the sync engine pages by keyset instead (offset paging skips rows when the list shifts)."""
        offset = 0
        while True:
            page = self.list_page(path, filters=filters, ordering=ordering, limit=limit, offset=offset)
            yield from page.items
            offset += len(page.items)
            if not page.items or offset >= page.total:
                return

    def count(self, path: str, *, filters: str = "") -> int:
        """How many objects match `filters`, from an empty page's Content-Range total."""
        return self.list_page(path, filters=filters, limit=0).total

    def get(self, path: str) -> dict:
        """GET one object by its path (the typed reads below name theirs)."""
        return self.http.request("GET", path).data

    # --- typed reads: one method per object the services, forms and executors read ----------

    def get_request(self, request_id: str) -> dict:
        """GET /requests/{id}: a fulfillment request (`PR-…`), with its asset copy."""
        return self.get(f"/requests/{_segment(request_id)}")

    def get_asset(self, asset_id: str) -> dict:
        """GET /assets/{id}: an asset (`AS-…`)."""
        return self.get(f"/assets/{_segment(asset_id)}")

    def get_tier_config(self, tier_config_id: str) -> dict:
        """GET /tier/configs/{id}: a tier configuration (`TC-…`)."""
        return self.get(f"/tier/configs/{_segment(tier_config_id)}")

    def get_tier_config_request(self, tier_config_request_id: str) -> dict:
        """GET /tier/config-requests/{id}: a tier config request (`TCR-…`)."""
        return self.get(f"/tier/config-requests/{_segment(tier_config_request_id)}")

    def get_product(self, product_id: str) -> dict:
        """GET /products/{id}: a product (`PRD-…`)."""
        return self.get(f"/products/{_segment(product_id)}")

    def get_template(self, *, product_id: str, template_id: str) -> dict:
        """GET /products/{product}/templates/{id}: one of a product's templates (`TL-…`)."""
        return self.get(f"/products/{_segment(product_id)}/templates/{_segment(template_id)}")

    def get_conversation(self, conversation_or_instance_id: str) -> dict:
        """GET /conversations/{id}: a conversation (`CO-…`), or the one about an object when
        given that object's id (`PR-…`, `TCR-…`), as Connect allows."""
        return self.get(f"/conversations/{_segment(conversation_or_instance_id)}")

    def recent_messages(self, conversation_id: str, *, limit: int = 50) -> list[dict]:
        """A conversation's latest messages, newest first (one page of at most `limit`)."""
        path = f"/conversations/{_segment(conversation_id)}/messages"
        return self.list_page(path, ordering=("-created",), limit=limit).items

    # --- writes (the outbox's executors are the only callers) ------------------------------
    # One method per upstream write; executors call these, never a path.

    def request_action(self, request_id: str, verb: str, body: dict | None = None) -> dict:
        """POST /requests/{id}/{verb} (approve, inquire, fail, pend, assign, unassign): the request."""
        return self.post(f"/requests/{request_id}/{verb}", body if body is not None else {})

    def request_update(self, request_id: str, body: dict) -> dict:
        """PUT /requests/{id}, e.g. {"asset": {"params": [...]}}: the request as it is now."""
        return self.put(f"/requests/{request_id}", body)

    def tier_config_request_action(self, tcr_id: str, verb: str, body: dict | None = None) -> None:
        """POST /tier/config-requests/{id}/{verb}; Connect answers 204 (approve: the template)."""
        self.post(f"/tier/config-requests/{tcr_id}/{verb}", body or None)

    def tier_config_request_update(self, tcr_id: str, body: dict) -> None:
        """PUT /tier/config-requests/{id}, e.g. {"params": [...]}."""
        self.put(f"/tier/config-requests/{tcr_id}", body)

    def conversation_message_create(self, conversation_id: str, text: str) -> dict:
        """POST /conversations/{id}/messages: the new message (not idempotent upstream)."""
        return self.post(f"/conversations/{conversation_id}/messages", {"text": text})

    # plumbing of the writes above

    def post(self, path: str, body: dict | None = None) -> dict | None:
        """POST a JSON body; never retried once it may have arrived (Connect has no idempotency keys)."""
        response = self.http.request("POST", path, json=body if body is not None else {}, idempotent=False)
        return response.data

    def post_file(
        self, path: str, *, field: str, filename: str, content: bytes, content_type: str
    ) -> dict | None:
        """POST one file as multipart/form-data (Connect's uploads); never retried once it may
        have arrived, like every other action."""
        files = {field: (filename, content, content_type)}
        response = self.http.request("POST", path, files=files, idempotent=False)
        return response.data

    def download(self, url: str) -> bytes:
        """The bytes behind a link Connect gave (a template, a processed file). A link on
        Connect's own host is read with our credentials; one elsewhere (a signed storage link)
        without them, so the API key never leaves for another host."""
        own = urllib.parse.urlsplit(url).netloc in ("", urllib.parse.urlsplit(self.http.base_url).netloc)
        if own:
            return self.http.request("GET", url, expect_json=False).content
        response = requests.get(url, timeout=self.http.timeout)
        if response.status_code >= 400:
            raise self.http._error_for(response, "GET", url)
        return response.content

    def put(self, path: str, body: dict) -> dict | None:
        """PUT a JSON body (setting the same values twice is the same as once)."""
        response = self.http.request("PUT", path, json=body)
        return response.data
