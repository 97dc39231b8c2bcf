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
from py_rql.constants import RESERVED_FILTER_NAMES, RQL_NULL, FilterLookups
from py_rql.exceptions import RQLFilterLookupError, RQLFilterValueError

from channelhub.models import AuditEvent, SyncRun, UpstreamAction

from . import limits

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

    def build_q_for_custom_filter(self, data):
        """`blank_ref` and `blank_flag` filters compare with ""; other custom filters as django-rql does."""
        item = self.get_filter_base_item(data.filter_name)
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
