"""Read-only admin of the Cloud Channel mirror, with the Channel staff actions.

Same patterns as the Connect side (fulfillment.admin): rows are never edited here; staff act
through small forms on the detail pages (entitlements, customers, partner links) and the
create form on the customer changelist, each POSTing to an admin view that only calls a
service of `fulfillment.channel.services`; the page then shows the action's progress (the
shared poller), Retry/Cancel for supervisors, and the audit trail. Changelists never COUNT a
big table, defer the JSON columns and search on indexed columns only. Channel resource names
are case-sensitive, so ids are matched as typed.

Upstream text (organisation names, offer descriptions, addresses, error messages) reaches
the page through auto-escaping only; nothing here marks upstream data safe.
"""

from __future__ import annotations

import copy

from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.db.models import Q
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, QueryDict
from django.urls import path, reverse
from django.utils.html import format_html

from channelhub.actions.models import UpstreamAction
from channelhub.admin import BoundedCountPaginator, HiddenByDefaultFilter, status_badge
from channelhub.admin.actions import StaffActionsMixin
from channelhub.admin.mirror import MirrorAdmin
from channelhub.services import ServiceError
from fulfillment.models import (
    ChannelPartnerLink,
    ChannelProduct,
    Customer,
    Entitlement,
    EntitlementChange,
    Offer,
    Sku,
)

from . import forms as channel_forms
from . import services
from .choices import (
    ChangeType,
    LinkState,
    OperatorType,
    PaymentPlan,
    PeriodType,
    ProvisioningState,
    SuspensionReason,
)
from .services.offers import price_words
from .transitions import (
    CUSTOMER_ACTION_PERMS,
    ENTITLEMENT_RULES,
    LINK_STATE_TRANSITIONS,
    allowed_entitlement_actions,
    suspension_reason_words,
)

ACTION_FORM_TEMPLATE = "admin/fulfillment/channel/actions/_form.html"
RECENT_CHANGES = 100

# Reasons of an entitlement change, in words (channel-api.md §3 EntitlementChange).
REASON_WORDS = {
    **{r.value: r.label for r in SuspensionReason},
    "RESELLER_REVOKED_SUSPENSION": "We lifted our suspension",
    "CUSTOMER_ACCEPTED_PENDING_TOS": "The customer accepted the terms of service",
    "RENEWAL_SETTINGS_CHANGED": "Renewal settings were changed",
    "OTHER_ACTIVATION_REASON": "Other reason",
    "SERVICE_TERMINATED": "Service terminated",
    "RELATIONSHIP_ENDED": "The relationship with the customer ended",
    "PARTIAL_TRANSFER": "Partly transferred away",
}

STATE_COLOURS = {ProvisioningState.ACTIVE: "active", ProvisioningState.SUSPENDED: "suspended"}


def words(choices, value: str) -> str:
    """A choices label, or the raw upstream value when the enum is newer than our code."""
    return choices(value).label if value in choices.values else (value or "—")


def state_badge(entitlement):
    if entitlement.is_gone:
        return status_badge("terminated", f"Gone: {entitlement.get_gone_reason_display().lower()}")
    state = entitlement.provisioning_state
    return status_badge(STATE_COLOURS.get(state, state), words(ProvisioningState, state))


def link_badge(link):
    colour = {"ACTIVE": "active", "SUSPENDED": "suspended", "REVOKED": "revoked", "INVITED": "pending"}
    return status_badge(colour.get(link.link_state, link.link_state), words(LinkState, link.link_state))


def _url(model, pk) -> str:
    return reverse(f"admin:fulfillment_{model._meta.model_name}_change", args=[quote(pk)])


def period_words(period: dict | None) -> str:
    if not period:
        return ""
    duration = period.get("duration") or 1
    unit = words(PeriodType, period.get("periodType") or "").lower()
    return f"{duration} {unit}{'s' if str(duration) != '1' else ''}"


def renewal_words(settings: dict | None) -> str:
    if not settings:
        return "—"
    if not settings.get("enableRenewal"):
        return "Does not renew: the plan ends with the commitment"
    plan = words(PaymentPlan, settings.get("paymentPlan") or "").lower()
    text = f"Renews on a {plan} plan"
    cycle = period_words(settings.get("paymentCycle"))
    if cycle:
        text += f", paid every {cycle}"
    if settings.get("resizeUnitCount"):
        text += "; seats resized to those in use"
    return text


def definition_words(definitions) -> list[str]:
    out = []
    for d in definitions or []:
        if not isinstance(d, dict):
            continue
        low = (d.get("minValue") or {}).get("int64Value")
        high = (d.get("maxValue") or {}).get("int64Value")
        bounds = f" from {low} to {high}" if low or high else ""
        optional = " (optional)" if d.get("optional") else ""
        out.append(f"{d.get('name')}: {str(d.get('parameterType') or '').lower()}{bounds}{optional}")
    return out


# --- base --------------------------------------------------------------------------------------


class ChannelMirrorAdmin(MirrorAdmin):
    """Channel names are case-sensitive paths: ids are matched as typed (prefix), plus exact
    matches on the indexed columns a subclass lists."""

    exact_search: dict[str, str] = {}  # field -> "as is" | "lower"
    prefix_search = ("id",)
    contains_search: tuple[str, ...] = ()

    def get_search_results(self, request, queryset, search_term):
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
        return obj.gone_at is not None


class GoneFilter(HiddenByDefaultFilter):
    """Live rows unless asked: reconcile keeps gone ones (cancelled, deleted) for history."""

    title = "listed upstream"
    parameter_name = "gone"
    default_label = "Live only"
    include_label = "Include gone"
    only_label = "Gone only"

    def flagged(self) -> Q:
        return Q(gone_at__isnull=False)

    def unflagged(self) -> Q:
        return Q(gone_at__isnull=True)


class ChannelProductFilter(admin.SimpleListFilter):
    """Products from their own small table, never a DISTINCT over entitlements."""

    title = "product"
    parameter_name = "product"

    def lookups(self, request, model_admin):
        rows = ChannelProduct.objects.order_by("display_name", "id").values_list("id", "display_name")[:200]
        return [(pk, name or pk) for pk, name in rows]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(product_id=self.value())
        return queryset


class ChannelActionsMixin(StaffActionsMixin):
    """StaffActionsMixin for Channel objects: a permission per action, forms from this
    package, and Cloud Channel in the messages."""

    action_perms: dict[str, str] = {}

    def has_act_permission(self, request, obj=None) -> bool:
        return any(request.user.has_perm(p) for p in set(self.action_perms.values()))

    def allowed(self, obj) -> list[str]:
        return list(self.service_by_action)

    def offered_actions(self, request, obj) -> list[str]:
        if getattr(obj, "is_gone", False):
            return []
        return [
            a
            for a in self.allowed(obj)
            if a in self.service_by_action and request.user.has_perm(self.action_perms[a])
        ]

    def queued_message(self, obj, form, upstream_action) -> str:
        return (
            f"{form.label} queued for {obj}: it is being sent to Cloud Channel; its progress shows below "
            f"(action #{upstream_action.pk})."
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["action_order"] = list(self.service_by_action)
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )


# --- catalog ------------------------------------------------------------------------------------


@admin.register(ChannelProduct)
class ChannelProductAdmin(ChannelMirrorAdmin):
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
        return price_words(obj.prices) or "—"

    @admin.display(description="Parameters")
    def parameters_display(self, obj):
        return "; ".join(definition_words(obj.parameter_definitions)) or "—"

    @admin.display(description="Description (as sent, shown as text)")
    def description(self, obj):
        info = (obj.payload or {}).get("marketingInfo") or {}
        return info.get("description") or "—"  # escaped by the admin


