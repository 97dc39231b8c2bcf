"""Tier configs and tier config requests (with staff actions)."""

from __future__ import annotations

from django.contrib import admin

from channelhub.admin import BoundedCountPaginator
from fulfillment.connect import forms as action_forms
from fulfillment.connect import selectors, services
from fulfillment.connect.choices import TemplateType, TierConfigRequestStatus
from fulfillment.connect.display import account_card, admin_url, age, tier_cards
from fulfillment.connect.models import TierConfig, TierConfigRequest
from fulfillment.connect.transitions import TIER_CONFIG_REQUEST_TRANSITIONS

from .base import (
    AssigneeFilter,
    ConnectActionsMixin,
    ConnectMirrorAdmin,
    MarketplaceFilter,
    ProductFilter,
    TierConfigRequestQueueFilter,
)


@admin.register(TierConfig)
class TierConfigAdmin(ConnectMirrorAdmin):
    list_display = (
        "id",
        "status_pill",
        "account_name",
        "tier_level",
        "product_name",
        "marketplace_name",
        "open_request_id",
        "updated",
    )
    list_filter = ("status", "tier_level", "connection_type", ProductFilter, MarketplaceFilter)
    search_fields = ("id",)  # shows the search box; get_search_results does the matching
    prefix_search = ("id", "account__id")
    exact_search = {"account_external_id": "as is"}
    changelist_defer = ("payload", "params", "template_html")
    paginator = BoundedCountPaginator
    ordering = ("-created",)
    fields = ("id",)

    def detail_context(self, request, obj):
        detail = selectors.tier_config_detail(tier_config=obj)
        return {
            "requests": detail.requests,
            "account": detail.account,
            "account_card": account_card(detail.account) if detail.account is not None else None,
        }


@admin.register(TierConfigRequest)
class TierConfigRequestAdmin(ConnectActionsMixin, ConnectMirrorAdmin):
    """The tier config queue and its staff actions (no conversation notes: Connect has none here)."""

    act_perm = "fulfillment.act_tierconfigrequest"
    target_type = "fulfillment.tierconfigrequest"
    transitions = TIER_CONFIG_REQUEST_TRANSITIONS
    object_kwarg = "tier_config_request"
    action_templates = {"approve": "admin/fulfillment/actions/_tcr_approve.html"}
    service_by_action = {
        "approve": services.tier_config_request_approve,
        "inquire": services.tier_config_request_inquire,
        "fail": services.tier_config_request_fail,
        "pend": services.tier_config_request_pend,
        "update_params": services.tier_config_request_update_params,
        "assign": services.tier_config_request_assign,
        "unassign": services.tier_config_request_unassign,
    }
    list_display = (
        "id",
        "status_pill",
        "type",
        "account_name",
        "tier_level",
        "product_name",
        "marketplace_name",
        "assignee_name",
        "created",
        "updated",
        "age",
    )
    list_filter = (
        TierConfigRequestQueueFilter,
        "status",
        "type",
        "environment",
        "tier_level",
        ProductFilter,
        MarketplaceFilter,
        AssigneeFilter,
        ("created", admin.DateFieldListFilter),
    )
    search_fields = ("id",)  # shows the search box; get_search_results does the matching
    prefix_search = ("id", "configuration__id", "account__id")
    exact_search = {"account_external_id": "as is"}
    changelist_defer = (
        "payload",
        "params",
        "tiers",
        "configuration_params",
        "template_html",
        "notes",
        "reason",
    )
    paginator = BoundedCountPaginator
    ordering = ("-created",)
    fields = ("id",)

    @admin.display(description="Age", ordering="created")
    def age(self, obj):
        return age(obj, TierConfigRequestStatus.OPEN_STATES)

    def get_ordering(self, request):
        if (
            request.GET.get(TierConfigRequestQueueFilter.parameter_name)
            in TierConfigRequestQueueFilter.OLDEST_FIRST
        ):
            return ("created", "id")
        return super().get_ordering(request)

    def build_form(self, action, obj, data=None):
        if action == "approve":
            scope = f"tier{obj.tier_level}" if obj.tier_level in (1, 2) else "tier1"
            templates = action_forms.templates_for(obj.product_id, type=TemplateType.FULFILLMENT, scope=scope)
            return action_forms.TierConfigApproveForm(data, obj=obj, templates=templates)
        if action == "inquire":
            return action_forms.InquireForm(data, obj=obj, with_template=False)
        return {
            "fail": action_forms.FailForm,
            "pend": action_forms.PendForm,
            "update_params": action_forms.UpdateParamsForm,
            "assign": action_forms.AssignForm,
            "unassign": action_forms.UnassignForm,
        }[action](data, obj=obj)

    def detail_context(self, request, obj):
        return {
            "configuration_url": admin_url(TierConfig, obj.configuration_id) if obj.configuration_id else "",
            "tier_cards": tier_cards(obj.tiers or {}),
            "thread": selectors.conversation_thread(instance_id=obj.pk),
            "age": age(obj, TierConfigRequestStatus.OPEN_STATES),
        }
