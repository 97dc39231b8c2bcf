"""Read-only admin of the Connect fulfillment mirror: the support team's window on Connect.

Everything here is view-only (rows are written by syncs; staff act through the action forms
of later issues). Changelists of the big tables (requests, assets, TCRs, messages) stay
fast at any size: no full COUNT (`BoundedCountPaginator`, `show_full_result_count=False`,
no facets), heavy JSON columns deferred, filters whose choices come from the small tables
or a bounded DISTINCT over an index, and search by exact ids/external ids on indexed
columns instead of `icontains` scans.

Upstream text reaches the page escaped, or as the `*_html` columns the mappers rendered
and sanitised (`channelhub.markdown`); templates mark only those safe.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db import connections, router
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.timesince import timesince

from channelhub.admin import BoundedCountPaginator, ReadOnlyAdminMixin, pretty_json, status_badge
from fulfillment.choices import AssetStatus, ParamType, RequestStatus, TierConfigRequestStatus
from fulfillment.mappers import SECRET_MASK
from fulfillment.models import (
    Asset,
    Conversation,
    ConversationMessage,
    FulfillmentRequest,
    Hub,
    Marketplace,
    Product,
    Template,
    TierAccount,
    TierConfig,
    TierConfigRequest,
)

SECRET_PARAM_TYPES = frozenset(ParamType.SECRET_TYPES)


def redact_secrets(value):
    """A copy of an upstream payload with password parameter values masked.

    The raw payload section must not undo the masking of the params table.
    """
    if isinstance(value, list):
        return [redact_secrets(v) for v in value]
    if not isinstance(value, dict):
        return value
    redacted = {k: redact_secrets(v) for k, v in value.items()}
    if redacted.get("type") in SECRET_PARAM_TYPES:
        for key in ("value", "structured_value"):
            if redacted.get(key):
                redacted[key] = SECRET_MASK
    return redacted


TIER_LABELS = (("customer", "Customer"), ("tier1", "Tier 1 (reseller)"), ("tier2", "Tier 2 (reseller)"))


# --- list filters --------------------------------------------------------------------------


class _SmallTableFilter(admin.SimpleListFilter):
    """A filter on `<field>_id` whose choices are read from a small mirrored table."""

    source_model = None
    field = ""
    limit = 500

    def lookups(self, request, model_admin):
        rows = self.source_model.objects.order_by("name", "id").values_list("id", "name")[: self.limit]
        return [(pk, f"{name} ({pk})" if name else pk) for pk, name in rows]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{f"{self.field}_id": self.value()})
        return queryset


class ProductFilter(_SmallTableFilter):
    title = "product"
    parameter_name = "product"
    source_model = Product
    field = "product"


class MarketplaceFilter(_SmallTableFilter):
    title = "marketplace"
    parameter_name = "marketplace"
    source_model = Marketplace
    field = "marketplace"


class AssigneeFilter(admin.SimpleListFilter):
    """Assignees of the model's table, read through the (assignee_name, assignee_id) index.

    On PostgreSQL a loose index scan (a recursive CTE that seeks to the next distinct
    assignee) costs one index probe per assignee whatever the table size; elsewhere (the
    small SQLite deployments) a plain bounded DISTINCT over the same index.
    """

    title = "assignee"
    parameter_name = "assignee"
    unassigned = "__none__"
    limit = 100

    _LOOSE_SCAN = """
        WITH RECURSIVE a AS (
            (SELECT assignee_name AS name, assignee_id AS id FROM {table}
             WHERE (assignee_name, assignee_id) > ('', '')
             ORDER BY assignee_name, assignee_id LIMIT 1)
            UNION ALL
            SELECT n.name, n.id FROM a, LATERAL (
                SELECT assignee_name AS name, assignee_id AS id FROM {table}
                WHERE (assignee_name, assignee_id) > (a.name, a.id)
                ORDER BY assignee_name, assignee_id LIMIT 1
            ) n
        )
        SELECT id, name FROM a LIMIT %s
    """

    def _assignees(self, model) -> list[tuple[str, str]]:
        connection = connections[router.db_for_read(model)]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    self._LOOSE_SCAN.format(table=connection.ops.quote_name(model._meta.db_table)),
                    [self.limit],
                )
                return [(pk, name) for pk, name in cursor.fetchall() if pk]
        return list(
            model.objects.exclude(assignee_id="")
            .order_by("assignee_name", "assignee_id")
            .values_list("assignee_id", "assignee_name")
            .distinct()[: self.limit]
        )

    def lookups(self, request, model_admin):
        rows = self._assignees(model_admin.model)
        return [(self.unassigned, "Unassigned"), *((pk, name or pk) for pk, name in rows)]

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.unassigned:
            return queryset.filter(assignee_id="")
        if value:
            return queryset.filter(assignee_id=value)
        return queryset


class OpenStateFilter(admin.SimpleListFilter):
    """Open vs finished, from the choices class's named groups."""

    title = "queue"
    parameter_name = "queue"
    open_states: tuple = ()

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("closed", "Finished")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(status__in=self.open_states)
        if self.value() == "closed":
            return queryset.exclude(status__in=self.open_states)
        return queryset


