"""Reading a Connect page with its JSON numbers as `Decimal`, for usage and amounts.

The client parses bodies with orjson, which reads every JSON number with a fraction as a
float: `12345678.12345678` (16 significant digits, within the records' columns) comes back as
`12345678.123456780612...`, and no conversion of that float recovers the digits Connect sent.
So pages whose numbers are money or meters are read as bytes through the client
(`ConnectClient.download` of a path on Connect's own host: same session, credentials, timeouts
and retries as every read) and parsed here with `parse_float=Decimal`: exact, whatever the
number of digits. The price: no `Content-Range` (the caller knows when a page is the last from
its length) and the standard library's parser, slower than orjson.
"""

from __future__ import annotations

import json
from decimal import Decimal

from channelhub.upstream import rql
from channelhub.upstream.errors import UpstreamBadResponse


def exact_page(client, path: str, *, filters: str, ordering: tuple[str, ...], limit: int) -> list[dict]:
    """One page of `path` (at offset 0) with its numbers as Decimal (integers stay int)."""
    query = rql.query(filters, rql.ordering(*ordering), limit=limit, offset=0)
    items = parse_exact(client.download(f"{path}?{query}"), url=path)
    if not isinstance(items, list):
        raise UpstreamBadResponse("expected a JSON array", upstream="connect", method="GET", url=path)
    return items


def parse_exact(body: bytes, *, url: str = ""):
    """A JSON body with its fractional numbers as Decimal (integers stay int)."""
    try:
        return json.loads(body, parse_float=Decimal)
    except ValueError:
        raise UpstreamBadResponse("body is not JSON", upstream="connect", method="GET", url=url) from None
