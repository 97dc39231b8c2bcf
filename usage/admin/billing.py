"""Recurring assets (their billing periods, requests and usage side by side) and billing requests."""

from __future__ import annotations

import copy
from typing import ClassVar

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from channelhub.actions import selectors as action_selectors
from channelhub.actions.specs import spec_for
from channelhub.admin import BoundedCountPaginator, pretty_json
from channelhub.admin.mirror import MirrorAdmin
from channelhub.services import ServiceError
from usage import selectors
from usage.choices import RecurringAssetStatus
from usage.display import admin_url, item_rows, period_words, usage_badge
from usage.models import BillingRequest, RecurringAsset

from .base import UsageActionsMixin

CREATE_KIND = "connect.billing_request.create"


@admin.register(RecurringAsset)
class RecurringAssetAdmin(MirrorAdmin):
    """Assets with recurring billing: found by id, external id / uid, product, contract,
    customer. Its page shows its billing periods beside its usage and, for those who may,
    the form that bills it for a period (the billing request create spec)."""

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

    def get_urls(self):
        """The billing request creation beside the admin's own views."""
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/bill/",
                self.admin_site.admin_view(self.bill_view),
                name="{}_{}_bill".format(*info),
            ),
            *super().get_urls(),
        ]

    def bill_view(self, request, object_id):
        """POST the billing request form: its service queues the create, or says why not."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(f"No recurring asset {object_id} in the mirror.")
        spec = spec_for(CREATE_KIND)
        if not request.user.has_perm(spec.perm):
            raise PermissionDenied
        form = spec.form(request.POST, obj=obj, spec=spec)
        if form.is_valid():
            try:
                spec.service(actor=request.user, **form.service_kwargs())
            except ServiceError as error:
                messages.error(request, error.message)
            else:
                messages.success(
                    request, f"Billing request for {obj.pk} queued: it is being sent to Connect."
                )
                return HttpResponseRedirect(admin_url(RecurringAsset, obj.pk) + "#ch-bill")
        else:
            messages.error(request, "Please correct the errors below.")
        as_get = copy.copy(request)
        as_get.method = "GET"
        return self.change_view(as_get, object_id, extra_context={"bill_form": form})

    def bill_context(self, request, obj, bound=None) -> dict:
        """The billing request form (if the user may bill) and the latest creations."""
        spec = spec_for(CREATE_KIND)
        if not request.user.has_perm(spec.perm):
            return {"bill_form": None, "bill_url": "", "bill_actions": []}
        return {
            "bill_form": bound or spec.form(obj=obj, spec=spec),
            "bill_url": reverse("admin:usage_recurringasset_bill", args=[obj.pk]),
            "bill_actions": action_selectors.actions_of_kind(kind=CREATE_KIND),
        }

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        """The page, with the billing request form (a refused one still holding what was typed)."""
        if obj is not None:
            context.update(self.bill_context(request, obj, context.get("bill_form")))
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )

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
