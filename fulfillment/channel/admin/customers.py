"""Channel partner links and customers (with their staff actions)."""

from __future__ import annotations

import copy
from typing import ClassVar
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Q
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, QueryDict
from django.urls import path, reverse
from django.utils.html import format_html

from channelhub.actions import selectors as action_selectors
from channelhub.actions.specs import spec_of
from channelhub.admin import BoundedCountPaginator, short_name, status_badge
from channelhub.api.lookups import prefix
from channelhub.services import ServiceError
from fulfillment.channel import selectors, services
from fulfillment.channel.display import (
    admin_url,
    link_badge,
    state_badge,
)
from fulfillment.channel.models import ChannelPartnerLink, Customer
from fulfillment.connect import selectors as connect_selectors
from fulfillment.connect.models import TierAccount

from .base import ChannelActionsMixin, ChannelMirrorAdmin, GoneFilter
from .transfers import TransferViewsMixin

# --- console links --------------------------------------------------------------------------------

#: Google's Partner Sales Console; CHANNEL_CONSOLE_URL (a setting, optional) overrides it.
PARTNER_SALES_CONSOLE = "https://partnersalesconsole.cloud.google.com"


def http_link(url) -> str:
    """`url` when it is an http(s) link (safe for an href), else ""."""
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else ""


def partner_sales_console_url(customer: Customer) -> str:
    """The customer's page in the Partner Sales Console (`…/customers/<customer id>`)."""
    base = getattr(settings, "CHANNEL_CONSOLE_URL", "") or PARTNER_SALES_CONSOLE
    return f"{base.rstrip('/')}/customers/{quote(customer.pk.rpartition('/')[2])}"


# --- partner links --------------------------------------------------------------------------------


@admin.register(ChannelPartnerLink)
class ChannelPartnerLinkAdmin(ChannelActionsMixin, ChannelMirrorAdmin):
    """Channel partner links: their state, their customers and the link's staff actions."""

    object_kwarg = "link"
    change_form_template = "admin/fulfillment/channel/channelpartnerlink_change_form.html"
    list_display = (
        "link_name",
        "partner_domain",
        "state",
        "reseller_cloud_identity_id",
        "public_id",
        "create_time",
        "gone",
    )
    list_filter = (GoneFilter, "link_state")
    search_fields = ("id",)
    exact_search: ClassVar[dict[str, str]] = {
        "reseller_cloud_identity_id": "as is",
        "partner_domain": "lower",
        "public_id": "as is",
    }
    search_help_text = "Link name (or its start), partner domain, Cloud Identity id, public id"
    ordering = ("-create_time",)
    fields = ("id",)

    @admin.display(description="Link", ordering="id")
    def link_name(self, obj):
        """The link's id (its name on hover)."""
        return short_name(obj.id)

    @admin.display(description="State", ordering="link_state")
    def state(self, obj):
        """The link's state as a coloured badge."""
        return link_badge(obj)

    def detail_context(self, request, obj):
        """The change page's state badge and the link's customers."""
        return {
            "state_badge": link_badge(obj),
            "customers": selectors.partner_link_customers_once(link=obj),
        }


# --- customers --------------------------------------------------------------------------------------


