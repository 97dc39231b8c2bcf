"""The Channel flavour of the mirror admin and the staff actions, and Channel's list filters."""

from __future__ import annotations

from typing import ClassVar

from django.contrib import admin
from django.db.models import Q

from channelhub.admin import HiddenByDefaultFilter
from channelhub.admin.actions import StaffActionsMixin
from channelhub.admin.mirror import MirrorAdmin
from fulfillment.channel.models import (
    ChannelProduct,
)

# --- base --------------------------------------------------------------------------------------


class ChannelMirrorAdmin(MirrorAdmin):
    """Channel names are case-sensitive paths: ids are matched as typed (prefix), plus exact
    matches on the indexed columns a subclass lists."""

    exact_search: ClassVar[dict[str, str]] = {}  # field -> "as is" | "lower"
    prefix_search = ("id",)
    contains_search: tuple[str, ...] = ()

    def get_search_results(self, request, queryset, search_term):
        """Rows whose `prefix_search` fields start with the term, whose `exact_search` fields equal it (lower-cased where marked "lower") or whose `contains_search` fields contain it."""
        term = search_term.strip()
        if not term:
            return queryset, False
        condition = Q()
        for field in self.prefix_search:
            condition |= Q(**{f"{field}__startswith": term})
        for field, case in self.exact_search.items():
            condition |= Q(**{field: term.lower() if case == "lower" else term})
        for field in self.contains_search:
            condition |= Q(**{f"{field}__icontains": term})
        return queryset.filter(condition), False

    @admin.display(description="Gone", boolean=True, ordering="gone_at")
    def gone(self, obj):
        """Whether reconcile marked the row gone (no longer listed upstream)."""
        return obj.gone_at is not None


class GoneFilter(HiddenByDefaultFilter):
    """Live rows unless asked: reconcile keeps gone ones (cancelled, deleted) for history."""

    title = "listed upstream"
    parameter_name = "gone"
    default_label = "Live only"
    include_label = "Include gone"
    only_label = "Gone only"

    def flagged(self) -> Q:
        """Rows reconcile marked gone."""
        return Q(gone_at__isnull=False)

    def unflagged(self) -> Q:
        """Rows still listed upstream."""
        return Q(gone_at__isnull=True)


class ChannelProductFilter(admin.SimpleListFilter):
    """Products from their own small table, never a DISTINCT over entitlements."""

    title = "product"
    parameter_name = "product"

    def lookups(self, request, model_admin):
        """The first 200 products by name, from the product table."""
        rows = ChannelProduct.objects.order_by("display_name", "id").values_list("id", "display_name")[:200]
        return [(pk, name or pk) for pk, name in rows]

    def queryset(self, request, queryset):
        """Only the rows of the chosen product."""
        if self.value():
            return queryset.filter(product_id=self.value())
        return queryset


class ChannelActionsMixin(StaffActionsMixin):
    """StaffActionsMixin for Channel objects: Cloud Channel in the messages."""

    upstream_name = "Cloud Channel"

    def queued_message(self, obj, form, upstream_action) -> str:
        """'<Label> queued for <obj>: ... (action #N).'"""
        return (
            f"{form.label} queued for {obj}: it is being sent to Cloud Channel; its progress shows below "
            f"(action #{upstream_action.pk})."
        )
