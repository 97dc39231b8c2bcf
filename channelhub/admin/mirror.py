"""The base of every mirror's admin: read-only, lean changelists, indexed search, the raw payload."""

from __future__ import annotations

from typing import ClassVar

from django.contrib import admin
from django.db.models import Q
from django.utils.html import format_html

from channelhub.admin.kit import ReadOnlyAdminMixin, ShownOrderChangeList, pretty_json, status_badge


class SmallTableFilter(admin.SimpleListFilter):
    """A filter on `<field>_id` whose choices are read from a small mirrored table."""

    source_model = None
    field = ""
    limit = 500

    def lookups(self, request, model_admin):
        """The source table's rows as choices, by name, at most `limit` of them."""
        rows = self.source_model.objects.order_by("name", "id").values_list("id", "name")[: self.limit]
        return [(pk, f"{name} ({pk})" if name else pk) for pk, name in rows]

    def queryset(self, request, queryset):
        """Rows whose `<field>_id` is the chosen id; all rows when nothing is chosen."""
        if self.value():
            return queryset.filter(**{f"{self.field}_id": self.value()})
        return queryset


class LeanChangeList(ShownOrderChangeList):
    """Changelist that never loads the heavy JSON columns it does not show (and whose sorted
    header follows `get_ordering(request)`: `ShownOrderChangeList`)."""

    def get_queryset(self, request, exclude_parameters=None):
        """The changelist's rows with the admin's `changelist_defer` columns deferred."""
        queryset = super().get_queryset(request, exclude_parameters)
        return queryset.defer(*self.model_admin.changelist_defer)


class MirrorAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Base of every mirror's admin: read-only, lean lists, raw payload at the bottom.

    `redact_payload` is the hook where an upstream's secrets are masked before the raw
    payload is shown (Connect's password parameters, say).
    """

    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    changelist_defer: tuple[str, ...] = ("payload",)
    # Exact-match search: {lookup: transform}. Ids are upper-case upstream; staff paste
    # them in any case. Subclasses list indexed columns only.
    exact_search: ClassVar[dict[str, str]] = {}
    prefix_search: tuple[str, ...] = ("id",)
    # Substring search, for the small tables only (products, templates, marketplaces...).
    contains_search: tuple[str, ...] = ()

    @staticmethod
    def redact_payload(payload):
        """The payload as staff may see it; an upstream with secrets in payloads masks them here."""
        return payload

    def get_changelist(self, request, **kwargs):
        """`LeanChangeList`, so changelists never load the raw payloads and mark the order shown."""
        return LeanChangeList

    def get_search_results(self, request, queryset, search_term):
        """Exact / prefix matches on indexed columns; never `icontains` over a big table."""
        term = search_term.strip()
        if not term:
            return queryset, False
        condition = Q()
        for field in self.prefix_search:
            condition |= Q(**{f"{field}__startswith": term.upper()})
        for field, case in self.exact_search.items():
            condition |= Q(**{field: term.upper() if case == "upper" else term})
        for field in self.contains_search:
            condition |= Q(**{f"{field}__icontains": term})
        return queryset.filter(condition), False

    @admin.display(description="Status", ordering="status")
    def status_pill(self, obj):
        """The status as a coloured badge with its display label."""
        label = obj.get_status_display() if hasattr(obj, "get_status_display") else obj.status
        return status_badge(obj.status, label)

    @admin.display(description="Raw payload")
    def raw_payload(self, obj):
        """The upstream JSON (redacted), folded away in a details element."""
        return format_html(
            '<details class="ch-raw"><summary>Show upstream JSON</summary><pre>{}</pre></details>',
            pretty_json(self.redact_payload(obj.payload)),
        )

    def detail_context(self, request, obj) -> dict:
        """Extra context for the model's custom detail template."""
        return {}

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        """Add `detail_context`, the object, its badge and its redacted payload for the detail template."""
        if obj is not None:
            context.update(self.detail_context(request, obj))
            context["obj"] = obj
            if hasattr(obj, "status"):
                context["status_badge"] = self.status_pill(obj)
            context["payload_json"] = pretty_json(self.redact_payload(obj.payload))
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )
