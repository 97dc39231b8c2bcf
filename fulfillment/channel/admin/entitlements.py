"""Entitlements (with their staff actions) and their change history."""

from __future__ import annotations

from typing import ClassVar

from django.contrib import admin
from django.db.models import Q
from django.utils.html import format_html

from channelhub.admin import BoundedCountPaginator
from channelhub.api.lookups import prefix
from fulfillment.channel import selectors
from fulfillment.channel.choices import (
    ChangeType,
    OperatorType,
)
from fulfillment.channel.display import (
    REASON_WORDS,
    admin_url,
    definition_words,
    price_words,
    renewal_words,
    state_badge,
    value_words,
    words,
)
from fulfillment.channel.models import (
    Customer,
    Entitlement,
    EntitlementChange,
    Offer,
)
from fulfillment.channel.transitions import suspension_reason_words

from .base import ChannelActionsMixin, ChannelMirrorAdmin, ChannelProductFilter, GoneFilter

# --- entitlements ------------------------------------------------------------------------------------


@admin.register(Entitlement)
class EntitlementAdmin(ChannelActionsMixin, ChannelMirrorAdmin):
    """Entitlements: state, seats, commitment, trial, offer and history; the staff actions."""

    object_kwarg = "entitlement"
    change_form_template = "admin/fulfillment/channel/entitlement_change_form.html"
    list_display = (
        "short_name",
        "customer_name",
        "offer_name",
        "state",
        "payment_plan",
        "seats",
        "assigned_units",
        "commitment_end",
        "trial_end",
        "update_time",
    )
    list_filter = (
        GoneFilter,
        "provisioning_state",
        "payment_plan",
        "trial",
        ChannelProductFilter,
        ("commitment_end", admin.DateFieldListFilter),
    )
    list_select_related = ("offer",)
    search_fields = ("id",)
    exact_search: ClassVar[dict[str, str]] = {
        "short_id": "as is",
        "customer_id": "as is",
        "provisioning_id": "as is",
        "purchase_order_id": "as is",
        "sku_id": "as is",
    }
    search_help_text = (
        "The entitlement's id as listed, or its full name (or its start: accounts/…); the customer's "
        "organisation name (its start, any case), domain or name (accounts/…/customers/…); "
        "subscription id, purchase order id, SKU (products/…/skus/…)"
    )
    changelist_defer = (
        "payload",
        "parameters",
        "renewal_settings",
        "suspension_reasons",
        "offer__payload",
        "offer__parameter_definitions",
        "offer__prices",
    )
    paginator = BoundedCountPaginator
    ordering = ("-create_time",)
    fields = ("id",)

    def get_search_results(self, request, queryset, search_term):
        """Exact or prefix matches on indexed columns only: the name's start (`prefix`, case as
        typed), the listed id (`short_id`) and the exact ids, and the customers (through their
        own indexes) whose organisation name starts with the term or whose domain it is."""
        term = search_term.strip()
        if not term:
            return queryset, False
        customers = Customer.objects.filter(
            Q(org_display_name__istartswith=term) | Q(domain=term.lower())
        ).values("pk")
        condition = Q(prefix("id", term)) | Q(customer_id__in=customers)
        for field in self.exact_search:
            condition |= Q(**{field: term})
        return queryset.filter(condition), False

    @admin.display(description="Entitlement", ordering="id")
    def short_name(self, obj):
        """The entitlement's short name (its str: the `short_id` staff search by)."""
        return str(obj)

    @admin.display(description="Offer", ordering="offer_id")
    def offer_name(self, obj):
        """The offer's name, or the bare offer id when the offer is not mirrored."""
        return str(obj.offer) if obj.offer is not None else (obj.offer_id or "—")

    @admin.display(description="State", ordering="provisioning_state")
    def state(self, obj):
        """The provisioning state, or why the entitlement is gone, as a coloured badge."""
        return state_badge(obj)

    @admin.display(description="Seats")
    def seats(self, obj):
        """The seat count, or a dash when the entitlement has none."""
        return obj.seats if obj.seats is not None else "—"

    def form_kwargs(self, spec, obj) -> dict:
        """Change offer chooses among the offers the entitlement can change to."""
        if spec.action == "change_offer":
            offers, source = selectors.offers_for_change(entitlement=obj)
            return {"offers": offers, "source": source}
        return {}

    def detail_context(self, request, obj):
        """The change page's state, suspension reasons, offer, renewal, links and change history in words."""
        detail = selectors.entitlement_detail(entitlement=obj)
        offer = detail.offer
        changes = [
            {
                "c": c,
                "what": words(ChangeType, c.change_type),
                "who": words(OperatorType, c.operator_type),
                "reason": REASON_WORDS.get(c.reason, c.reason),
            }
            for c in detail.changes
        ]
        renewal = obj.renewal_settings or {}
        return {
            "state_badge": state_badge(obj),
            "reasons": [suspension_reason_words(r) for r in obj.suspension_reasons or []],
            "offer": offer,
            "offer_price": price_words(offer.prices) if offer is not None else "",
            "offer_definitions": definition_words(offer.parameter_definitions) if offer is not None else [],
            "renewal": renewal_words(renewal) if renewal or obj.renewal_enabled is not None else "—",
            "customer_url": admin_url(Customer, obj.customer_id) if obj.customer_id else "",
            "offer_url": admin_url(Offer, obj.offer_id) if obj.offer_id else "",
            "changes": changes,
            "other_parameters": [
                {"name": p.get("name", ""), "value": value_words(p.get("value"))}
                for p in detail.other_parameters
            ],
        }


@admin.register(EntitlementChange)
class EntitlementChangeAdmin(ChannelMirrorAdmin):
    """The entitlements' change history (read-only mirror), newest first, in words."""

    list_display = ("create_time", "entitlement_link", "change", "operator_words", "reason_words")
    list_filter = ("change_type", "operator_type", ("create_time", admin.DateFieldListFilter))
    search_fields = ("entitlement__id",)
    prefix_search = ("entitlement__id",)
    exact_search: ClassVar[dict[str, str]] = {"operator": "lower", "customer_id": "as is"}
    search_help_text = "Entitlement name (or its start), customer name, operator email"
    changelist_defer = ("payload",)
    paginator = BoundedCountPaginator
    ordering = ("-create_time",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "entitlement_link",
                    "customer_id",
                    "change",
                    "operator_words",
                    "reason_words",
                    "other_change_reason",
                    "offer_id",
                    "create_time",
                )
            },
        ),
        ("Raw payload", {"classes": ("collapse",), "fields": ("raw_payload",)}),
    )

    @admin.display(description="Change", ordering="change_type")
    def change(self, obj):
        """The change type in words."""
        return words(ChangeType, obj.change_type)

    @admin.display(description="By")
    def operator_words(self, obj):
        """Who made the change, with their email when upstream gives it."""
        who = words(OperatorType, obj.operator_type)
        return f"{who} ({obj.operator})" if obj.operator else who

    @admin.display(description="Reason")
    def reason_words(self, obj):
        """The reason of the change in words."""
        return REASON_WORDS.get(obj.reason, obj.reason) or "—"

    @admin.display(description="Entitlement", ordering="entitlement_id")
    def entitlement_link(self, obj):
        """A link to the entitlement's admin page, or a dash when the change names none."""
        if not obj.entitlement_id:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', admin_url(Entitlement, obj.entitlement_id), obj.entitlement_id
        )
