"""Channel's catalog: products, SKUs, offers."""

from __future__ import annotations

from django.contrib import admin

from fulfillment.channel.display import definition_words, price_words
from fulfillment.channel.models import (
    ChannelProduct,
    Offer,
    Sku,
)

from .base import ChannelMirrorAdmin, ChannelProductFilter, GoneFilter

# --- catalog ------------------------------------------------------------------------------------


@admin.register(ChannelProduct)
class ChannelProductAdmin(ChannelMirrorAdmin):
    """The mirrored Channel products, found by id or by a part of their name."""

    list_display = ("id", "display_name", "gone", "synced_at")
    list_filter = (GoneFilter,)
    search_fields = ("display_name",)
    contains_search = ("display_name",)  # a small table
    ordering = ("display_name",)
    fieldsets = (
        (None, {"fields": ("id", "display_name", "description", "gone_at", "gone_reason", "synced_at")}),
        ("Raw payload", {"classes": ("collapse",), "fields": ("raw_payload",)}),
    )


@admin.register(Sku)
class SkuAdmin(ChannelMirrorAdmin):
    """The mirrored SKUs, filterable by product."""

    list_display = ("id", "display_name", "product_id", "gone", "synced_at")
    list_filter = (GoneFilter, ChannelProductFilter)
    search_fields = ("display_name",)
    contains_search = ("display_name",)
    ordering = ("product_id", "display_name")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "id",
                    "display_name",
                    "product",
                    "description",
                    "gone_at",
                    "gone_reason",
                    "synced_at",
                )
            },
        ),
        ("Raw payload", {"classes": ("collapse",), "fields": ("raw_payload",)}),
    )


@admin.register(Offer)
class OfferAdmin(ChannelMirrorAdmin):
    """Our account's mirrored offers, with their plan, price and parameters in words."""

    list_display = (
        "id",
        "display_name",
        "product_name",
        "payment_plan",
        "payment_type",
        "payment_cycle",
        "price",
        "gone",
    )
    list_filter = (GoneFilter, "payment_plan", "payment_type", ChannelProductFilter)
    search_fields = ("display_name",)
    contains_search = ("display_name",)  # a few hundred offers at most
    changelist_defer = ("payload", "parameter_definitions")
    ordering = ("display_name", "payment_plan")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "id",
                    "display_name",
                    "product_name",
                    "sku",
                    "payment_plan",
                    "payment_type",
                    "payment_cycle",
                    "trial_period",
                    "price",
                    "parameters_display",
                    "description",
                    "deal_code",
                    "start_time",
                    "end_time",
                    "gone_at",
                    "synced_at",
                )
            },
        ),
        ("Raw payload", {"classes": ("collapse",), "fields": ("raw_payload",)}),
    )

    @admin.display(description="Price")
    def price(self, obj):
        """The offer's first price in words."""
        return price_words(obj.prices) or "—"

    @admin.display(description="Parameters")
    def parameters_display(self, obj):
        """The offer's parameter definitions in words."""
        return "; ".join(definition_words(obj.parameter_definitions)) or "—"

    @admin.display(description="Description (as sent, shown as text)")
    def description(self, obj):
        """The offer's marketing description from the payload, shown as text."""
        info = (obj.payload or {}).get("marketingInfo") or {}
        return info.get("description") or "—"  # escaped by the admin
