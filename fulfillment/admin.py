"""Read-only admin of the Connect fulfillment mirror: the support team's window on Connect.

Rows are never edited here (syncs write them). Staff act on requests and tier config requests
through small action forms on their detail pages and bulk actions on the requests changelist;
each form POSTs to an admin view that only calls a service of `fulfillment.services` (which
checks role, transition and input, and queues an outbox action) and shows the service's
message when it refuses. The page then shows the action's progress and the audit trail.
Changelists of the big tables (requests, assets, TCRs, messages) stay
fast at any size: no full COUNT (`BoundedCountPaginator`, `show_full_result_count=False`,
no facets), heavy JSON columns deferred, filters whose choices come from the small tables
or a bounded DISTINCT over an index, and search by exact ids/external ids on indexed
columns instead of `icontains` scans.

Upstream text reaches the page escaped, or as the `*_html` columns the mappers rendered
and sanitised (`channelhub.markdown`); templates mark only those safe.
"""

from __future__ import annotations

import copy

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db import connections, router
from django.db.models import Q
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.timesince import timesince

from channelhub.actions.models import ActionStatus, AuditEvent, UpstreamAction
from channelhub.actions.services import open_action_for
from channelhub.admin import (
    BoundedCountPaginator,
    HiddenByDefaultFilter,
    ReadOnlyAdminMixin,
    pretty_json,
    status_badge,
)
from channelhub.services import ServiceError
from fulfillment import forms as action_forms
from fulfillment import services
from fulfillment.choices import AssetStatus, ParamType, RequestStatus, TemplateType, TierConfigRequestStatus
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
from fulfillment.transitions import REQUEST_TRANSITIONS, TIER_CONFIG_REQUEST_TRANSITIONS, allowed_actions

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
    """The staff queues: open vs finished, pending, inquiring, and "assigned to me".

    Statuses come from the choices class's named groups. "Assigned to me" maps the staff
    user to a Connect assignee by email. The pending / inquiring / mine queues list the oldest
    first (the model admin's `get_ordering` reads this filter's value).
    """

    title = "queue"
    parameter_name = "queue"
    open_states: tuple = ()
    pending = ""
    inquiring = ""
    OLDEST_FIRST = ("pending", "inquiring", "mine")

    def lookups(self, request, model_admin):
        return [
            ("open", "Open"),
            ("pending", "Pending, oldest first"),
            ("inquiring", "Inquiring, oldest first"),
            ("mine", "Open and assigned to me"),
            ("closed", "Finished"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "open":
            return queryset.filter(status__in=self.open_states)
        if value == "pending":
            return queryset.filter(status=self.pending)
        if value == "inquiring":
            return queryset.filter(status=self.inquiring)
        if value == "mine":
            email = (getattr(request.user, "email", "") or "").strip()
            if not email:
                return queryset.none()
            return queryset.filter(status__in=self.open_states, assignee_email__iexact=email)
        if value == "closed":
            return queryset.exclude(status__in=self.open_states)
        return queryset


class RequestQueueFilter(OpenStateFilter):
    open_states = RequestStatus.OPEN_STATES
    pending = RequestStatus.PENDING
    inquiring = RequestStatus.INQUIRING


class TierConfigRequestQueueFilter(OpenStateFilter):
    open_states = TierConfigRequestStatus.OPEN_STATES
    pending = TierConfigRequestStatus.PENDING
    inquiring = TierConfigRequestStatus.INQUIRING


class MigrationFilter(HiddenByDefaultFilter):
    """Migration requests (asset with `migration_info`) are out of the queues unless asked for."""

    title = "migration"
    parameter_name = "migration"
    default_label = "Not migrations"
    include_label = "Include migrations"
    only_label = "Migrations only"

    def flagged(self) -> Q:
        return Q(is_migration=True)

    def unflagged(self) -> Q:
        return Q(is_migration=False)


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


# --- staff actions ------------------------------------------------------------------------

RECENT_ACTIONS = 10
RECENT_AUDIT_EVENTS = 50


class StaffActionsMixin:
    """Action forms, action progress and audit trail on the detail page of an actionable model.

    Each form POSTs to `<object>/act/<action>/` (an admin view: staff login and CSRF), which
    calls the service and redirects back with a message, or re-renders the page with the
    service's refusal and the user's input. Which forms show comes from the transition table
    and the user's permission; the services check both again.
    """

    act_perm = ""  # the role permission the services require (channelhub.roles)
    target_type = ""  # "app_label.model", as the outbox records it
    transitions: dict = {}
    object_kwarg = ""  # the service's keyword for the object
    service_by_action: dict = {}  # action -> service function
    action_templates: dict = {}  # action -> form template, when not actions/_<action>.html

    # -- what the page offers --

    def has_act_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(self.act_perm)

    def offered_actions(self, request, obj) -> list[str]:
        """Actions to offer: allowed by the status, the role, and no action still in flight."""
        if not self.has_act_permission(request, obj) or getattr(obj, "is_migration", False):
            return []
        actions = [a for a in allowed_actions(self.transitions, obj.status) if a in self.service_by_action]
        if not (obj.assignee_id or obj.assignee_name) and "unassign" in actions:
            actions.remove("unassign")
        return actions

    def build_form(self, action: str, obj, data=None):
        """The form of one action for this object, bound to `data` when given."""
        raise NotImplementedError

    def act_url(self, obj, action: str) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_act", args=[quote(obj.pk), action]
        )

    def action_context(self, request, obj, bound_forms: dict) -> dict:
        open_action = open_action_for(self.target_type, obj.pk)
        offered = [] if open_action is not None else self.offered_actions(request, obj)
        if self.has_act_permission(request, obj) and not getattr(obj, "is_migration", False):
            # A refused form comes back with what was typed, even if the refusal was that the
            # action is no longer possible: nothing the user wrote is lost.
            offered += [a for a in bound_forms if a not in offered]
        forms = []
        for action in offered:
            form = bound_forms.get(action) or self.build_form(action, obj)
            if action == "update_params" and not form.fields:
                continue  # nothing editable here (structured parameters only)
            forms.append(
                {
                    "action": action,
                    "form": form,
                    "url": self.act_url(obj, action),
                    "template": self.action_templates.get(
                        action, f"admin/fulfillment/actions/_{action}.html"
                    ),
                }
            )
        recent = list(
            UpstreamAction.objects.filter(target_type=self.target_type, target_id=obj.pk)
            .select_related("actor")
            .defer("response", "error_detail")
            .order_by("-created_at", "-id")[:RECENT_ACTIONS]
        )
        events = [
            {
                "event": event,
                "before": pretty_json(event.before) if event.before else "",
                "after": pretty_json(event.after) if event.after else "",
            }
            for event in AuditEvent.objects.filter(target_type=self.target_type, target_id=obj.pk).order_by(
                "-created_at", "-id"
            )[:RECENT_AUDIT_EVENTS]
        ]
        user = request.user
        return {
            "can_act": self.has_act_permission(request, obj),
            "action_forms": forms,
            "action_form_by_name": {entry["action"]: entry for entry in forms},
            "open_action": open_action,
            "recent_actions": [
                {"action": a, "badge": status_badge(a.status, a.get_status_display())} for a in recent
            ],
            "can_retry": user.has_perm("channelhub.retry_upstreamaction"),
            "can_cancel": user.has_perm("channelhub.cancel_upstreamaction"),
            "audit_events": events,
            "progress_url": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_progress", args=[quote(obj.pk)]
            ),
            "change_url": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[quote(obj.pk)]
            ),
        }

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(self.action_context(request, obj, context.get("bound_forms") or {}))
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )

    # -- the views --

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/act/<str:action>/",
                self.admin_site.admin_view(self.act_view),
                name="{}_{}_act".format(*info),
            ),
            path(
                "<path:object_id>/progress/",
                self.admin_site.admin_view(self.progress_view),
                name="{}_{}_progress".format(*info),
            ),
            *super().get_urls(),
        ]

    def _get_viewable(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} {object_id} in the mirror.")
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        return obj

    def act_view(self, request, object_id, action):
        """POST one action's form: call the service, then redirect back or show the refusal."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self._get_viewable(request, object_id)
        if action not in self.service_by_action:
            raise Http404(f"No action '{action}' on a {self.opts.verbose_name}.")
        form = self.build_form(action, obj, data=request.POST)
        if not form.is_valid():
            messages.error(request, "Please correct the errors below.")
            return self._rerender(request, object_id, {action: form})
        service = self.service_by_action[action]
        try:
            upstream_action = service(**{self.object_kwarg: obj}, actor=request.user, **form.service_kwargs())
        except ServiceError as error:
            messages.error(request, error.message)
            return self._rerender(request, object_id, {action: form})
        messages.success(request, self.queued_message(obj, form, upstream_action))
        return HttpResponseRedirect(self.act_redirect_url(obj))

    def queued_message(self, obj, form, upstream_action) -> str:
        return (
            f"{upstream_action.verb.capitalize()} queued for {obj.pk}: it is being sent to Connect; "
            "its progress shows below."
        )

    def act_redirect_url(self, obj) -> str:
        return (
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[quote(obj.pk)])
            + "#ch-progress"
        )

    def _rerender(self, request, object_id, bound_forms: dict):
        """The detail page again, with the refused form still holding what the user typed."""
        # The admin's change view treats a POST as a save; this is a view of the page.
        as_get = copy.copy(request)
        as_get.method = "GET"
        return self.change_view(as_get, object_id, extra_context={"bound_forms": bound_forms})

    def progress_view(self, request, object_id):
        """Tiny JSON for the page's poller: is an action still in flight, and the latest one."""
        obj = self._get_viewable(request, object_id)
        latest = (
            UpstreamAction.objects.filter(target_type=self.target_type, target_id=obj.pk)
            .only("id", "status", "kind", "attempts")
            .order_by("-created_at", "-id")
            .first()
        )
        return JsonResponse(
            {
                "open": bool(latest and latest.status in ActionStatus.OPEN_STATES),
                "latest": (
                    {
                        "id": latest.pk,
                        "kind": latest.kind,
                        "status": latest.status,
                        "attempts": latest.attempts,
                    }
                    if latest
                    else None
                ),
            }
        )


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
class FulfillmentRequestAdmin(StaffActionsMixin, MirrorAdmin):
    """The fulfillment queue: what waits on us, for whom, since when; and the staff actions."""

    act_perm = "fulfillment.act_fulfillmentrequest"
    target_type = "fulfillment.fulfillmentrequest"
    transitions = REQUEST_TRANSITIONS
    object_kwarg = "request"
    service_by_action = {
        "approve": services.request_approve,
        "inquire": services.request_inquire,
        "fail": services.request_fail,
        "pend": services.request_pend,
        "update_params": services.request_update_params,
        "assign": services.request_assign,
        "unassign": services.request_unassign,
        "add_note": services.request_add_note,
    }
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

    def get_ordering(self, request):
        # The work queues are served oldest first: the longest wait is at the top.
        if request.GET.get(RequestQueueFilter.parameter_name) in RequestQueueFilter.OLDEST_FIRST:
            return ("created", "id")
        return super().get_ordering(request)

    def build_form(self, action, obj, data=None):
        if action == "approve":
            templates = action_forms.templates_for(obj.product_id, **action_forms.FULFILLMENT_TEMPLATE)
            return action_forms.ApproveForm(data, obj=obj, templates=templates)
        if action == "inquire":
            templates = action_forms.templates_for(obj.product_id, **action_forms.INQUIRE_TEMPLATE)
            return action_forms.InquireForm(data, obj=obj, templates=templates)
        return {
            "fail": action_forms.FailForm,
            "pend": action_forms.PendForm,
            "update_params": action_forms.UpdateParamsForm,
            "assign": action_forms.AssignForm,
            "unassign": action_forms.UnassignForm,
            "add_note": action_forms.NoteForm,
        }[action](data, obj=obj)

    # -- bulk actions (each an intermediate page with its form, then one service call per request)

    @admin.action(description="Approve selected requests (one product, one template)…", permissions=["act"])
    def bulk_approve(self, request, queryset):
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
        rows = list(
            queryset.only(
                "id", "status", "type", "product_id", "product_name", "customer_name", "created"
            ).order_by("created", "id")[: self.BULK_LIMIT + 1]
        )
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
class TierConfigRequestAdmin(StaffActionsMixin, MirrorAdmin):
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
        return _age(obj, TierConfigRequestStatus.OPEN_STATES)

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


# The Channel side's admins (customers, entitlements, offers, ...) register themselves.
from fulfillment.channel import admin as channel_admin  # noqa: E402, F401