class RequestQueueFilter(OpenStateFilter):
    open_states = RequestStatus.OPEN_STATES


class TierConfigRequestQueueFilter(OpenStateFilter):
    open_states = TierConfigRequestStatus.OPEN_STATES


# --- base ----------------------------------------------------------------------------------


class _LeanChangeList(ChangeList):
    """Changelist that never loads the heavy JSON columns it does not show."""

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        return queryset.defer(*self.model_admin.changelist_defer)


class MirrorAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Base of every fulfillment admin: read-only, lean lists, raw payload at the bottom."""

    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    changelist_defer: tuple[str, ...] = ("payload",)
    # Exact-match search: {lookup: transform}. Ids are upper-case upstream; staff paste
    # them in any case. Subclasses list indexed columns only.
    exact_search: dict[str, str] = {}
    prefix_search: tuple[str, ...] = ("id",)
    # Substring search, for the small tables only (products, templates, marketplaces...).
    contains_search: tuple[str, ...] = ()

    def get_changelist(self, request, **kwargs):
        return _LeanChangeList

    def get_search_results(self, request, queryset, search_term):
        """Exact / prefix matches on indexed columns; never `icontains` over a big table."""
        term = search_term.strip()
        if not term:
            return queryset, False
        condition = Q()
        for field in self.prefix_search:
            condition |= Q(**{f"{field}__startswith": term.upper()})
        for field, case in self.exact_search.items():
            condition |= Q(**{field: term.upper() if case == "upper" else term})
        for field in self.contains_search:
            condition |= Q(**{f"{field}__icontains": term})
        return queryset.filter(condition), False

    @admin.display(description="Status", ordering="status")
    def status_pill(self, obj):
        label = obj.get_status_display() if hasattr(obj, "get_status_display") else obj.status
        return status_badge(obj.status, label)

    @admin.display(description="Raw payload")
    def raw_payload(self, obj):
        return format_html(
            '<details class="ch-raw"><summary>Show upstream JSON</summary><pre>{}</pre></details>',
            pretty_json(redact_secrets(obj.payload)),
        )

    def detail_context(self, request, obj) -> dict:
        """Extra context for the model's custom detail template."""
        return {}

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(self.detail_context(request, obj))
            context["obj"] = obj
            if hasattr(obj, "status"):
                context["status_badge"] = self.status_pill(obj)
            context["payload_json"] = pretty_json(redact_secrets(obj.payload))
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )


def _admin_url(model, pk) -> str:
    return reverse(f"admin:fulfillment_{model._meta.model_name}_change", args=[pk])


def _status_badge_for(choices, status: str):
    """A badge labelled from a choices class; an unknown upstream status shows as it is."""
    return status_badge(status, choices(status).label if status in choices.values else status)


def _tier_cards(tiers: dict) -> list[dict]:
    return [{"label": label, **tiers[key]} for key, label in TIER_LABELS if tiers.get(key)]


def _age(obj, open_states):
    if obj.status in open_states and obj.created:
        return timesince(obj.created)
    return "—"


# --- small tables --------------------------------------------------------------------------


