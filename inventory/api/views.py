"""The inventory's read API: our own JSON (an nflex resource is not a Connect object), each
viewset configuration (HOUSE_STYLE 9): queryset with its relations fetched in a fixed number
of queries, serializer, RQL filter class, a default ordering an index serves."""

from __future__ import annotations

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce

from channelhub.api.viewsets import RQLReadOnlyViewSet
from inventory import filters
from inventory.models import InventorySource, MetricSample, Resource, ResourceConnection

from . import serializers


def _live_count():
    """The number of live resources of the source (index resource_source_gone)."""
    live = (
        Resource.objects.filter(source=OuterRef("pk"), gone_at__isnull=True)
        .order_by()
        .values("source")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(live, output_field=IntegerField()), Value(0))


class ResourceViewSet(RQLReadOnlyViewSet):
    """Resources of every source, with their metadata, IP addresses and outgoing connections.

    Children come in one query each for the whole page (prefetched); a connection says
    whether its target is mirrored in the same query (`EXISTS` on the target's key).
    """

    queryset = (
        Resource.objects.select_related("source")
        .defer(
            "payload", "source__parameters", "source__state", "source__last_traceback", "source__last_logs"
        )
        .prefetch_related(
            "metadata",
            "addresses",
            Prefetch(
                "connections",
                queryset=ResourceConnection.objects.annotate(
                    target_exists=Exists(Resource.objects.filter(pk=OuterRef("target_key")))
                ),
            ),
        )
    )
    serializer_class = serializers.ResourceSerializer
    rql_filter_class = filters.ResourceFilters
    default_ordering = ("source_id", "type", "upstream_id")  # constraint resource_source_type_uid
    lookup_value_regex = ".+?"  # a key holds the upstream id as given, "/" included


class InventorySourceViewSet(RQLReadOnlyViewSet):
    """Inventory sources: how their last passes went, how many resources are live. Parameters
    are censored; a connector's traceback, logs and state are not served (the admin shows the
    traceback to supervisors)."""

    queryset = InventorySource.objects.defer("last_traceback", "last_logs", "state", "last_dry_run").annotate(
        live_resources=_live_count()
    )
    serializer_class = serializers.InventorySourceSerializer
    rql_filter_class = filters.InventorySourceFilters
    default_ordering = ("name",)


class MetricSampleViewSet(RQLReadOnlyViewSet):
    """Metric samples, by resource, metric and time (the unique index's order)."""

    queryset = MetricSample.objects.select_related("resource").only(
        "id", "metric", "time", "value", "unit", "counter", "specialisation", "resource", "resource__name"
    )
    serializer_class = serializers.MetricSampleSerializer
    rql_filter_class = filters.MetricSampleFilters
    default_ordering = ("resource_id", "metric", "time")  # constraint metricsample_resource_metric_time
