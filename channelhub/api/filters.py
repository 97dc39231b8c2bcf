"""RQL filter classes: the shared base, and those of channelhub's own objects.

Every filter is declared explicitly and opts into ordering/search; every one filters or
orders through an indexed column (or the leading column of an index).
"""

from __future__ import annotations

from datetime import UTC

from dj_rql.fields import SelectField
from dj_rql.filter_cls import RQLFilterClass
from dj_rql.qs import NSR
from django.db.models import Q
from py_rql.constants import RESERVED_FILTER_NAMES, RQL_ANY_SYMBOL, RQL_NULL, FilterLookups
from py_rql.exceptions import RQLFilterLookupError, RQLFilterValueError

from channelhub.models import AuditEvent, SyncRun, UpstreamAction

from . import limits
from .lookups import prefix

# Blank-as-null string columns (see channelhub.models.fields.ref): Connect's `null()` is our "".
_BLANK_LOOKUPS = {FilterLookups.EQ, FilterLookups.NE, FilterLookups.IN, FilterLookups.OUT, FilterLookups.NULL}


def f(name: str, source: str | None = None, **options) -> dict:
    """A filter named `name` as the upstream names it, read from column `source` here.

    A relation is written `product__id`: Django compares the foreign key column itself
    (no join), and django-rql types the value from the target's primary key.
    """
    item = {"filter": name, **options}
    if source:
        item["source"] = source
    return item


def blank_ref(name: str, source: str, **extra) -> dict:
    """A filter over a string column where upstream "no value" is stored as "".

    `eq(assignee.id,null())` and `eq(assignee.id,empty())` both find the unassigned; a value
    compares exactly. (django-rql's own null handling needs a nullable column.)
    """
    return {"filter": name, "custom": True, "blank_source": source, "lookups": set(_BLANK_LOOKUPS), **extra}


_TEXT_LOOKUPS = {
    FilterLookups.EQ,
    FilterLookups.NE,
    FilterLookups.IN,
    FilterLookups.OUT,
    FilterLookups.LIKE,
    FilterLookups.I_LIKE,
}
_CASES = (None, "any", "upper", "lower")


def indexed_text(
    name: str,
    source: str,
    *,
    case: str | None = None,
    tail: str | None = None,
    through: tuple[str, type] | None = None,
    description: str = "",
    **options,
) -> dict:
    """A text filter every lookup of which an index serves (`channelhub.api.lookups`).

    `eq`/`in` compare exactly; `like`/`ilike` take `value*` (the start) and, with `tail` (the
    column holding `source` backwards), `*value` (the end); `search=` matches the start (and the
    end) instead of anywhere. Other patterns are a 400: a substring match would scan the table.
    `case` says how `ilike` compares: "any" (a name: any case, through the column's `_ci`
    index), "upper" / "lower" (ids and domains stored in that case: the value is folded),
    None (as typed). `through=(fk, Model)` reads `Model.<source>` and keeps the rows whose `fk`
    is one of the matches (an indexed IN subquery instead of a join).
    """
    assert case in _CASES, case
    patterns = "`value*` (starts with)" + (" or `*value` (ends with)" if tail else "")
    words = f"{description} " if description else ""
    return {
        "filter": name,
        "custom": True,
        "text_source": source,
        "text_case": case,
        "tail_source": tail,
        "through": through,
        "lookups": set(_TEXT_LOOKUPS),
        "openapi": {  # no "type": django-rql then documents a string (a type would need a `field`)
            "description": f"{words}Indexed: eq/in exact; like/ilike take {patterns}"
            + ("; ilike in any case" if case == "any" else "")
            + ".",
        },
        **options,
    }


def blank_flag(name: str, source: str) -> dict:
    """A true/false filter: `eq(unassigned,true)` finds the rows whose `source` is blank."""
    return {
        "filter": name,
        "custom": True,
        "blank_source": source,
        "boolean": True,
        "lookups": {FilterLookups.EQ, FilterLookups.NE},
    }


