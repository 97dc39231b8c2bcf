"""Recurring assets (their billing periods, requests and usage side by side) and billing requests."""

from __future__ import annotations

from typing import ClassVar

from django.contrib import admin
from django.utils.html import format_html

from channelhub.admin import BoundedCountPaginator, pretty_json
from channelhub.admin.mirror import MirrorAdmin
from usage import selectors
from usage.choices import RecurringAssetStatus
from usage.display import admin_url, item_rows, period_words, usage_badge
from usage.models import BillingRequest, RecurringAsset

from .base import UsageActionsMixin


@admin.register(RecurringAsset)
class RecurringAssetAdmin(UsageActionsMixin, MirrorAdmin):
    """Assets with recurring billing: found by id, external id / uid, product, contract, customer."""

    object_kwarg = "asset"
    list_display = (
        "id",
        "status_pill",
        "product_name",
        "customer_name",
        "contract_id",
        "billing_period",
        "next_billing_date",
        "environment",
        "created",
    )
    list_filter = (
        "status",
        "environment",
        "billing_period_uom",
        ("next_billing_date", admin.DateFieldListFilter),
    )
    search_fields = ("id",)
    exact_search: ClassVar[dict[str, str]] = {
        "external_id": "as is",
        "external_uid": "as is",
        "product_id": "upper",
        "contract_id": "upper",
        "marketplace_id": "upper",
        "customer_id": "upper",
        "customer_name": "as is",
    }
    search_help_text = "Asset id (or its start), external id / uid, product, contract, marketplace or customer id, customer name"
    changelist_defer = ("payload", "items", "anniversary")
    paginator = BoundedCountPaginator
    ordering = ("-created",)
    fields = ("id",)

    @admin.display(description="Billing period", ordering="billing_period_uom")
    def billing_period(self, obj):
        """Its billing period, e.g. "1 monthly"."""
        if not obj.billing_period_uom:
            return "—"
        delta = f"{obj.billing_period_delta.normalize():f} " if obj.billing_period_delta is not None else ""
        return f"{delta}{obj.get_billing_period_uom_display()}"

    def status_pill(self, obj):
        """The asset's status in the usage colours."""
        return usage_badge(RecurringAssetStatus, obj.status)

    status_pill.short_description = "Status"
    status_pill.admin_order_field = "status"

    def detail_context(self, request, obj):
        """Its billing periods (requests and usage files side by side), latest records, items."""
        return {
            "billing_periods": selectors.asset_billing(asset=obj),
            "latest_records": selectors.asset_records(asset_id=obj.pk),
            "billing_period": self.billing_period(obj),
            "items": item_rows(obj.items),
            "anniversary_json": pretty_json(obj.anniversary) if obj.anniversary else "",
        }


@admin.register(BillingRequest)
class BillingRequestAdmin(UsageActionsMixin, MirrorAdmin):
    """Billing requests of recurring assets: a vendor's or provider's bill for a period."""

    object_kwarg = "billing_request"
    list_display = (
        "id",
        "type",
        "asset_link",
        "asset_external_uid",
        "product_id",
        "period",
        "created",
        "updated",
    )
    list_filter = ("type", "period_uom", ("period_from", admin.DateFieldListFilter))
    search_fields = ("id",)
    exact_search: ClassVar[dict[str, str]] = {
        "asset_id": "upper",
        "asset_external_uid": "as is",
        "product_id": "upper",
    }
    search_help_text = "Billing request id (or its start), asset id / external uid, product id"
    changelist_defer = ("payload", "items", "attributes")
    paginator = BoundedCountPaginator
    ordering = ("-created",)
    fields = ("id",)

    @admin.display(description="Asset", ordering="asset_id")
    def asset_link(self, obj):
        """The asset's id, linked (no join: the id is on the row)."""
        if not obj.asset_id:
            return "—"
        return format_html('<a href="{}">{}</a>', admin_url(RecurringAsset, obj.asset_id), obj.asset_id)

    @admin.display(description="Period", ordering="period_from")
    def period(self, obj):
        """The billed period, from → to."""
        return period_words(obj.period_from, obj.period_to)

    def detail_context(self, request, obj):
        """Its asset (if mirrored), period, items and attributes."""
        return {
            "asset": selectors.request_asset(billing_request=obj),
            "period": period_words(obj.period_from, obj.period_to),
            "items": item_rows(obj.items),
            "attributes_json": pretty_json(obj.attributes) if obj.attributes else "",
        }
