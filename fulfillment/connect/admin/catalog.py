"""The small tables of the Connect mirror: products, templates, marketplaces, hubs, tier accounts."""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import quote

from django.conf import settings
from django.contrib import admin
from django.template.loader import render_to_string
from django.utils.html import format_html, format_html_join

from fulfillment.channel.display import admin_url as channel_admin_url
from fulfillment.channel.models import Customer
from fulfillment.connect import selectors
from fulfillment.connect.display import admin_url
from fulfillment.connect.models import (
    Asset,
    FulfillmentRequest,
    Hub,
    Marketplace,
    Product,
    Template,
    TierAccount,
)

from .base import (
    ConnectMirrorAdmin,
    MarketplaceFilter,
    ProductFilter,
)

# --- small tables --------------------------------------------------------------------------


@admin.register(Product)
class ProductAdmin(ConnectMirrorAdmin):
    """The mirrored Connect products, found by id or a part of their name, with their templates."""

    list_display = ("id", "name", "status_pill", "owner_name", "version", "updated")
    list_filter = ("status",)
    search_fields = ("name",)
    contains_search = ("name",)  # a small table: a substring search is cheap here
    ordering = ("name",)
    fields = ("id",)

    def detail_context(self, request, obj):
        """The change page's list of the product's templates."""
        return {"templates": selectors.product_templates(product_id=obj.pk)}


@admin.register(Template)
class TemplateAdmin(ConnectMirrorAdmin):
    """The mirrored product templates, filterable by product, scope and type."""

    list_display = ("id", "title", "product_link", "scope", "type", "position", "updated")
    list_filter = ("scope", "type", ProductFilter)
    search_fields = ("title",)
    contains_search = ("title", "name")
    list_select_related = ("product",)
    changelist_defer = ("payload", "body", "body_html")
    ordering = ("product_id", "position", "title")
    fields = ("id",)

    @admin.display(description="Product", ordering="product_id")
    def product_link(self, obj):
        """A link to the template's product (its name), or the bare product id when it is not mirrored."""
        if obj.product is None:
            return obj.product_id or "—"
        return format_html('<a href="{}">{}</a>', admin_url(Product, obj.product_id), obj.product.name)


@admin.register(Marketplace)
class MarketplaceAdmin(ConnectMirrorAdmin):
    """The mirrored marketplaces, with their hubs and countries."""

    list_display = ("id", "name", "zone", "currency", "owner_name", "updated")
    list_filter = ("zone",)
    search_fields = ("name",)
    contains_search = ("name",)
    ordering = ("name",)
    fieldsets = (
        (None, {"fields": ("id", "name", "description", "zone", "currency", "owner_id", "owner_name")}),
        ("Hubs and countries", {"fields": ("hubs_display", "countries_display")}),
        ("Timestamps", {"fields": ("created", "updated", "synced_at")}),
        ("Raw payload", {"classes": ("collapse",), "fields": ("raw_payload",)}),
    )

    @admin.display(description="Hubs")
    def hubs_display(self, obj):
        """The marketplace's hubs as a list: name, id and external id."""
        if not obj.hubs:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} ({}) — external id {}</li>",
                ((h.get("name"), h.get("id"), h.get("external_id") or "—") for h in obj.hubs),
            ),
        )

    @admin.display(description="Countries")
    def countries_display(self, obj):
        """The marketplace's countries, by name."""
        return ", ".join(c.get("name") or c.get("id") for c in obj.countries) or "—"


@admin.register(Hub)
class HubAdmin(ConnectMirrorAdmin):
    """The mirrored hubs, found by id or a part of their name."""

    list_display = ("id", "name", "company_name", "instance_type", "updated")
    list_filter = ("instance_type",)
    search_fields = ("name",)
    contains_search = ("name",)
    ordering = ("name",)
    fieldsets = (
        (None, {"fields": ("id", "name", "description", "company_id", "company_name")}),
        ("Instance", {"fields": ("instance_id", "instance_type")}),
        ("Timestamps", {"fields": ("created", "updated", "synced_at")}),
        ("Raw payload", {"classes": ("collapse",), "fields": ("raw_payload",)}),
    )