class StrictRQLFilterClass(RQLFilterClass):
    """Base of every filter class of the API.

    django-rql ignores a filter name it does not know (the whole term becomes "match all"):
    a typo would return everything. Here it is a 400 naming the filters there are.
    """

    @property
    def MAX_ORDERING_LENGTH_IN_QUERY(self) -> int:
        """django-rql's own cap on ordering() keys is ours (API_RQL_MAX_ORDERING), so the
        setting moves both and the 400 a client sees is always the one naming it."""
        return limits.ORDERING_KEYS.value

    def build_q_for_filter(self, data):
        """Refuse an unknown filter name with a 400 listing the filters there are, instead of matching all."""
        name = data.filter_name
        if name not in self.filters and name not in RESERVED_FILTER_NAMES:
            raise RQLFilterLookupError(
                details={
                    "error": f"Unknown filter '{name}'. Filters here: {', '.join(sorted(self.filters))}.",
                    "filter": name,
                },
            )
        return super().build_q_for_filter(data)

    @staticmethod
    def _convert_datetime_value(value):
        """A datetime in UTC (naive ones are UTC, as Connect's). Any offset parses, but
        PostgreSQL refuses offsets beyond ±15:59, so the database only ever sees UTC."""
        dt = RQLFilterClass._convert_datetime_value(value)
        try:
            return dt.astimezone(UTC) if dt.tzinfo else dt.replace(tzinfo=UTC)
        except OverflowError:
            raise ValueError(value) from None

    #: True while django-rql builds `search=`'s `ilike(<field>,*value*)` terms (see `indexed_text`).
    _searching = False

    def _build_q_for_search(self, operator, str_value):
        """django-rql's `search=`, telling `indexed_text` filters that the `*value*` is a search."""
        self._searching = True
        try:
            return super()._build_q_for_search(operator, str_value)
        finally:
            self._searching = False

    def build_name_for_custom_ordering(self, filter_name: str) -> str:
        """An `indexed_text` filter orders by its column."""
        item = self.get_filter_base_item(filter_name)
        if item.get("text_source") and not item.get("through"):
            return item["text_source"]
        return super().build_name_for_custom_ordering(filter_name)

    def build_q_for_custom_filter(self, data):
        """`blank_ref` and `blank_flag` filters compare with ""; `indexed_text` filters as it says;
        other custom filters as django-rql does."""
        item = self.get_filter_base_item(data.filter_name)
        if item.get("text_source"):
            return self._text_q(item, data)
        source = item.get("blank_source")
        if source is None:
            return super().build_q_for_custom_filter(data)
        value = self.remove_quotes(data.str_value)
        if item.get("boolean"):
            if value.lower() not in ("true", "false"):
                raise RQLFilterValueError(
                    details={
                        "error": f"{data.filter_name} is true or false, got {value!r}.",
                        "filter": data.filter_name,
                    }
                )
            q = Q(**{source: ""}) if value.lower() == "true" else ~Q(**{source: ""})
            return ~q if data.filter_lookup == FilterLookups.NE else q
        if data.str_value in (RQL_NULL, "empty()"):
            value = ""
        q = Q(**{source: value})
        return ~q if data.filter_lookup == FilterLookups.NE else q

    def _text_q(self, item: dict, data) -> Q:
        """The Q of one `indexed_text` term (in()/out() arrive here value by value, as eq/ne)."""
        value = self.remove_quotes(data.str_value)
        lookup = data.filter_lookup
        if lookup in (FilterLookups.EQ, FilterLookups.NE):
            q = _through(item, _text_exact(item["text_source"], value, item["text_case"], insensitive=False))
            return ~q if lookup == FilterLookups.NE else q
        insensitive = lookup == FilterLookups.I_LIKE
        kind, text = self._text_pattern(item, data.filter_name, value)
        q = Q()
        if kind in ("exact", "prefix"):
            build = _text_exact if kind == "exact" else _text_prefix
            q = build(item["text_source"], text, item["text_case"], insensitive=insensitive)
        if kind in ("suffix", "search") and item["tail_source"]:
            end = _fold(text, item["text_case"]) if insensitive else text
            q |= Q(prefix(item["tail_source"], end[::-1]))
        if kind == "search":
            q |= _text_prefix(item["text_source"], text, item["text_case"], insensitive=True)
        return _through(item, q)

    def _text_pattern(self, item: dict, name: str, value: str) -> tuple[str, str]:
        """("exact" | "prefix" | "suffix" | "search", the text without its stars), or a 400."""
        pattern, star = self._reflect_like_value(value)  # escaped stars (\*) become `star`
        count = pattern.count(RQL_ANY_SYMBOL)
        body = pattern.strip(RQL_ANY_SYMBOL).replace(star, RQL_ANY_SYMBOL)
        if count == 0:
            return "exact", body
        if count == 1 and pattern.endswith(RQL_ANY_SYMBOL) and body:
            return "prefix", body
        if count == 1 and pattern.startswith(RQL_ANY_SYMBOL) and body and item["tail_source"]:
            return "suffix", body
        if self._searching and count == 2 and pattern[0] == pattern[-1] == RQL_ANY_SYMBOL and body:
            return "search", body
        raise RQLFilterValueError(
            details={
                "error": f"{name} takes "
                + ("`value*` or `*value`" if item["tail_source"] else "`value*`")
                + f" in like/ilike, not {value!r}: other patterns would scan the whole table.",
                "filter": name,
            }
        )