# --- partner links --------------------------------------------------------------------------------


@admin.register(ChannelPartnerLink)
class ChannelPartnerLinkAdmin(ChannelActionsMixin, ChannelMirrorAdmin):
    act_perm = "fulfillment.act_channelpartnerlink"
    target_type = "fulfillment.channelpartnerlink"
    object_kwarg = "link"
    service_by_action = {"change_state": services.channel_partner_link_change_state}
    action_perms = {"change_state": "fulfillment.act_channelpartnerlink"}
    action_templates = {"change_state": ACTION_FORM_TEMPLATE}
    change_form_template = "admin/fulfillment/channel/channelpartnerlink_change_form.html"
    list_display = (
        "id",
        "partner_domain",
        "state",
        "reseller_cloud_identity_id",
        "public_id",
        "create_time",
        "gone",
    )
    list_filter = (GoneFilter, "link_state")
    search_fields = ("id",)
    exact_search = {"reseller_cloud_identity_id": "as is", "partner_domain": "lower", "public_id": "as is"}
    search_help_text = "Link name (or its start), partner domain, Cloud Identity id, public id"
    ordering = ("-create_time",)
    fields = ("id",)

    @admin.display(description="State", ordering="link_state")
    def state(self, obj):
        return link_badge(obj)

    def allowed(self, obj):
        return ["change_state"] if LINK_STATE_TRANSITIONS.get(obj.link_state) else []

    def build_form(self, action, obj, data=None):
        return channel_forms.LinkStateForm(data, obj=obj)

    def detail_context(self, request, obj):
        customers = Customer.objects.filter(partner_link_id=obj.pk).defer("payload", "postal_address")[:100]
        return {"state_badge": link_badge(obj), "customers": customers}


# --- customers --------------------------------------------------------------------------------------


CUSTOMER_TEMPLATES = {a: ACTION_FORM_TEMPLATE for a in CUSTOMER_ACTION_PERMS}