@admin.register(TierAccount)
class TierAccountAdmin(ConnectMirrorAdmin):
    """The mirrored tier accounts (customers and resellers), found by id or external id / uid."""

    list_display = ("id", "name", "external_id", "environment", "marketplace_name", "hub_name", "updated")
    list_filter = ("environment", MarketplaceFilter)
    search_fields = ("id",)  # shows the search box; get_search_results does the matching
    exact_search: ClassVar[dict[str, str]] = {"external_id": "as is", "external_uid": "as is"}
    changelist_defer = ("payload", "contact_info")
    ordering = ("name",)
    fieldsets = (
        (None, {"fields": ("id", "name", "environment", "external_id", "external_uid", "tax_id", "scopes")}),
        ("Where", {"fields": ("marketplace_id", "marketplace_name", "hub_id", "hub_name")}),
        ("Contact", {"fields": ("contact_card",)}),
        ("Same company in Cloud Channel", {"fields": ("same_company", "portal_link")}),
        ("Its assets and requests", {"fields": ("account_assets", "account_requests")}),
        ("Timestamps", {"fields": ("created", "updated", "synced_at")}),
        ("Raw payload", {"classes": ("collapse",), "fields": ("raw_payload",)}),
    )

    @admin.display(description="Assets (as customer or reseller, newest first)")
    def account_assets(self, obj):
        """Up to 20 assets of the account, linked (it is their customer, tier 1 or tier 2)."""
        rows = selectors.tier_account_assets(account=obj, limit=20)
        return _linked(Asset, [(a.pk, a.product_name, a.status) for a in rows])

    @admin.display(description="Requests (newest first)")
    def account_requests(self, obj):
        """Up to 20 requests of the account's assets, linked."""
        rows = selectors.tier_account_requests(account=obj, limit=20)
        return _linked(FulfillmentRequest, [(r.pk, r.type, r.status) for r in rows])

    @admin.display(description="Same company")
    def same_company(self, obj):
        """The Channel customers that are the same company (selectors.customers_of_tier_account),
        linked, each with the rule that matched; "no match found" otherwise."""
        matches = selectors.customers_of_tier_account(account=obj)
        if not matches:
            return format_html(
                'Same company in Cloud Channel: <span class="ch-muted">{}</span>', "no match found"
            )
        links = format_html_join(
            "; ",
            '<a class="ch-same-company" href="{}">{}</a> <span class="ch-muted">({})</span>',
            ((channel_admin_url(Customer, m.obj.pk), str(m.obj), m.reason) for m in matches),
        )
        return format_html("Same company in Cloud Channel: {}", links)

    @admin.display(description="In Connect")
    def portal_link(self, obj):
        """The tier account in the Connect portal, in a new tab."""
        return _portal_anchor(TierAccount, obj.pk, "Open in the Connect portal")

    @admin.display(description="Contact")
    def contact_card(self, obj):
        """The tier account's contact card (the `_address.html` include)."""
        return render_to_string(
            "admin/fulfillment/_address.html", {"tier": {"name": obj.name, "contact_info": obj.contact_info}}
        )


#: The Connect portal; CONNECT_PORTAL_URL (a setting, optional) overrides it.
CONNECT_PORTAL = "https://portal.cloudblue.com"
#: Where a row's page is in the portal, by model.
PORTAL_PATHS: dict[type, str] = {
    TierAccount: "customers/{}",
    Asset: "subscriptions/{}",
    FulfillmentRequest: "fulfillment/requests/{}",
}


def portal_url(model, pk: str) -> str:
    """The row's page in the Connect portal."""
    base = getattr(settings, "CONNECT_PORTAL_URL", "") or CONNECT_PORTAL
    return f"{base.rstrip('/')}/{PORTAL_PATHS[model].format(quote(pk, safe=''))}"


def _portal_anchor(model, pk: str, text: str):
    """A link to the row in the Connect portal, opening a new tab without the opener."""
    return format_html(
        '<a class="ch-portal-link" href="{}" rel="noopener noreferrer" target="_blank">{}</a>',
        portal_url(model, pk),
        text,
    )


def _linked(model, rows: list[tuple[str, str, str]]):
    """(id, what, status) rows as linked lines (our page, and the portal's), or "—"."""
    if not rows:
        return "—"
    return format_html_join(
        "",
        '<div><a href="{}">{}</a> {} <span class="ch-muted">{}</span> {}</div>',
        (
            (admin_url(model, pk), pk, what, status, _portal_anchor(model, pk, "portal"))
            for pk, what, status in rows
        ),
    )
