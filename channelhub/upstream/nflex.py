"""An HTTP feed of CMP resources in the nflex format: a URL answering the serialized list.

The feed answers a JSON list of serialized resources, or an object holding it under `items`,
`resources` or `value` (flexer's result envelope). Paged feeds take `page` (from 1) and
`per_page` parameters (names configurable) and may say where they stand in `x-total-count`;
the listing ends at a short page, an empty one, or the total. An unpaged feed is one GET.
Authentication is one header from the source's parameters (`Authorization: Bearer ...`,
`X-Api-Key: ...`); its value never appears in an error or a log line (errors carry the URL
without the query, which is ours: page numbers only).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator

from .errors import UpstreamBadResponse
from .http import RetryPolicy, UpstreamSession

ENVELOPE_KEYS = ("items", "resources", "value")


def _error_parser(response) -> tuple[str, list[str]]:
    """The feed's error body, if it says something ({"error", "message"} as CMP's)."""
    try:
        body = response.json()
    except ValueError:
        return "", [response.text[:200]] if response.text else []
    if isinstance(body, dict):
        code = str(body.get("error") or body.get("code") or "")
        message = body.get("message") or body.get("detail") or ""
        return code, [str(message)] if message else []
    return "", []


class NflexFeedClient:
    """Pages through one nflex JSON feed."""

    def __init__(
        self,
        url: str,
        *,
        auth_header: str = "",
        auth_value: str = "",
        paged: bool = True,
        per_page: int = 500,
        page_param: str = "page",
        per_page_param: str = "per_page",
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
    ):
        split = urllib.parse.urlsplit(url)
        if split.scheme not in ("http", "https") or not split.netloc:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.path = urllib.parse.urlunsplit(("", "", split.path, "", ""))
        self.fixed_query = split.query
        headers = {"Accept": "application/json"}
        if auth_header and auth_value:
            headers[auth_header] = auth_value
        self.http = UpstreamSession(
            upstream="cmp",
            base_url=f"{split.scheme}://{split.netloc}",
            headers=headers,
            timeout=timeout,
            retry=retry,
            error_parser=_error_parser,
        )
        self.paged = paged
        self.per_page = max(1, per_page)
        self.page_param = page_param
        self.per_page_param = per_page_param

    def _query(self, page: int) -> str:
        params = urllib.parse.urlencode({self.page_param: page, self.per_page_param: self.per_page})
        return "&".join(q for q in (self.fixed_query, params) if q)

    def _items(self, response) -> list:
        body = response.data
        if isinstance(body, dict):
            for key in ENVELOPE_KEYS:
                if isinstance(body.get(key), list):
                    return body[key]
        if not isinstance(body, list):
            raise UpstreamBadResponse(
                f"the feed answered {type(body).__name__}, not a list of resources",
                upstream="cmp",
                method="GET",
                url=self.path,
            )
        return body

    def pages(self) -> Iterator[list]:
        """The feed's resources, page by page, as they come (raises UpstreamError)."""
        if not self.paged:
            yield self._items(self.http.request("GET", self.path, query=self.fixed_query))
            return
        page, seen = 1, 0
        while True:
            response = self.http.request("GET", self.path, query=self._query(page))
            items = self._items(response)
            seen += len(items)
            total = _int(response.headers.get("x-total-count"))
            if items:
                yield items
            if not items or len(items) < self.per_page or (total is not None and seen >= total):
                return
            page += 1


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
