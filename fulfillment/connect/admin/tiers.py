"""Tier configs and tier config requests (with staff actions)."""

from __future__ import annotations

from typing import ClassVar

from django.contrib import admin

from channelhub.admin import BoundedCountPaginator
from fulfillment.connect import forms as action_forms
from fulfillment.connect import selectors
from fulfillment.connect.choices import TemplateType, TierConfigRequestStatus
from fulfillment.connect.display import (
    account_card,
    admin_url,
    age,
    tier_cards,
)
from fulfillment.connect.models import (
    TierConfig,
    TierConfigRequest,
)

from .base import (
    AssigneeFilter,
    ConnectActionsMixin,
    ConnectMirrorAdmin,
    EmptyQueueMixin,
    MarketplaceFilter,
    ProductFilter,
    TierConfigRequestQueueFilter,
)


@admin.register(TierConfig)
class TierConfigAdmin(ConnectMirrorAdmin):
    """The mirrored tier configs, found by id, account id or account external id."""

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
    exact_search: ClassVar[dict[str, str]] = {"account_external_id": "as is"}
    changelist_defer = ("payload", "params", "template_html")
    paginator = BoundedCountPaginator
    ordering = ("-created",)
    fields = ("id",)

    def detail_context(self, request, obj):
        """The change page's requests of the tier config, its account and the account's card."""
        detail = selectors.tier_config_detail(tier_config=obj)
        return {
            "requests": detail.requests,
            "account": detail.account,
            "account_card": account_card(detail.account) if detail.account is not None else None,
        }


@admin.register(TierConfigRequest)
class TierConfigRequestAdmin(EmptyQueueMixin, ConnectActionsMixin, ConnectMirrorAdmin):
    """The tier config queue and its staff actions (no conversation notes: Connect has none here)."""

    object_kwarg = "tier_config_request"
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
    exact_search: ClassVar[dict[str, str]] = {"account_external_id": "as is"}
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
        """How long an open TCR has waited; a dash once it is closed."""
        return age(obj, TierConfigRequestStatus.OPEN_STATES)

    def get_ordering(self, request):
        """The oldest first in the pending, inquiring and mine queues (the longest wait on top)."""
        if (
            request.GET.get(TierConfigRequestQueueFilter.parameter_name)
            in TierConfigRequestQueueFilter.OLDEST_FIRST
        ):
            return ("created", "id")
        return super().get_ordering(request)

    def form_kwargs(self, spec, obj) -> dict:
        """Approve chooses among the templates of the TCR's tier; inquire takes none."""
        if spec.action == "approve":
            scope = f"tier{obj.tier_level}" if obj.tier_level in (1, 2) else "tier1"
            return {
                "templates": action_forms.templates_for(
                    obj.product_id, type=TemplateType.FULFILLMENT, scope=scope
                )
            }
        if spec.action == "inquire":
            return {"with_template": False}
        return {}

    def detail_context(self, request, obj):
        """The change page's tier config link, tier cards, conversation thread and age."""
        return {
            "configuration_url": admin_url(TierConfig, obj.configuration_id) if obj.configuration_id else "",
            "tier_cards": tier_cards(obj.tiers or {}),
            "thread": selectors.conversation_thread(instance_id=obj.pk),
            "age": age(obj, TierConfigRequestStatus.OPEN_STATES),
        }
