"""Base viewsets of the read API: a viewset is configuration (HOUSE_STYLE 9).

- `RQLReadOnlyViewSet`: list + detail of a model through a serializer, filtered, ordered,
  selected and paginated by django-rql (channelhub's own objects).
- `ConnectPayloadViewSet`: a mirrored Connect collection served in Connect's own shape: the
  stored upstream JSON (`payload`) is the object, filtered and ordered through the typed,
  indexed columns beside it. `select(-a.b)` prunes paths from the JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import quote, unquote

from dj_rql.drf import RQLFilterBackend, get_select_props
from dj_rql.drf._utils import get_query
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, QuerySet, TextField
from django.db.models.functions import Cast
from django.shortcuts import get_object_or_404
from py_rql.exceptions import RQLFilterParsingError
from rest_framework import viewsets
from rest_framework.response import Response

from . import limits, select
from .pagination import ConnectPagination
from .renderers import RawJSON, RawJSONList
from .select import Path
from .statements import CountPlan, PlanCache, Statement

if TYPE_CHECKING:
    from .schema import PayloadShape

# What `expand_rql` leaves unescaped: `&` and `=` stay the query's separators, the rest is
# RQL's own punctuation; anything else is percent-encoded (django-rql decodes the whole query).
_RQL_SAFE = "&=(),*-._~:!$'@/"


def expand_rql(query_string: str) -> str:
    """The raw query string with each `rql=<expression>` replaced by the expression itself.

    Swagger UI can only send declared parameters, so a reader types RQL into the `rql` one;
    spliced in place (decoded, then encoded again so that django-rql's own decoding of the
    whole query gives back exactly the text typed), the expression is ANDed with the other
    terms by the `&` around it, and `limit=`, `ordering()` or `select()` in it work as in the
    query string: the request is then the same as if it had been written there.
    """
    if "rql=" not in query_string:
        return query_string
    parts = []
    for part in query_string.split("&"):
        if part.startswith("rql="):
            part = quote(unquote(part[4:]), safe=_RQL_SAFE)
        if part:
            parts.append(part)
    return "&".join(parts)


class RQLBackend(RQLFilterBackend):
    """django-rql's backend, refusing what no database column can hold before it reaches SQL.

    PostgreSQL rejects a NUL character in text with an error that also aborts the
    surrounding transaction; a query holding one is a 400 here instead.
    """

    @classmethod
    def get_query(cls, filter_instance, request, view):
        """django-rql's query text, refused with a 400 when it holds a NUL character."""
        query = super().get_query(filter_instance, request, view)
        if "\x00" in query:
            raise RQLFilterParsingError(details={"error": "NUL characters are not allowed in a query."})
        return query


class BoundedRequestMixin:
    """What every viewset of the API does first: refuse a query over a cap of
    `channelhub.api.limits` (400) and run the request under the statement timeout.

    Who asks comes first: a client without a valid token gets its 401 before anything is
    said about its query (permissions are checked by DRF after the caps: reading a viewset's
    queryset may parse the query). Then the query is checked, before DRF's own
    `initial()`: content negotiation reads `request.GET`, and Django refuses a query of more
    than 1000 fields there with an HTML page instead of our JSON.
    """

    _own_transaction = False  # whether the request runs in a transaction of its own

    def initial(self, request, *args, **kwargs):
        """401 before anything else, then the caps on the query (400), then DRF's own `initial()`."""
        self.perform_authentication(request)
        if not (request.user and request.user.is_authenticated):
            self.permission_denied(request)  # 401 (NotAuthenticated), as DRF would answer later
        limits.check_query(get_query(request))
        super().initial(request, *args, **kwargs)

    def dispatch(self, request, *args, **kwargs):
        """The whole request under `limits.statement_timeout()` (a no-op but on PostgreSQL),
        with an `rql=` parameter spliced into the query first (`expand_rql`)."""
        query_string = request.META.get("QUERY_STRING", "")
        expanded = expand_rql(query_string)
        if expanded != query_string:
            request.META["QUERY_STRING"] = expanded
            request.__dict__.pop("GET", None)  # parsed again from the expanded query
        with limits.statement_timeout() as self._own_transaction:
            return super().dispatch(request, *args, **kwargs)

    def handle_exception(self, exc):
        """Roll back a transaction a database error aborted, then answer as DRF does."""
        if self._own_transaction and isinstance(exc, DatabaseError):
            # The statement failed (a timeout, a value PostgreSQL refuses): the transaction
            # is aborted, so it is rolled back, not committed, when dispatch returns.
            transaction.set_rollback(True)
        return super().handle_exception(exc)


