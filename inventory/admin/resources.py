"""Resources and their child rows: metadata, IP addresses, connections (read-only mirrors)."""

from __future__ import annotations

from typing import ClassVar

from django.contrib import admin
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html

from channelhub.admin import BoundedCountPaginator, HiddenByDefaultFilter
from channelhub.admin.mirror import MirrorAdmin, SmallTableFilter
from inventory import display, selectors
from inventory.models import InventorySource, Resource, ResourceAddress, ResourceConnection, ResourceMetadata

# At most this many resources found through a child table per search (staff narrow the term).
SEARCH_IDS = 1000


def resource_url(key: str) -> str:
    """The admin page of a resource by its key."""
    return reverse("admin:inventory_resource_change", args=[key])


class GoneFilter(HiddenByDefaultFilter):
    """Live resources unless asked: a complete pass keeps the ones it no longer lists, for history."""

    title = "listed by its source"
    parameter_name = "gone"
    default_label = "Live only"
    include_label = "Include gone"
    only_label = "Gone only"

    def flagged(self) -> Q:
        """Resources their source no longer lists."""
        return Q(gone_at__isnull=False)

    def unflagged(self) -> Q:
        """Resources still listed (index resource_source_gone, and gone_at's own)."""
        return Q(gone_at__isnull=True)


class SourceFilter(SmallTableFilter):
    """Resources of one source, chosen from the sources' own small table."""

    title = "source"
    parameter_name = "source"
    source_model = InventorySource
    field = "source"

    def lookups(self, request, model_admin):
        """The sources by name."""
        return list(InventorySource.objects.order_by("name").values_list("id", "name")[: self.limit])


class TypeFilter(admin.SimpleListFilter):
    """Resources of one type, in words (the nflex types; an unknown one is still reachable by URL)."""

    title = "type"
    parameter_name = "type"

    def lookups(self, request, model_admin):
        """The types the nflex library knows, in words."""
        return list(display.TYPE_WORDS.items())

    def queryset(self, request, queryset):
        """Only the chosen type (indexed)."""
        return queryset.filter(type=self.value()) if self.value() else queryset


@admin.register(Resource)
class ResourceAdmin(MirrorAdmin):
    """Resources of every source: by type, source, account, region, state, live or gone; found
    by name (its start), upstream id, key, IP address or metadata value."""

    list_display = (
        "name_link",
        "type_label",
        "source",
        "account",
        "region",
        "state_pill",
        "last_seen",
        "gone",
    )
    list_display_links = None
    list_filter = (GoneFilter, TypeFilter, SourceFilter, "state", "region", "account")
    list_select_related = ("source",)
    search_fields = ("id",)
    search_help_text = (
        "Name (its start, as typed), upstream id, key, IP address (or its start) or a metadata value"
    )
    changelist_defer = (
        "payload",
        "base",
        "details",
        "locations",
        "source__parameters",
        "source__state",
        "source__last_traceback",
        "source__last_logs",
        "source__last_dry_run",
    )
    paginator = BoundedCountPaginator
    ordering = ("source_id", "type", "upstream_id")
    fields = ("id",)

    def get_search_results(self, request, queryset, search_term):
        """Name prefix, exact upstream id or key on the resource's indexes; an IP address (prefix)
        or a metadata value resolved first to resource ids through the child table's index."""
        term = search_term.strip()
        if not term:
            return queryset, False
        ids = set(
            ResourceAddress.objects.filter(ip_address__startswith=term).values_list("resource_id", flat=True)[
                :SEARCH_IDS
            ]
        )
        ids |= set(
            ResourceMetadata.objects.filter(value_text=term).values_list("resource_id", flat=True)[
                :SEARCH_IDS
            ]
        )
        condition = Q(name__startswith=term) | Q(upstream_id=term) | Q(pk=term)
        if ids:
            condition |= Q(pk__in=ids)
        return queryset.filter(condition), False

    @admin.display(description="Name", ordering="name")
    def name_link(self, obj):
        """The name (or upstream id), linked to the resource's page."""
        return format_html('<a href="{}">{}</a>', resource_url(obj.pk), obj.name or obj.upstream_id or obj.pk)

    @admin.display(description="Type", ordering="type")
    def type_label(self, obj):
        """The type in words."""
        return display.type_words(obj.type)

    @admin.display(description="State", ordering="state")
    def state_pill(self, obj):
        """The state as a badge, or a dash."""
        return display.state_badge(obj.state) if obj.state else "—"

    @admin.display(description="Last seen")
    def last_seen(self, obj):
        """When it was last seen (`Resource.seen_at`)."""
        return obj.seen_at

    @admin.display(description="Gone", boolean=True, ordering="gone_at")
    def gone(self, obj):
        """Whether its source no longer lists it."""
        return obj.gone_at is not None

    def detail_context(self, request, obj) -> dict:
        """The resource page's reads (`selectors.resource_detail`)."""
        return selectors.resource_detail(resource=obj)


class ChildAdmin(MirrorAdmin):
    """A resource's child rows as a read-only list, searched by exact values of indexed columns."""

    prefix_search = ()  # keys are "<source>:<type>:<id>", never upper-cased
    paginator = BoundedCountPaginator
    list_select_related = ("resource",)
    changelist_defer = ("payload", "resource__payload", "resource__base", "resource__details")
    fields = ("id",)

    @admin.display(description="Resource", ordering="resource_id")
    def resource_link(self, obj):
        """The resource it belongs to, linked."""
        return format_html(
            '<a href="{}">{}</a>', resource_url(obj.resource_id), obj.resource.name or obj.resource_id
        )


@admin.register(ResourceMetadata)
class ResourceMetadataAdmin(ChildAdmin):
    """Metadata values of resources (nflex `metadata.<namespace>.<key>`)."""

    list_display = ("resource_link", "namespace", "key", "value_text")
    list_filter = ("namespace",)
    search_fields = ("key",)
    exact_search: ClassVar[dict[str, str]] = {"key": "as is", "value_text": "as is", "resource_id": "as is"}
    search_help_text = "Key, value (exactly) or resource key"
    ordering = ("namespace", "key")


@admin.register(ResourceAddress)
class ResourceAddressAdmin(ChildAdmin):
    """IP addresses of servers."""

    list_display = ("ip_address", "resource_link", "network_name", "description")
    search_fields = ("ip_address",)
    exact_search: ClassVar[dict[str, str]] = {"ip_address": "as is", "resource_id": "as is"}
    search_help_text = "IP address (exactly) or resource key"
    ordering = ("ip_address",)


@admin.register(ResourceConnection)
class ResourceConnectionAdmin(ChildAdmin):
    """Connections between resources of a source (the target may not be listed: dangling)."""

    list_display = ("resource_link", "kind", "target_type", "target_upstream_id", "target_link")
    list_filter = ("kind", "target_type")
    search_fields = ("target_key",)
    exact_search: ClassVar[dict[str, str]] = {"target_key": "as is", "resource_id": "as is"}
    search_help_text = "The key of either end"
    ordering = ("resource_id", "kind", "target_upstream_id")

    @admin.display(description="Target")
    def target_link(self, obj):
        """The target's page (a missing target is a 404 there: the resource page says "not listed")."""
        return format_html('<a href="{}">{}</a>', resource_url(obj.target_key), obj.target_key)