@admin.register(Customer)
class CustomerAdmin(ChannelActionsMixin, ChannelMirrorAdmin):
    """Customers, their details and entitlements; update, provision, delete, buy; and create
    (the form above the changelist)."""

    act_perm = "fulfillment.act_customer"
    target_type = "fulfillment.customer"
    object_kwarg = "customer"
    service_by_action = {
        "update": services.customer_update,
        "provision_cloud_identity": services.customer_provision_cloud_identity,
        "create_entitlement": services.entitlement_create,
        "delete": services.customer_delete,
    }
    action_perms = CUSTOMER_ACTION_PERMS
    action_templates = CUSTOMER_TEMPLATES
    change_form_template = "admin/fulfillment/channel/customer_change_form.html"
    change_list_template = "admin/fulfillment/channel/customer_change_list.html"
    list_display = (
        "org_display_name",
        "domain",
        "cloud_identity_id",
        "customer_type",
        "region_code",
        "partner_link_id",
        "create_time",
        "gone",
    )
    list_display_links = ("org_display_name", "domain")
    list_filter = (GoneFilter, "customer_type", "is_domain_verified", "region_code")
    search_fields = ("id",)
    prefix_search = ("id", "org_display_name")
    exact_search = {
        "domain": "lower",
        "cloud_identity_id": "as is",
        "correlation_id": "as is",
        "primary_contact_email": "lower",
    }
    search_help_text = (
        "Name (or its start), organisation name start, domain, Cloud Identity id, CRM id, contact email"
    )
    changelist_defer = ("payload", "postal_address")
    paginator = BoundedCountPaginator
    ordering = ("org_display_name", "id")
    fields = ("id",)

    def allowed(self, obj):
        actions = ["update"]
        if not obj.has_cloud_identity:
            actions.append("provision_cloud_identity")
        elif not obj.partner_link_id:
            actions.append("create_entitlement")
        actions.append("delete")
        return actions

    def build_form(self, action, obj, data=None):
        if action == "create_entitlement":
            offers = services.offers_for_new_entitlement(obj)
            return channel_forms.CreateEntitlementForm(data, obj=obj, offers=offers)
        return {
            "update": channel_forms.CustomerUpdateForm,
            "provision_cloud_identity": channel_forms.ProvisionCloudIdentityForm,
            "delete": channel_forms.DeleteCustomerForm,
        }[action](data, obj=obj)

    def detail_context(self, request, obj):
        entitlements = list(
            Entitlement.objects.filter(customer_id=obj.pk)
            .select_related("offer")
            .defer("payload", "parameters", "offer__payload", "offer__parameter_definitions")
            .order_by("gone_at", "-create_time")[:200]
        )
        doc = obj.payload or {}
        return {
            "entitlements": [{"e": e, "badge": state_badge(e)} for e in entitlements],
            "address": doc.get("orgPostalAddress") or obj.postal_address or {},
            "contact": doc.get("primaryContactInfo") or {},
            "identity": doc.get("cloudIdentityInfo") or {},
            "partner_url": _url(ChannelPartnerLink, obj.partner_link_id) if obj.partner_link_id else "",
        }

    # -- create, on the changelist

    def get_urls(self):
        return [
            path(
                "create-upstream/",
                self.admin_site.admin_view(self.create_view),
                name="fulfillment_customer_create_upstream",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        can_create = request.user.has_perm("fulfillment.act_customer")
        extra_context.setdefault("create_form", channel_forms.CustomerCreateForm() if can_create else None)
        extra_context["create_url"] = reverse("admin:fulfillment_customer_create_upstream")
        extra_context["recent_creates"] = [
            {"action": a, "badge": status_badge(a.status, a.get_status_display())}
            for a in UpstreamAction.objects.filter(kind="channel.customer.create")
            .select_related("actor")
            .defer("payload", "error_detail")
            .order_by("-created_at", "-id")[:5]
        ]
        return super().changelist_view(request, extra_context)

    def create_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_permission(request):
            raise Http404
        form = channel_forms.CustomerCreateForm(request.POST)
        if form.is_valid():
            try:
                action = services.customer_create(actor=request.user, **form.service_kwargs())
            except ServiceError as error:
                messages.error(request, error.message)
            else:
                messages.success(
                    request,
                    f"Creation of {form.cleaned_data['org_display_name']} queued (action #{action.pk}); it "
                    "shows below under 'Customers being created' and in the list once done.",
                )
                return HttpResponseRedirect(reverse("admin:fulfillment_customer_changelist"))
        else:
            messages.error(request, "Please correct the errors in the new customer form.")
        as_get = copy.copy(request)
        as_get.method = "GET"
        as_get.POST = QueryDict()
        return self.changelist_view(as_get, extra_context={"create_form": form, "create_open": True})


# --- entitlements ------------------------------------------------------------------------------------


ENTITLEMENT_FORMS = {
    "suspend": channel_forms.SuspendForm,
    "activate": channel_forms.ActivateForm,
    "change_parameters": channel_forms.ChangeSeatsForm,
    "change_renewal": channel_forms.ChangeRenewalForm,
    "start_paid_service": channel_forms.StartPaidServiceForm,
    "cancel": channel_forms.CancelEntitlementForm,
}


@admin.register(Entitlement)
class EntitlementAdmin(ChannelActionsMixin, ChannelMirrorAdmin):
    """Entitlements: state, seats, commitment, trial, offer and history; the staff actions."""

    act_perm = "fulfillment.act_entitlement"
    target_type = "fulfillment.entitlement"
    object_kwarg = "entitlement"
    service_by_action = {
        "suspend": services.entitlement_suspend,
        "activate": services.entitlement_activate,
        "change_parameters": services.entitlement_change_parameters,
        "change_offer": services.entitlement_change_offer,
        "change_renewal": services.entitlement_change_renewal,
        "start_paid_service": services.entitlement_start_paid_service,
        "cancel": services.entitlement_cancel,
    }
    action_perms = {action: rule.perm for action, rule in ENTITLEMENT_RULES.items()}
    action_templates = {action: ACTION_FORM_TEMPLATE for action in ENTITLEMENT_RULES}
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
    exact_search = {
        "customer_id": "as is",
        "provisioning_id": "as is",
        "purchase_order_id": "as is",
        "sku_id": "as is",
    }
    search_help_text = (
        "Entitlement name (or its start), customer name, subscription id, purchase order id, SKU"
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

    @admin.display(description="Entitlement", ordering="id")
    def short_name(self, obj):
        return str(obj)

    @admin.display(description="Offer", ordering="offer_id")
    def offer_name(self, obj):
        return str(obj.offer) if obj.offer is not None else (obj.offer_id or "—")

    @admin.display(description="State", ordering="provisioning_state")
    def state(self, obj):
        return state_badge(obj)

    @admin.display(description="Seats")
    def seats(self, obj):
        return obj.seats if obj.seats is not None else "—"

    def allowed(self, obj):
        return allowed_entitlement_actions(obj)

    def build_form(self, action, obj, data=None):
        if action == "change_offer":
            offers, source = services.offers_for_change(obj)
            return channel_forms.ChangeOfferForm(data, obj=obj, offers=offers, source=source)
        return ENTITLEMENT_FORMS[action](data, obj=obj)

    def detail_context(self, request, obj):
        offer = obj.offer
        changes = [
            {
                "c": c,
                "what": words(ChangeType, c.change_type),
                "who": words(OperatorType, c.operator_type),
                "reason": REASON_WORDS.get(c.reason, c.reason),
            }
            for c in EntitlementChange.objects.filter(entitlement_id=obj.pk)
            .defer("payload")
            .order_by("-create_time", "-id")[:RECENT_CHANGES]
        ]
        renewal = obj.renewal_settings or {}
        return {
            "state_badge": state_badge(obj),
            "reasons": [suspension_reason_words(r) for r in obj.suspension_reasons or []],
            "offer": offer,
            "offer_price": price_words(offer.prices) if offer is not None else "",
            "offer_definitions": definition_words(offer.parameter_definitions) if offer is not None else [],
            "renewal": renewal_words(renewal) if renewal or obj.renewal_enabled is not None else "—",
            "customer_url": _url(Customer, obj.customer_id) if obj.customer_id else "",
            "offer_url": _url(Offer, obj.offer_id) if obj.offer_id else "",
            "changes": changes,
            "other_parameters": [
                p
                for p in obj.parameters or []
                if isinstance(p, dict) and p.get("name") not in ("num_units", "max_units", "assigned_units")
            ],
        }


@admin.register(EntitlementChange)
class EntitlementChangeAdmin(ChannelMirrorAdmin):
    list_display = ("create_time", "entitlement_link", "change", "operator_words", "reason_words")
    list_filter = ("change_type", "operator_type", ("create_time", admin.DateFieldListFilter))
    search_fields = ("entitlement__id",)
    prefix_search = ("entitlement__id",)
    exact_search = {"operator": "lower", "customer_id": "as is"}
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
        return words(ChangeType, obj.change_type)

    @admin.display(description="By")
    def operator_words(self, obj):
        who = words(OperatorType, obj.operator_type)
        return f"{who} ({obj.operator})" if obj.operator else who

    @admin.display(description="Reason")
    def reason_words(self, obj):
        return REASON_WORDS.get(obj.reason, obj.reason) or "—"

    @admin.display(description="Entitlement", ordering="entitlement_id")
    def entitlement_link(self, obj):
        if not obj.entitlement_id:
            return "—"
        return format_html('<a href="{}">{}</a>', _url(Entitlement, obj.entitlement_id), obj.entitlement_id)