def with_stable_order(queryset: QuerySet, default: tuple[str, ...]) -> QuerySet:
    """The query's ordering (or `default`), ended by the primary key so pages never overlap.

    The tiebreak follows the direction of the last field, so the database walks one index
    in one direction (and only sorts rows that tie).
    """
    ordering = list(queryset.query.order_by) or list(default)
    names = {str(o).lstrip("-") for o in ordering}
    if not names & {"pk", "id"}:
        last = str(ordering[-1]) if ordering else "id"
        ordering.append("-id" if last.startswith("-") else "id")
    return queryset.order_by(*ordering)


class RQLReadOnlyViewSet(BoundedRequestMixin, viewsets.ReadOnlyModelViewSet):
    """List and detail with RQL filtering, `Content-Range` pagination and model view permissions."""

    filter_backends = (RQLBackend,)
    pagination_class = ConnectPagination
    rql_filter_class = None
    default_ordering: tuple[str, ...] = ("-id",)
    # Heavy columns: deferred unless `select(<name>)` asks for them.
    heavy_fields: tuple[str, ...] = ()

    def get_queryset(self):
        """The model's rows with the heavy columns deferred unless `select()` asks for them."""
        queryset = super().get_queryset()
        selected = {p.lstrip("+") for p in get_select_props(self.request)}
        deferred = [f for f in self.heavy_fields if f not in selected]
        return queryset.defer(*deferred) if deferred else queryset

    # No docstring: drf-spectacular would make it the OpenAPI description of every endpoint.
    def list(self, request, *args, **kwargs):  # noqa: D102
        queryset = with_stable_order(self.filter_queryset(self.get_queryset()), self.default_ordering)
        page = self.paginator.paginate_queryset(queryset, request, self)
        return self.paginator.get_paginated_response(self.get_serializer(page, many=True).data)


@dataclass(frozen=True)
class ListPlan:
    """A list request of `ConnectPayloadViewSet`, compiled.

    What a list returns depends on the URL alone (the view, its path arguments and the
    query string): permissions are per model, never per row. So the SQL a URL needs is
    compiled once and kept (`_LIST_PLANS`, an LRU per process): a repeated query costs its
    SQL, not the ORM's work to build it again. A query that is refused (bad RQL, a limit out
    of range) raises while it is compiled and is never kept.
    """

    limit: int
    offset: int
    count: CountPlan
    page: Statement | None  # None for limit=0
    paths: tuple[Path, ...]  # select(-a.b) removes these


_LIST_PLANS = PlanCache(size=512)


