"""RQL filter classes of the inventory API (`/api/v1/inventory/...`): our names, indexed columns.

Every filter reads an indexed column (or the leading column of an index), or, for the child
rows (IP addresses, metadata), the indexed column of the child table through a subquery of
resource ids (`pk IN (SELECT resource_id ...)`), which returns each resource once without a
DISTINCT over its row. Two filters are computed:

- `gone`: `eq(gone,true)` finds the resources a complete pass no longer listed
  (`gone_at` set), `eq(gone,false)` the live ones (as `null(gone_at)` does);
- `last_seen`: when a resource was last seen (`Resource.seen_at`): a live resource by its
  source's last complete pass (or its own `last_seen_at` if later), a gone one by its
  stored `last_seen_at`. `ge`/`gt`/`le`/`lt` only. The stored time has its index
  (`resource_last_seen`); the live side goes by `gone_at`'s and the source's key, so neither
  half walks the table.

Metadata filters match each on their own: `and(eq(metadata.key,env),eq(metadata.value,prod))`
finds resources with a key `env` and a value `prod`, not necessarily in the same entry.
"""

from __future__ import annotations

from dj_rql.constants import DjangoLookups
from django.db.models import Q
from py_rql.constants import FilterLookups
from py_rql.exceptions import RQLFilterLookupError, RQLFilterValueError

from channelhub.api.filters import StrictRQLFilterClass, f
from inventory.models import InventorySource, MetricSample, Resource, ResourceAddress, ResourceMetadata

_TEXT = {FilterLookups.EQ, FilterLookups.NE, FilterLookups.IN, FilterLookups.OUT, FilterLookups.LIKE}
_RANGE = {FilterLookups.GE, FilterLookups.GT, FilterLookups.LE, FilterLookups.LT}
_ORM_LOOKUP = {
    DjangoLookups.EXACT: "exact",
    DjangoLookups.STARTSWITH: "startswith",
    DjangoLookups.ENDSWITH: "endswith",
    DjangoLookups.CONTAINS: "contains",
    DjangoLookups.REGEX: "regex",
}


def child(name: str, model, column: str) -> dict:
    """A filter on a child table's indexed `column`, matching the resources that have such a row."""
    return {"filter": name, "custom": True, "child": (model, column), "lookups": set(_TEXT)}


class ResourceFilters(StrictRQLFilterClass):
    """The RQL filters of resources: key fields, typed columns, live/gone, IP, metadata, last seen."""

    MODEL = Resource
    FILTERS = (
        f("id", ordering=True),
        f("type", ordering=True),
        f("source", "source__name"),  # the source's unique name (a small table)
        f("source.id", "source__id"),
        f("upstream_id"),  # index resource_upstream_id
        f("name", ordering=True),
        f("account", ordering=True),
        f("region", ordering=True),
        f("country", ordering=True),
        f("state", ordering=True),
        f("type_id"),
        f("instance_type"),
        f("zone"),
        f("encrypted"),
        f("cpu_cores", ordering=True),
        f("ram_b", ordering=True),
        f("size_b", ordering=True),
        f("provider_created_at", ordering=True),
        f("gone_at", ordering=True),
        {"filter": "gone", "custom": True, "lookups": {FilterLookups.EQ, FilterLookups.NE}},
        {"filter": "last_seen", "custom": True, "lookups": set(_RANGE)},
        child("ip", ResourceAddress, "ip_address"),
        child("metadata.namespace", ResourceMetadata, "namespace"),
        child("metadata.key", ResourceMetadata, "key"),
        child("metadata.value", ResourceMetadata, "value_text"),
    )

    def build_q_for_custom_filter(self, data):
        """`gone`, `last_seen` and the child-row filters; the base's custom filters otherwise."""
        item = self.get_filter_base_item(data.filter_name)
        if "child" in item:
            return self._child_q(data, *item["child"])
        if data.filter_name == "gone":
            return self._gone_q(data)
        if data.filter_name == "last_seen":
            return self._last_seen_q(data)
        return super().build_q_for_custom_filter(data)

    def _child_q(self, data, model, column: str) -> Q:
        lookup = data.filter_lookup
        if lookup == FilterLookups.LIKE:
            django_lookup = self._get_searching_django_lookup(lookup, data.str_value)
            try:
                value = self._get_searching_typed_value(django_lookup, data.str_value)
            except ValueError:
                raise RQLFilterValueError(
                    details={"error": f"Bad like pattern for {data.filter_name}.", "filter": data.filter_name}
                ) from None
            rows = model.objects.filter(**{f"{column}__{_ORM_LOOKUP[django_lookup]}": value})
        else:
            rows = model.objects.filter(**{column: self.remove_quotes(data.str_value)})
        q = Q(pk__in=rows.values("resource_id"))
        return ~q if lookup in (FilterLookups.NE, FilterLookups.OUT) else q

    def _gone_q(self, data) -> Q:
        value = self.remove_quotes(data.str_value).lower()
        if value not in ("true", "false"):
            raise RQLFilterValueError(
                details={"error": f"gone is true or false, got {data.str_value!r}.", "filter": "gone"}
            )
        gone = (value == "true") != (data.filter_lookup == FilterLookups.NE)
        return Q(gone_at__isnull=not gone)

    def _last_seen_q(self, data) -> Q:
        try:
            when = self._convert_datetime_value(self.remove_quotes(data.str_value))
        except ValueError:
            raise RQLFilterValueError(
                details={
                    "error": f"last_seen is a date and time, got {data.str_value!r}.",
                    "filter": "last_seen",
                }
            ) from None
        op = {
            FilterLookups.GE: "gte",
            FilterLookups.GT: "gt",
            FilterLookups.LE: "lte",
            FilterLookups.LT: "lt",
        }.get(data.filter_lookup)
        if op is None:
            raise RQLFilterLookupError(
                details={"error": "last_seen takes ge, gt, le or lt.", "filter": "last_seen"}
            )
        stored = Q(**{f"last_seen_at__{op}": when})
        by_pass = Q(**{f"source__last_complete_at__{op}": when})
        if op in ("gte", "gt"):
            # seen_at = max(pass, stored) for a live resource: either one late enough will do.
            return stored | (Q(gone_at__isnull=True) & by_pass)
        # Both early enough (or no complete pass yet); a gone resource by its stored time only.
        return stored & (Q(gone_at__isnull=False) | Q(source__last_complete_at__isnull=True) | by_pass)


class InventorySourceFilters(StrictRQLFilterClass):
    """The RQL filters of sources (a small table): name, kind, status, enabled, last pass times."""

    MODEL = InventorySource
    FILTERS = (
        f("id", ordering=True),
        f("name", ordering=True),
        f("kind"),
        f("status", ordering=True),
        f("enabled"),
        f("last_run_at", ordering=True),
        f("last_success_at", ordering=True),
        f("last_complete_at", ordering=True),
    )


class MetricSampleFilters(StrictRQLFilterClass):
    """The RQL filters of metric samples: resource (key or upstream id), metric, time."""

    MODEL = MetricSample
    FILTERS = (
        f("id", ordering=True),
        f("resource", "resource__id", ordering=True),  # leads metricsample_resource_metric_time
        f("resource.upstream_id", "resource__upstream_id"),  # index resource_upstream_id
        f("metric", ordering=True),  # leads metricsample_metric_time
        f("time", ordering=True, lookups=set(_RANGE) | {FilterLookups.EQ}),
    )
