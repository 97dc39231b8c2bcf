"""List pagination as Google does it: `pageSize` (documented default, larger values coerced to
the maximum), an opaque `pageToken`, `nextPageToken` absent on the last page.

The token is base64url JSON `{"k": <last row id served>, "p": <page number>, "h": <hash>}`: a
keyset position, so rows inserted or deleted between pages never shift the next page. `h` hashes
the path and every query parameter except pageToken, pageSize and the global ones (`alt`,
`fields`, ...): a token replayed with a different filter or parent is INVALID_ARGUMENT, while a
client may change pageSize between pages (AIP-158 allows it).

Empty pages: with the `empty_page_every` knob at N, page numbers N-1, 2N-1, ... come back empty,
still with a token that resumes where the previous page stopped, as long as rows remain (the
GAPIC pagers' own tests feed such pages; a client that stops on an empty page loses data).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from werkzeug.wrappers import Request

from ..store import Collection, Session
from .wire import invalid

GLOBAL_PARAMS = frozenset(
    {
        "alt",
        "$.xgafv",
        "prettyPrint",
        "quotaUser",
        "key",
        "fields",
        "callback",
        "access_token",
        "oauth_token",
        "uploadType",
        "upload_protocol",
    }
)
PAGING_PARAMS = frozenset({"pageToken", "pageSize"})


@dataclass(frozen=True)
class Limits:
    """A list method's documented default and maximum pageSize."""

    default: int
    maximum: int


CUSTOMERS = Limits(10, 50)
ENTITLEMENTS = Limits(50, 100)
CHANGES = Limits(10, 50)
LINKS = Limits(25, 200)
OFFERS = Limits(500, 1000)
CATALOG = Limits(100, 1000)
PURCHASABLE = Limits(100, 1000)


def page_size(request: Request, limits: Limits) -> int:
    """The request's pageSize: the default when absent or 0, coerced to the maximum; negative or not a number
    is 400."""
    raw = request.args.get("pageSize", "")
    if raw in ("", None):
        return limits.default
    try:
        size = int(raw)
    except ValueError:
        raise invalid(f"Invalid value for pageSize: {raw!r}.") from None
    if size < 0:
        raise invalid("page_size must not be negative.")
    return min(size, limits.maximum) if size else limits.default


def params_hash(request: Request) -> str:
    """What a page token is bound to: the path and every parameter but the paging and global ones."""
    items = sorted(
        (k, v)
        for k, values in request.args.lists()
        for v in values
        if k not in GLOBAL_PARAMS and k not in PAGING_PARAMS
    )
    return hashlib.sha256(json.dumps([request.path, items]).encode()).hexdigest()[:16]


def encode(key: str, page: int, digest: str) -> str:
    """A page token for the position after row `key`, page number `page`, bound to `digest`."""
    raw = json.dumps({"k": key, "p": page, "h": digest}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str, digest: str) -> tuple[str, int]:
    """(position, page number) of a page token; 400 INVALID_PAGE_TOKEN if it is malformed or was issued for
    other parameters."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        key, page, token_digest = str(data["k"]), int(data["p"]), str(data["h"])
    except (ValueError, KeyError, TypeError):
        raise invalid(f"Invalid page token {token!r}.", "INVALID_PAGE_TOKEN") from None
    if token_digest != digest:
        raise invalid(
            "The page token does not match the request: every parameter but pageSize must stay "
            "the same while paging.",
            "INVALID_PAGE_TOKEN",
        )
    return key, page


@dataclass
class Page:
    """One page of a list: its documents and the token of the next page (None on the last)."""

    items: list[dict]
    next_token: str | None

    def body(self, items_key: str) -> dict:
        """The page as a list reply under `items_key`, with nextPageToken when there is a next page."""
        out = {items_key: self.items}
        if self.next_token:
            out["nextPageToken"] = self.next_token
        return out


def paginate(
    session: Session,
    coll: Collection,
    request: Request,
    limits: Limits,
    *,
    empty_page_every: int,
    where: str = "1",
    params: tuple = (),
    accept: Callable[[dict], bool] | None = None,
) -> Page:
    """One page of `coll` rows matching the SQL scope and the Python predicate, in id order."""
    size = page_size(request, limits)
    digest = params_hash(request)
    token = request.args.get("pageToken")
    after, page = decode(token, digest) if token else ("", 0)
    rows = session.conn.execute(
        f"SELECT id, doc FROM {coll.name} WHERE ({where}) AND id > ? ORDER BY id", (*params, after)
    )
    if empty_page_every and (page + 1) % empty_page_every == 0:
        for _, raw in rows:
            if accept is None or accept(json.loads(raw)):
                return Page([], encode(after, page + 1, digest))
        return Page([], None)
    items: list[dict] = []
    last = after
    for ident, raw in rows:
        doc = json.loads(raw)
        if accept is not None and not accept(doc):
            continue
        if len(items) == size:
            return Page(items, encode(last, page + 1, digest))
        items.append(doc)
        last = ident
    return Page(items, None)