@admin.register(Product)
class ProductAdmin(MirrorAdmin):
    list_display = ("id", "name", "status_pill", "owner_name", "version", "updated")
    list_filter = ("status",)
    search_fields = ("name",)
    contains_search = ("name",)  # a small table: a substring search is cheap here
    ordering = ("name",)
    fields = ("id",)

    def detail_context(self, request, obj):
        templates = Template.objects.filter(product_id=obj.pk).defer("payload", "body")
        return {"templates": templates}


@admin.register(Template)
class TemplateAdmin(MirrorAdmin):
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
        if obj.product is None:
            return obj.product_id or "—"
        return format_html('<a href="{}">{}</a>', _admin_url(Product, obj.product_id), obj.product.name)


@admin.register(Marketplace)
class MarketplaceAdmin(MirrorAdmin):
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
        return ", ".join(c.get("name") or c.get("id") for c in obj.countries) or "—"


@admin.register(Hub)
class HubAdmin(MirrorAdmin):
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
class TierAccountAdmin(MirrorAdmin):
    list_display = ("id", "name", "external_id", "environment", "marketplace_name", "hub_name", "updated")
    list_filter = ("environment", MarketplaceFilter)
    search_fields = ("id",)  # shows the search box; get_search_results does the matching
    exact_search = {"external_id": "as is", "external_uid": "as is"}
    changelist_defer = ("payload", "contact_info")
    ordering = ("name",)
    fieldsets = (
        (None, {"fields": ("id", "name", "environment", "external_id", "external_uid", "tax_id", "scopes")}),
        ("Where", {"fields": ("marketplace_id", "marketplace_name", "hub_id", "hub_name")}),
        ("Contact", {"fields": ("contact_card",)}),
        ("Timestamps", {"fields": ("created", "updated", "synced_at")}),
        ("Raw payload", {"classes": ("collapse",), "fields": ("raw_payload",)}),
    )

    @admin.display(description="Contact")
    def contact_card(self, obj):
        return render_to_string(
            "admin/fulfillment/_address.html", {"tier": {"name": obj.name, "contact_info": obj.contact_info}}
        )


# --- big tables ----------------------------------------------------------------------------


@admin.register(FulfillmentRequest)
class FulfillmentRequestAdmin(MirrorAdmin):
    """The fulfillment queue: what waits on us, for whom, since when."""

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
        "status",
        "type",
        "connection_type",
        ProductFilter,
        MarketplaceFilter,
        AssigneeFilter,
        ("created", admin.DateFieldListFilter),
    )
    search_fields = ("id",)  # shows the search box; get_search_results does the matching
    prefix_search = ("id", "asset__id")
    exact_search = {
        "asset_external_id": "as is",
        "asset_external_uid": "as is",
        "customer_external_id": "as is",
    }
    search_help_text = "Request or asset id (or its start), asset external id / uid, customer external id"
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
        return _age(obj, RequestStatus.OPEN_STATES)

    def detail_context(self, request, obj):
        asset = (
            Asset.objects.filter(pk=obj.asset_id).only("id", "status", "updated").first()
            if obj.asset_id
            else None
        )
        messages = list(
            ConversationMessage.objects.filter(conversation__instance_id=obj.pk)
            .select_related("conversation")
            .defer("payload", "conversation__payload", "text")
            .order_by("created", "id")
        )
        return {
            "asset": asset,
            # The mirrored asset is at least as fresh as the copy inside the request.
            "asset_status_badge": _status_badge_for(AssetStatus, asset.status if asset else obj.asset_status),
            "asset_url": _admin_url(Asset, obj.asset_id) if obj.asset_id else "",
            "tier_cards": _tier_cards(obj.tiers or {}),
            "thread": messages,
            "is_open": obj.is_open,
            "age": _age(obj, RequestStatus.OPEN_STATES),
        }


@admin.register(Asset)
class AssetAdmin(MirrorAdmin):
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
    exact_search = {"external_id": "as is", "external_uid": "as is", "customer_external_id": "as is"}
    search_help_text = "Asset id (or its start), external id / uid, customer external id"
    changelist_defer = ("payload", "items", "params", "tiers", "configuration_params")
    paginator = BoundedCountPaginator
    ordering = ("-created",)
    fields = ("id",)

    def detail_context(self, request, obj):
        requests = (
            FulfillmentRequest.objects.filter(asset_id=obj.pk)
            .only("id", "type", "status", "created", "updated", "assignee_name")
            .order_by("-created")[:100]
        )
        return {"requests": requests, "tier_cards": _tier_cards(obj.tiers or {})}