class ConnectPayloadViewSet(BoundedRequestMixin, viewsets.GenericViewSet):
    """A mirrored Connect collection in Connect's shape; subclasses set queryset, filter, ordering."""

    filter_backends = (RQLBackend,)
    pagination_class = ConnectPagination
    rql_filter_class = None
    default_ordering: tuple[str, ...] = ("-created",)
    lookup_value_regex = "[^/]+"
    # The OpenAPI shape of the objects (a vendored component, `channelhub.api.schema`);
    # every subclass serving a collection names one (tests/channelhub/api/test_api_schema_shapes.py).
    payload_shape: ClassVar[PayloadShape | None] = None
    # The example of the `rql` parameter in the schema (else one built from the filters).
    rql_example: ClassVar[str] = ""

    # What a list returns depends on the URL alone, so its compiled SQL is kept (`ListPlan`).
    # A subclass whose queryset depends on the user (row-level permissions) sets False.
    cache_plans = True
    # Columns read beside the payload, handed to `finish` (a subclass adds fields of ours).
    extra_columns: tuple[str, ...] = ()

    def raw_payloads(self, queryset: QuerySet, paths: tuple[Path, ...] = ()) -> QuerySet:
        """Rows of (the stored JSON as text, with `paths` removed where SQL can; when there are
        `paths`, whether Python must prune it further; *extra_columns). The JSON is never
        decoded on the way."""
        if not paths:
            queryset = queryset.annotate(_raw=Cast(F("payload"), TextField()))
            return queryset.values_list("_raw", *self.extra_columns)
        payload, flag = select.pruned_payload("payload", paths)
        queryset = queryset.annotate(_raw=Cast(payload, TextField()), _prune=flag)
        return queryset.values_list("_raw", "_prune", *self.extra_columns)

    def text(self, row: tuple, paths: tuple[Path, ...]) -> str:
        """The JSON of one row of `raw_payloads`."""
        if not paths:
            return self.finish(row[0], row[1:], paths)
        raw, needs_python, *extra = row
        return self.finish(select.prune(raw, paths) if needs_python else raw, extra, paths)

    def finish(self, text: str, extra: list, paths: tuple[Path, ...]) -> str:
        """The JSON served for a row (here: the payload as it is)."""
        return text

    def page_queryset(self, queryset: QuerySet, offset: int, limit: int, paths: tuple[Path, ...]) -> QuerySet:
        """One page of payloads, found by a "deferred join": the inner query walks and sorts
        only the ordering columns and ids (skipping `offset` rows costs index entries, not
        whole rows with their JSON), the outer one reads the 100 payloads by primary key."""
        ids = queryset.values("pk")[offset : offset + limit]
        page = queryset.model._default_manager.filter(pk__in=ids).order_by(*queryset.query.order_by)
        return self.raw_payloads(page, paths)

    def list_plan(self, request) -> ListPlan:
        """Everything a list request runs, compiled: the RQL filters, ordering, paging and
        select() of this URL turned into SQL once (see `ListPlan`)."""
        queryset = with_stable_order(self.filter_queryset(self.get_queryset()), self.default_ordering)
        limit, offset = self.paginator.parse(request)
        paths = select.exclusions(request)
        return ListPlan(
            limit=limit,
            offset=offset,
            count=CountPlan.of(queryset, settings.API_COUNT_CAP),
            page=Statement.of(self.page_queryset(queryset, offset, limit, paths)) if limit else None,
            paths=paths,
        )

    # No docstring: drf-spectacular would make it the OpenAPI description of every endpoint.
    def list(self, request, *args, **kwargs):  # noqa: D102
        key = (type(self), tuple(sorted(kwargs.items())), request.META.get("QUERY_STRING", ""))
        if self.cache_plans:
            plan = _LIST_PLANS.get_or_build(key, lambda: self.list_plan(request))
        else:
            plan = self.list_plan(request)
        rows = self.paginator.paginate_rows(
            plan.count,
            plan.limit,
            plan.offset,
            lambda offset, limit: [self.text(row, plan.paths) for row in plan.page.rows()],
        )
        return self.paginator.get_paginated_response(RawJSONList(rows))

    def get_object_payload(self) -> str:
        """The JSON of the object the URL names (a 404 if there is none), `select(-...)` applied."""
        paths = select.exclusions(self.request)
        queryset = self.raw_payloads(self.get_queryset(), paths)
        row = get_object_or_404(queryset, pk=self.kwargs[self.lookup_url_kwarg or self.lookup_field])
        return self.text(row, paths)

    # No docstring: drf-spectacular would make it the OpenAPI description of every endpoint.
    def retrieve(self, request, *args, **kwargs):  # noqa: D102
        return Response(RawJSON(self.get_object_payload()))
