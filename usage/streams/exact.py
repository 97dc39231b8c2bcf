"""Reading a Connect page with its JSON numbers as `Decimal`, for usage and amounts.

The client parses bodies with orjson, which reads every JSON number with a fraction as a
float: `12345678.12345678` (16 significant digits, within the records' columns) comes back as
`12345678.123456780612...`, and no conversion of that float recovers the digits Connect sent.
So pages whose numbers are money or meters are read as bytes through the client
(`ConnectClient.download` of a path on Connect's own host: same session, credentials, timeouts
and retries as every read) and parsed here with `parse_float=Decimal`: exact, whatever the
number of digits. The price: no `Content-Range` (the caller knows when a page is the last from
its length) and the standard library's parser, slower than orjson but not by much on these
pages (13 against 8 us a record here; orjson plus turning its floats into Decimal where they
provably hold every digit measured no faster, so it is not done).
"""

from __future__ import annotations

import json
from decimal import Decimal

from channelhub.upstream import rql
from channelhub.upstream.errors import UpstreamBadResponse


def exact_page(client, path: str, *, filters: str, ordering: tuple[str, ...], limit: int) -> list[dict]:
    """One page of `path` (at offset 0) with its numbers as Decimal (integers stay int)."""
    return parse_page(page_bytes(client, path, filters=filters, ordering=ordering, limit=limit), url=path)


def page_bytes(client, path: str, *, filters: str, ordering: tuple[str, ...], limit: int) -> bytes:
    """The body of one page of `path` (at offset 0), unparsed (to parse with `parse_page`)."""
    query = rql.query(filters, rql.ordering(*ordering), limit=limit, offset=0)
    return client.download(f"{path}?{query}")


def parse_page(body: bytes, *, url: str = "") -> list[dict]:
    """A page's body (a JSON array) with its numbers as Decimal; anything else is a bad response."""
    items = parse_exact(body, url=url)
    if not isinstance(items, list):
        raise UpstreamBadResponse("expected a JSON array", upstream="connect", method="GET", url=url)
    return items


def parse_exact(body: bytes, *, url: str = ""):
    """A JSON body with its fractional numbers as Decimal (integers stay int)."""
    try:
        return json.loads(body, parse_float=Decimal)
    except ValueError:
        raise UpstreamBadResponse("body is not JSON", upstream="connect", method="GET", url=url) from None