@admin.register(TierConfig)
class TierConfigAdmin(MirrorAdmin):
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
        requests = (
            TierConfigRequest.objects.filter(configuration_id=obj.pk)
            .only("id", "type", "status", "created", "updated")
            .order_by("-created")[:100]
        )
        account = (
            TierAccount.objects.filter(pk=obj.account_id).defer("payload").first() if obj.account_id else None
        )
        account_card = None
        if account is not None:
            account_card = {
                "label": "Account",
                "id": account.pk,
                "name": account.name,
                "external_id": account.external_id,
                "external_uid": account.external_uid,
                "contact_info": account.contact_info,
            }
        return {"requests": requests, "account": account, "account_card": account_card}


@admin.register(TierConfigRequest)
class TierConfigRequestAdmin(MirrorAdmin):
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
        return _age(obj, TierConfigRequestStatus.OPEN_STATES)

    def detail_context(self, request, obj):
        messages = list(
            ConversationMessage.objects.filter(conversation__instance_id=obj.pk)
            .defer("payload", "text")
            .order_by("created", "id")
        )
        return {
            "configuration_url": _admin_url(TierConfig, obj.configuration_id) if obj.configuration_id else "",
            "tier_cards": _tier_cards(obj.tiers or {}),
            "thread": messages,
            "age": _age(obj, TierConfigRequestStatus.OPEN_STATES),
        }


@admin.register(Conversation)
class ConversationAdmin(MirrorAdmin):
    list_display = ("id", "instance_id", "topic", "creator_name", "created", "updated")
    search_fields = ("id",)  # shows the search box; get_search_results does the matching
    prefix_search = ("id", "instance_id")
    paginator = BoundedCountPaginator
    ordering = ("-created",)
    fields = ("id",)

    def detail_context(self, request, obj):
        messages = obj.messages.defer("payload", "text").order_by("created", "id")
        return {"thread": messages, "instance_url": _instance_url(obj.instance_id)}


def _instance_url(instance_id: str) -> str:
    """Admin link of the request / TCR a conversation belongs to ("" for other instances)."""
    if instance_id.startswith("PR-"):
        return _admin_url(FulfillmentRequest, instance_id)
    if instance_id.startswith("TCR-"):
        return _admin_url(TierConfigRequest, instance_id)
    return ""


@admin.register(ConversationMessage)
class ConversationMessageAdmin(MirrorAdmin):
    list_display = ("id", "conversation_instance", "type", "creator_name", "excerpt", "created")
    list_filter = ("type", ("created", admin.DateFieldListFilter))
    search_fields = ("id",)  # shows the search box; get_search_results does the matching
    prefix_search = ("id", "conversation__id")
    exact_search = {"conversation__instance_id": "upper"}
    list_select_related = ("conversation",)
    changelist_defer = ("payload", "text_html", "conversation__payload")
    paginator = BoundedCountPaginator
    ordering = ("-created",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "id",
                    "conversation_link",
                    "type",
                    "creator_id",
                    "creator_name",
                    "created",
                    "updated",
                )
            },
        ),
        ("Text", {"fields": ("rendered_text",)}),
        ("Raw payload", {"classes": ("collapse",), "fields": ("raw_payload",)}),
    )

    @admin.display(description="Conversation", ordering="conversation_id")
    def conversation_instance(self, obj):
        if obj.conversation is None:
            return obj.conversation_id or "—"
        return f"{obj.conversation.instance_id} ({obj.conversation_id})"

    @admin.display(description="Text")
    def excerpt(self, obj):
        return Truncator(obj.text).chars(80)

    @admin.display(description="Conversation")
    def conversation_link(self, obj):
        if not obj.conversation_id:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', _admin_url(Conversation, obj.conversation_id), obj.conversation_id
        )

    @admin.display(description="Message")
    def rendered_text(self, obj):
        # text_html is the mapper's sanitised rendering (channelhub.markdown): safe by construction.
        return mark_safe(f'<div class="ch-markdown">{obj.text_html}</div>')  # noqa: S308
