"""`limit`/`offset` pagination with Connect's `Content-Range: items <first>-<last>/<total>`.

Built on django-rql's `RQLContentRangeLimitOffsetPagination` (limit and offset are RQL
terms of the query), with three changes for big tables:

- A limit outside 0..`API_MAX_LIMIT` or an offset outside 0..`API_MAX_OFFSET` is a 400 with
  the reason (django-rql silently clamps). A page beyond `API_MAX_OFFSET` is reached by
  keyset instead: order by an indexed field and filter past the last row seen
  (`ordering(-created,-id)&lt(created,<last created>)`), which costs the same at any depth.
- The total is exact up to `API_COUNT_CAP` rows (`COUNT(*)` over a `LIMIT cap + 1`
  subquery, so it stops early); beyond the cap it is an estimate: the planner's row count
  on PostgreSQL (`pg_class.reltuples` when unfiltered, `EXPLAIN` when filtered), `cap + 1`
  on SQLite (`channelhub.api.statements.CountPlan`). The response then says so with
  `X-Total-Count-Estimated: true`.
- The page is fetched by the caller's `fetch` (the view decides how rows become JSON), and
  its length, not the count, decides `<last>`: an estimate never truncates a page.
"""

from __future__ import annotations

from collections.abc import Callable

from dj_rql.drf._utils import get_query
from dj_rql.drf.paginations import RQLContentRangeLimitOffsetPagination
from dj_rql.transformer import RQLLimitOffsetTransformer
from django.conf import settings
from lark.exceptions import LarkError
from py_rql.exceptions import RQLFilterParsingError
from py_rql.parser import RQLParser
from rest_framework.response import Response

from .exceptions import BadQuery
from .statements import CountPlan


class ConnectPagination(RQLContentRangeLimitOffsetPagination):
    """Connect-compatible pagination; see the module docstring."""

    @property
    def default_limit(self):
        """`API_DEFAULT_LIMIT`, read per request so settings overrides apply."""
        return settings.API_DEFAULT_LIMIT

    @property
    def max_limit(self):
        """`API_MAX_LIMIT`, read per request so settings overrides apply."""
        return settings.API_MAX_LIMIT

    def _parse(self, request) -> None:
        self._rql_limit = self._rql_offset = None
        rql_ast = getattr(request, "rql_ast", None)
        if rql_ast is None:
            query = get_query(request)
            if "\x00" in query:
                raise RQLFilterParsingError(details={"error": "NUL characters are not allowed in a query."})
            rql_ast = RQLParser.parse_query(query) if query else None
        if rql_ast is None:
            return
        try:
            self._rql_limit, self._rql_offset = RQLLimitOffsetTransformer().transform(rql_ast)
        except LarkError:
            raise RQLFilterParsingError(
                details={"error": "limit and offset may each appear once, as limit=N."}
            ) from None

    @staticmethod
    def _int(name: str, raw, upper: int, hint: str = "") -> int:
        try:
            value = int(str(raw).strip("\"'"))
        except ValueError:
            value = None
        if value is None or not 0 <= value <= upper:
            raise BadQuery(
                f"{name} must be an integer from 0 to {upper}, got {raw!r}.{hint}",
                code="PAGE_001",
                details={"parameter": name, "value": str(raw), "max": upper},
            )
        return value

    def get_limit(self, request=None):
        """The RQL `limit`, or the default; outside 0..`API_MAX_LIMIT` a 400 (django-rql would clamp)."""
        if self._rql_limit is None:
            return self.default_limit
        return self._int("limit", self._rql_limit, self.max_limit)

    def get_offset(self, request=None):
        """The RQL `offset`, or 0; beyond `API_MAX_OFFSET` a 400 that points to keyset paging."""
        if self._rql_offset is None:
            return 0
        hint = " Deeper pages: filter past the last row seen (keyset), see docs/api.md."
        return self._int("offset", self._rql_offset, settings.API_MAX_OFFSET, hint)

    def parse(self, request) -> tuple[int, int]:
        """(limit, offset) of the request's query, validated (a 400 when out of range)."""
        self.request = request
        self._parse(request)
        return self.get_limit(request), self.get_offset(request)

    def paginate_rows(
        self, count: CountPlan, limit: int, offset: int, fetch: Callable[[int, int], list]
    ) -> list:
        """Count by `count`, then `fetch(offset, limit)` the requested page (a list)."""
        self.limit, self.offset = limit, offset
        self.count, self.estimated = count.run(settings.API_COUNT_CAP)
        if self.limit == 0:
            self.offset = 0
            return []
        if self.offset >= self.count and not self.estimated:
            return []
        rows = fetch(self.offset, self.limit)
        if len(rows) < self.limit:  # the last page: now the total is known exactly
            self.count, self.estimated = (self.offset + len(rows) if rows else self.count), False
        return rows

    def paginate_queryset(self, queryset, request, view=None):
        """Validate limit and offset, then count (capped) and fetch the page by slicing the queryset."""
        limit, offset = self.parse(request)
        return self.paginate_rows(
            CountPlan.of(queryset, settings.API_COUNT_CAP),
            limit,
            offset,
            lambda offset, limit: list(queryset[offset : offset + limit]),
        )

    def get_paginated_response(self, data):
        """The page, with `Content-Range` (and `X-Total-Count-Estimated: true` when the total is a guess)."""
        last = self.offset + len(data) - 1 if len(data) else self.offset
        headers = {"Content-Range": f"items {self.offset}-{last}/{self.count}"}
        if self.estimated:
            headers["X-Total-Count-Estimated"] = "true"
        return Response(data, headers=headers)

    def get_paginated_response_schema(self, schema):
        """The list schema unchanged: the page is a bare list, the paging is in headers."""
        return schema

    def get_schema_operation_parameters(self, view):
        """`limit` and `offset` for the OpenAPI schema, with the bounds in force."""
        return [
            {
                "name": "limit",
                "required": False,
                "in": "query",
                "description": f"Page size, 0 to {settings.API_MAX_LIMIT} (default {settings.API_DEFAULT_LIMIT}). "
                "limit=0 returns no rows, only the total in Content-Range.",
                "schema": {"type": "integer", "minimum": 0, "maximum": settings.API_MAX_LIMIT},
            },
            {
                "name": "offset",
                "required": False,
                "in": "query",
                "description": f"Rows to skip, 0 to {settings.API_MAX_OFFSET}; deeper, use keyset filters.",
                "schema": {"type": "integer", "minimum": 0, "maximum": settings.API_MAX_OFFSET},
            },
        ]
