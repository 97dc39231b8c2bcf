"""The bands of the shipped usage processor (`usage.acceptance_band`), edited here without code.

Who may: supervisors add, change and delete bands (`usage.*_acceptanceband`, granted in
usage.registration); support and readonly see them (the app's view permission). Every save
and delete leaves an audit event naming who changed which band, before and after.
"""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction
from django.forms.models import model_to_dict

from channelhub.actions.services import audit
from usage.models import AcceptanceBand

TARGET_TYPE = "usage.acceptanceband"


def _state(band: AcceptanceBand) -> dict:
    return {k: str(v) for k, v in model_to_dict(band, exclude=["id"]).items()}


@admin.register(AcceptanceBand)
class AcceptanceBandAdmin(admin.ModelAdmin):
    """A band per product (or the one for every product): its bounds and acceptance note."""

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

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        """Save, with an audit event of what changed."""
        before = _state(AcceptanceBand.objects.get(pk=obj.pk)) if change and obj.pk else None
        super().save_model(request, obj, form, change)
        audit(
            actor=request.user,
            action="usage.acceptance_band.changed" if change else "usage.acceptance_band.added",
            target_type=TARGET_TYPE,
            target_id=str(obj.pk),
            message=str(obj),
            before=before,
            after=_state(obj),
        )

    @transaction.atomic
    def delete_model(self, request, obj):
        """Delete, with an audit event of what was removed."""
        before, pk = _state(obj), obj.pk
        super().delete_model(request, obj)
        audit(
            actor=request.user,
            action="usage.acceptance_band.deleted",
            target_type=TARGET_TYPE,
            target_id=str(pk),
            message=f"{obj} removed",
            before=before,
        )

    def delete_queryset(self, request, queryset):
        """The list's bulk delete: each band deleted (and audited) as one would be."""
        for band in queryset:
            self.delete_model(request, band)
