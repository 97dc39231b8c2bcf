"""Metric samples (read-only) and metric mappings (edited by the roles allowed to)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from channelhub.admin import BoundedCountPaginator, ReadOnlyAdminMixin
from inventory.models import MetricMapping, MetricSample


@admin.register(MetricSample)
class MetricSampleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Samples by resource, metric and time; the resource page charts them."""

    list_display = ("resource_link", "metric", "time", "value", "unit", "counter")
    list_filter = ("counter",)
    list_select_related = ("resource",)
    search_fields = ("metric",)
    search_help_text = "Metric name (exactly) or resource key"
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = BoundedCountPaginator
    list_per_page = 100
    ordering = ("resource_id", "metric", "-time")

    def get_search_results(self, request, queryset, search_term):
        """Exact metric name or resource key (both lead an index)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(metric=term) | queryset.filter(resource_id=term), False

    def get_queryset(self, request):
        """Samples with only their resource's key and name read."""
        return super().get_queryset(request).defer("resource__payload", "resource__base", "resource__details")

    @admin.display(description="Resource", ordering="resource_id")
    def resource_link(self, obj):
        """The resource, linked."""
        url = reverse("admin:inventory_resource_change", args=[obj.resource_id])
        return format_html('<a href="{}">{}</a>', url, obj.resource.name or obj.resource_id)


@admin.register(MetricMapping)
class MetricMappingAdmin(admin.ModelAdmin):
    """How raw metrics become samples: name, unit, counter, specialisation and a conversion
    (in the library's safe grammar). Who may add, change or delete them is the role's
    permission (supervisors); everyone else with view permission reads them."""

    list_display = ("key", "name", "unit", "counter", "specialisation", "source", "conversion_expr")
    list_filter = ("counter", "source")
    search_fields = ("key", "name")
    ordering = ("key",)