def _fold(value: str, case: str | None) -> str:
    """`value` in the case an `ilike` of an upper- or lower-case column compares."""
    return value.upper() if case == "upper" else value.lower() if case == "lower" else value


def _text_exact(source: str, value: str, case: str | None, *, insensitive: bool) -> Q:
    """Equality through an index: a name's `_ci` index (iexact), rechecked as typed unless `ilike`."""
    if case == "any":
        q = Q(**{f"{source}__iexact": value})
        return q if insensitive else q & Q(**{source: value})
    return Q(**{source: _fold(value, case) if insensitive else value})


def _text_prefix(source: str, value: str, case: str | None, *, insensitive: bool) -> Q:
    """ "Starts with" through an index: a name's `_ci` index (istartswith), rechecked as typed unless `ilike`."""
    if case == "any":
        q = Q(**{f"{source}__istartswith": value})
        return q if insensitive else q & Q(prefix(source, value))
    return Q(prefix(source, _fold(value, case) if insensitive else value))


def _through(item: dict, q: Q) -> Q:
    """`q` as is, or for a `through=(fk, Model)` filter: the rows whose `fk` is a match in `Model`."""
    if not item.get("through"):
        return q
    fk, model = item["through"]
    return Q(**{f"{fk}__in": model.objects.filter(q).values("pk")})


class SyncRunFilters(StrictRQLFilterClass):
    """The RQL filters of the engine's runs (`sync-runs`): stream, status, trigger, start time."""

    MODEL = SyncRun
    SELECT = True
    FILTERS = (
        {"filter": "id", "ordering": True},
        {"filter": "stream", "ordering": False},
        {"filter": "status"},
        {"filter": "trigger"},
        {"filter": "started_at", "ordering": True},
        {"filter": "error_detail", "dynamic": True, "field": SelectField(), "hidden": True},
    )


class UpstreamActionFilters(StrictRQLFilterClass):
    """The RQL filters of the outbox's actions: kind, status, target, correlation id and actor."""

    MODEL = UpstreamAction
    SELECT = True
    FILTERS = (
        {"filter": "id", "ordering": True},
        {"filter": "kind", "search": True},
        {"filter": "status"},
        {"filter": "target_type"},
        {"filter": "target_id", "search": True},
        {"filter": "correlation_id"},
        {"filter": "created_at", "ordering": True},
        {"namespace": "actor", "filters": ("id", "username"), "qs": NSR("actor")},
        {"filter": "payload", "dynamic": True, "field": SelectField(), "hidden": True},
        {"filter": "response", "dynamic": True, "field": SelectField(), "hidden": True},
        {"filter": "error_detail", "dynamic": True, "field": SelectField(), "hidden": True},
    )


class AuditEventFilters(StrictRQLFilterClass):
    """The RQL filters of the audit trail: action, target, correlation id, upstream action and actor."""

    MODEL = AuditEvent
    SELECT = True
    FILTERS = (
        {"filter": "id", "ordering": True},
        {"filter": "created_at", "ordering": True},
        {"filter": "action"},
        {"filter": "target_type"},
        {"filter": "target_id", "search": True},
        {"filter": "correlation_id"},
        {"filter": "upstream_action.id", "source": "upstream_action__id"},
        {"namespace": "actor", "filters": ("id", "username"), "qs": NSR("actor")},
        {"filter": "before", "dynamic": True, "field": SelectField(), "hidden": True},
        {"filter": "after", "dynamic": True, "field": SelectField(), "hidden": True},
    )