@admin.register(Customer)
class CustomerAdmin(TransferViewsMixin, ChannelActionsMixin, ChannelMirrorAdmin):
    """Customers, their details and entitlements; update, provision, delete, buy, transfer to
    Google; create (the form above the changelist); and the transfer page (admin/transfers.py)."""

    object_kwarg = "customer"
    change_form_template = "admin/fulfillment/channel/customer_change_form.html"
    change_list_template = "admin/fulfillment/channel/customer_change_list.html"
    list_display = (
        "org_display_name",
        "domain",
        "cloud_identity_id",
        "customer_type",
        "region_code",
        "partner",
        "create_time",
        "gone",
    )
    list_display_links = ("org_display_name", "domain")
    list_filter = (GoneFilter, "customer_type", "is_domain_verified", "region_code")
    search_fields = ("id",)
    prefix_search = ("id",)
    exact_search: ClassVar[dict[str, str]] = {
        "domain": "lower",
        "cloud_identity_id": "as is",
        "correlation_id": "as is",
        "primary_contact_email": "lower",
    }
    search_help_text = (
        "The start of the organisation name (any case); the domain; the customer's name or its start "
        "(accounts/…/customers/…); Cloud Identity id, CRM id, contact email"
    )
    changelist_defer = ("payload", "postal_address")
    paginator = BoundedCountPaginator
    ordering = ("org_display_name", "id")
    fields = ("id",)

    def get_search_results(self, request, queryset, search_term):
        """Exact or prefix matches on indexed columns only: the name's start (`prefix`, case as
        typed), the organisation name's start in any case (index cust_org_name_ci), the exact ids.
        A partner's customer shows once (its row under our account), unless the search names a
        partner link's customers (selectors.without_link_twins)."""
        term = search_term.strip()
        if selectors.LINK_CUSTOMER not in term:
            queryset = selectors.without_link_twins(queryset)
        if not term:
            return queryset, False
        condition = Q(org_display_name__istartswith=term)
        for field in self.prefix_search:
            condition |= Q(prefix(field, term))
        for field, case in self.exact_search.items():
            condition |= Q(**{field: term.lower() if case == "lower" else term})
        return queryset.filter(condition), False

    @admin.display(description="Partner link", ordering="partner_link_id")
    def partner(self, obj):
        """The partner link's id (its name on hover), for a partner's customer, with the
        customer's other name (it is listed under our account and under the link)."""
        twin = selectors.customer_twin_name(obj.pk, partner_link_id=obj.partner_link_id)
        if not twin:
            return short_name(obj.partner_link_id)
        where = "our account" if selectors.LINK_CUSTOMER in obj.pk else "the link"
        return format_html(
            '{} <span class="ch-muted ch-also-named" title="{}">also listed under {}</span>',
            short_name(obj.partner_link_id),
            twin,
            where,
        )

    def form_kwargs(self, spec, obj) -> dict:
        """A new entitlement chooses among the offers the customer can buy."""
        if spec.action == "create_entitlement":
            return {"offers": selectors.offers_for_new_entitlement(customer=obj)}
        return {}

    def detail_context(self, request, obj):
        """The change page's entitlements (with their badges), address, contact, identity and partner link."""
        detail = selectors.customer_detail(customer=obj)
        twin = selectors.customer_twin(customer=obj)
        return {
            "twin": twin,
            "twin_url": admin_url(Customer, twin.pk) if twin else "",
            "same_company": [
                {"match": m, "url": admin_url(TierAccount, m.obj.pk)}
                for m in connect_selectors.tier_accounts_of_customer(customer=obj)
            ],
            "console_url": partner_sales_console_url(obj),
            "admin_console_url": http_link((detail.identity or {}).get("adminConsoleUri")),
            "entitlements": [{"e": e, "badge": state_badge(e)} for e in detail.entitlements],
            "address": detail.address,
            "contact": detail.contact,
            "identity": detail.identity,
            "partner_url": admin_url(ChannelPartnerLink, obj.partner_link_id) if obj.partner_link_id else "",
            "transfers": selectors.customer_transfer_history(customer=obj),
            "transfer_url": (
                reverse("admin:fulfillment_customer_transfer") + "?" + urlencode({"customer": obj.pk})
                if request.user.has_perm(services.TRANSFER_PERM) and obj.cloud_identity_id and not obj.is_gone
                else ""
            ),
        }

    # -- create, on the changelist

    def get_urls(self):
        """The admin's URLs plus the one the changelist's create form posts to."""
        return [
            path(
                "create-upstream/",
                self.admin_site.admin_view(self.create_view),
                name="fulfillment_customer_create_upstream",
            ),
            *self.transfer_urls(),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        """The changelist with the create form (for those allowed to create) and the last five creations."""
        extra_context = dict(extra_context or {})
        create = self._create_spec()
        can_create = request.user.has_perm(create.perm)
        extra_context.setdefault("create_form", create.form() if can_create else None)
        extra_context["create_url"] = reverse("admin:fulfillment_customer_create_upstream")
        if request.user.has_perm(services.TRANSFER_PERM):
            extra_context["transfer_url"] = reverse("admin:fulfillment_customer_transfer")
        extra_context["recent_creates"] = [
            {"action": a, "badge": status_badge(a.status, a.get_status_display())}
            for a in action_selectors.actions_of_kind(kind=create.kind, limit=5)
        ]
        return super().changelist_view(request, extra_context)

    def _create_spec(self):
        """The spec of creating a customer (the form above the changelist)."""
        return spec_of(Customer, "create")

    def create_view(self, request):
        """POST the new customer form: queue the creation, or show the form again with why not."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_permission(request):
            raise Http404
        create = self._create_spec()
        form = create.form(request.POST)
        if form.is_valid():
            try:
                action = create.service(actor=request.user, **form.service_kwargs())
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
