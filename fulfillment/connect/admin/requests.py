"""Fulfillment requests (the support queue, with staff actions and bulk actions) and assets."""

from __future__ import annotations

from typing import ClassVar

from django.contrib import admin, messages
from django.template.response import TemplateResponse

from channelhub.admin import BoundedCountPaginator
from channelhub.services import ServiceError
from fulfillment.connect import forms as action_forms
from fulfillment.connect import selectors, services
from fulfillment.connect.choices import AssetStatus, RequestStatus
from fulfillment.connect.display import (
    admin_url,
    age,
    status_badge_for,
    tier_cards,
)
from fulfillment.connect.models import (
    Asset,
    FulfillmentRequest,
    TierAccount,
)

from .base import (
    AssigneeFilter,
    ConnectActionsMixin,
    ConnectMirrorAdmin,
    EmptyQueueMixin,
    MarketplaceFilter,
    MigrationFilter,
    ProductFilter,
    RequestQueueFilter,
)

# --- big tables ----------------------------------------------------------------------------


@admin.register(FulfillmentRequest)
class FulfillmentRequestAdmin(EmptyQueueMixin, ConnectActionsMixin, ConnectMirrorAdmin):
    """The fulfillment queue: what waits on us, for whom, since when; and the staff actions."""

    object_kwarg = "request"
    actions = ("bulk_approve", "bulk_fail", "bulk_assign")

    list_display = (
        "id",
        "status_pill",
        "type",
        "product_name",
        "customer_name",
        "marketplace_name",
        "assignee_name",
        "created",
        "updated",
        "age",
    )
    list_filter = (
        RequestQueueFilter,
        MigrationFilter,
        "status",
        "type",
        "connection_type",
        ProductFilter,
        MarketplaceFilter,
        AssigneeFilter,
        ("created", admin.DateFieldListFilter),
    )
    search_fields = ("id",)  # shows the search box; get_search_results does the matching
    search_help_text = selectors.REQUEST_SEARCH_HELP
    changelist_defer = (
        "payload",
        "items",
        "params",
        "tiers",
        "configuration_params",
        "template_message",
        "activation_html",
        "activation_key",
        "note",
        "reason",
    )
    paginator = BoundedCountPaginator
    ordering = ("-created",)
    fields = ("id",)

    @admin.display(description="Age", ordering="created")
    def age(self, obj):
        """How long an open request has waited; a dash once it is closed."""
        return age(obj, RequestStatus.OPEN_STATES)

    def get_search_results(self, request, queryset, search_term):
        """`selectors.request_search`: exact and prefix matches on indexed columns only."""
        return selectors.request_search(term=search_term, queryset=queryset), False

    def get_ordering(self, request):
        """The oldest first in the pending, inquiring and mine queues (the longest wait on top)."""
        if request.GET.get(RequestQueueFilter.parameter_name) in RequestQueueFilter.OLDEST_FIRST:
            return ("created", "id")
        return super().get_ordering(request)

    def form_kwargs(self, spec, obj) -> dict:
        """Approve and inquire choose among the product's templates."""
        if spec.action == "approve":
            return {
                "templates": action_forms.templates_for(obj.product_id, **action_forms.FULFILLMENT_TEMPLATE)
            }
        if spec.action == "inquire":
            return {"templates": action_forms.templates_for(obj.product_id, **action_forms.INQUIRE_TEMPLATE)}
        return {}

    # -- bulk actions (each an intermediate page with its form, then one service call per request)

    @admin.action(description="Approve selected requests (one product, one template)…", permissions=["act"])
    def bulk_approve(self, request, queryset):
        """Approve the selected requests of one product with one template, after a confirmation page."""
        rows = self._bulk_rows(request, queryset)
        if rows is None:
            return None
        products = sorted({r.product_id or "" for r in rows})
        if len(products) > 1:
            self.message_user(
                request,
                f"Bulk approve takes requests of one product (one template applies to all); the "
                f"selection has {len(products)} products: {', '.join(p or 'none' for p in products)}. "
                "Filter by product first.",
                messages.ERROR,
            )
            return None
        templates = action_forms.templates_for(products[0], **action_forms.FULFILLMENT_TEMPLATE)
        form = action_forms.BulkApproveForm(
            request.POST if "confirm" in request.POST else None, templates=templates
        )
        if form.is_bound and form.is_valid():
            template_id = form.cleaned_data["template_id"]
            return self._bulk_run(
                request,
                rows,
                "Approve",
                lambda r: services.request_approve(request=r, template_id=template_id, actor=request.user),
            )
        return self._bulk_page(request, rows, form, "bulk_approve", "Approve requests", products[0])

    @admin.action(description="Fail selected requests (one reason)…", permissions=["act"])
    def bulk_fail(self, request, queryset):
        """Fail the selected requests with one reason, after a confirmation page."""
        rows = self._bulk_rows(request, queryset)
        if rows is None:
            return None
        form = action_forms.BulkFailForm(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            return self._bulk_run(
                request,
                rows,
                "Fail",
                lambda r: services.request_fail(request=r, reason=reason, actor=request.user),
            )
        return self._bulk_page(request, rows, form, "bulk_fail", "Fail requests")

    @admin.action(description="Assign selected requests…", permissions=["act"])
    def bulk_assign(self, request, queryset):
        """Assign the selected requests to one user, after a confirmation page."""
        rows = self._bulk_rows(request, queryset)
        if rows is None:
            return None
        form = action_forms.BulkAssignForm(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            assignee = form.cleaned_data["assignee"]
            return self._bulk_run(
                request,
                rows,
                "Assign",
                lambda r: services.request_assign(request=r, assignee=assignee, actor=request.user),
            )
        return self._bulk_page(request, rows, form, "bulk_assign", "Assign requests")

    BULK_LIMIT = 100

    def _bulk_rows(self, request, queryset):
        """The selection (capped: "select all 10,000" is a mistake, not a bulk action)."""
        rows = selectors.requests_for_bulk_action(queryset=queryset, limit=self.BULK_LIMIT)
        if len(rows) > self.BULK_LIMIT:
            self.message_user(
                request,
                f"Select at most {self.BULK_LIMIT} requests for a bulk action; narrow the filter.",
                messages.ERROR,
            )
            return None
        return rows

    def _bulk_page(self, request, rows, form, action, title, product_id=""):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "rows": rows,
            "form": form,
            "action_name": action,
            "product_id": product_id,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/fulfillment/fulfillmentrequest/bulk_confirm.html", context)

    def _bulk_run(self, request, rows, label, call):
        """One service call per request, each its own transaction: a refusal stops no other."""
        done, refused = [], []
        for row in rows:
            try:
                call(row)
            except ServiceError as error:
                refused.append((row.pk, error.message))
            else:
                done.append(row.pk)
        if done:
            self.message_user(
                request, f"{label} queued for {len(done)} request(s): {', '.join(done)}.", messages.SUCCESS
            )
        for pk, message in refused:
            self.message_user(request, f"{pk} refused: {message}", messages.ERROR)
        return None

    def detail_context(self, request, obj):
        """The change page's customer (with its account's link when mirrored), asset (with its
        status and link), tier cards, thread and age."""
        detail = selectors.request_detail(request=obj)
        customer = (obj.tiers or {}).get("customer") or None
        customer_id = customer.get("id") if isinstance(customer, dict) else ""
        return {
            "customer": customer if isinstance(customer, dict) else None,
            "customer_url": (
                admin_url(TierAccount, customer_id)
                if customer_id and TierAccount.objects.filter(pk=customer_id).exists()
                else ""
            ),
            "asset": detail.asset,
            "asset_status_badge": status_badge_for(AssetStatus, detail.asset_status),
            "asset_url": admin_url(Asset, obj.asset_id) if obj.asset_id else "",
            "tier_cards": tier_cards(obj.tiers or {}),
            "thread": detail.thread,
            "is_open": obj.is_open,
            "age": age(obj, RequestStatus.OPEN_STATES),
        }


@admin.register(Asset)
class AssetAdmin(ConnectMirrorAdmin):
    """The mirrored assets (subscriptions), found by id, external id / uid or customer external id."""

    list_display = (
        "id",
        "status_pill",
        "product_name",
        "customer_name",
        "marketplace_name",
        "connection_type",
        "external_id",
        "created",
        "updated",
    )
    list_filter = (
        "status",
        "connection_type",
        ProductFilter,
        MarketplaceFilter,
        ("created", admin.DateFieldListFilter),
    )
    search_fields = ("id",)  # shows the search box; get_search_results does the matching
    exact_search: ClassVar[dict[str, str]] = {
        "external_id": "as is",
        "external_uid": "as is",
        "customer_external_id": "as is",
    }
    search_help_text = "Asset id (or its start), external id / uid, customer external id"
    changelist_defer = ("payload", "items", "params", "tiers", "configuration_params")
    paginator = BoundedCountPaginator
    ordering = ("-created",)
    fields = ("id",)

    def detail_context(self, request, obj):
        """The change page's requests of the asset and its tier cards."""
        return {"requests": selectors.asset_requests(asset=obj), "tier_cards": tier_cards(obj.tiers or {})}
