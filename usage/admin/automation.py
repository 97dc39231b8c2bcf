"""The bands of the shipped usage processor (`usage.acceptance_band`), edited here without code.

Who may: supervisors add, change and delete bands (`usage.*_acceptanceband`, granted in
usage.registration); support and readonly see them (the app's view permission). Every save
and delete leaves an audit event naming who changed which band, before and after.
"""

from __future__ import annotations

from django.contrib import admin

from channelhub.admin.kit import AuditedAdminMixin
from usage.models import AcceptanceBand


@admin.register(AcceptanceBand)
class AcceptanceBandAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """A band per product (or the one for every product): its bounds and acceptance note."""

    audit_code = "usage.acceptance_band"
    list_display = ("product_label", "band", "acceptance_note", "updated_at")
    search_fields = ("product_id",)
    ordering = ("product_id",)
    fields = ("product_id", "lower_percent", "upper_percent", "acceptance_note")

    @admin.display(description="product", ordering="product_id")
    def product_label(self, obj):
        """The product, or 'every product' for the default band."""
        return obj.product_id or "every product"

    @admin.display(description="band")
    def band(self, obj):
        """'±20%' or '-10% to +25%'."""
        return obj.words()
