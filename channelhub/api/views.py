"""Read API views of channelhub's own objects, and the API root."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response
from rest_framework.reverse import reverse

from channelhub import registry
from channelhub.models import AuditEvent, SyncRun, UpstreamAction

from . import filters, serializers
from .permissions import CanReadSomething
from .viewsets import RQLReadOnlyViewSet


class SyncRunViewSet(RQLReadOnlyViewSet):
    """Sync runs: one row per run of one stream (counts, window, errors)."""

    queryset = SyncRun.objects.all()
    serializer_class = serializers.SyncRunSerializer
    rql_filter_class = filters.SyncRunFilters
    default_ordering = ("-started_at",)
    heavy_fields = ("error_detail",)


class UpstreamActionViewSet(RQLReadOnlyViewSet):
    """The outbox: staff actions towards an upstream, their attempts and answers."""

    queryset = UpstreamAction.objects.all()
    serializer_class = serializers.UpstreamActionSerializer
    rql_filter_class = filters.UpstreamActionFilters
    default_ordering = ("-created_at",)
    heavy_fields = ("payload", "response", "error_detail")


class AuditEventViewSet(RQLReadOnlyViewSet):
    """The audit trail: who did what to which object, before and after."""

    queryset = AuditEvent.objects.all()
    serializer_class = serializers.AuditEventSerializer
    rql_filter_class = filters.AuditEventFilters
    default_ordering = ("-created_at",)
    heavy_fields = ("before", "after")


@extend_schema(exclude=True)
@api_view(["GET"])
@permission_classes([CanReadSomething])
def api_root(request, format=None):
    """The collections of the read API (docs/api.md)."""

    def url(name, **kwargs):
        return reverse(name, request=request, kwargs=kwargs or None)

    return Response(
        {
            **{
                mount.prefix: {key: url(name) for key, name in mount.root.items()}
                for mount in registry.api_mounts()
            },
            "channelhub": {
                "sync-runs": url("channelhub-syncrun-list"),
                "actions": url("channelhub-upstreamaction-list"),
                "audit-events": url("channelhub-auditevent-list"),
            },
            "schema": url("api-schema"),
            "docs": url("api-docs"),
        }
    )
