"""The outbox and the audit trail in the admin: upstream actions (retry, cancel) and audit events."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator

from channelhub.actions import registry as action_registry
from channelhub.actions.services import action_cancel, action_retry
from channelhub.admin.kit import BoundedCountPaginator, ReadOnlyAdminMixin, pretty_json, status_badge
from channelhub.models import AuditEvent, UpstreamAction
from channelhub.services import ServiceError


def target_link(target_type: str, target_id: str):
    """Admin link of an action's / audit event's target (plain text when it has no admin page)."""
    app_label, _, model = (target_type or "").partition(".")
    try:
        url = reverse(f"admin:{app_label}_{model}_change", args=[quote(target_id)])
    except NoReverseMatch:
        return target_id or "—"
    return format_html('<a href="{}">{}</a>', url, target_id)


class TargetSearchMixin:
    """Search by exact target id or correlation id, through indexes.

    The (target_type, target_id, created) index needs its leading column: the search names
    every target type some admin acts on (their model admins declare `target_type`).
    """

    search_fields = ("target_id",)  # shows the search box; get_search_results does the matching
    search_help_text = "Target id (PR-…, TCR-…) or correlation id, exactly"

    def get_search_results(self, request, queryset, search_term):
        """Exact target id (as typed or upper-cased) among the acted-on target types, or correlation id."""
        term = search_term.strip()
        if not term:
            return queryset, False
        target_types = sorted(
            {t for t in (getattr(m, "target_type", "") for m in self.admin_site._registry.values()) if t}
        )
        condition = Q(correlation_id=term.lower())
        if target_types:
            condition |= Q(target_type__in=target_types, target_id__in={term, term.upper()})
        return queryset.filter(condition), False


class ActionKindFilter(admin.SimpleListFilter):
    """Kinds from the executor registry (a handful), not a DISTINCT over every action ever."""

    title = "kind"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        """Every registered action kind."""
        return [(kind, kind) for kind in action_registry.kinds()]

    def queryset(self, request, queryset):
        """The actions of the chosen kind; all when none is chosen."""
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(UpstreamAction)
class UpstreamActionAdmin(TargetSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The outbox: every action staff asked of an upstream, its attempts and the upstream's answer.

    Read-only. Supervisors retry or cancel failed actions here (admin actions, or the buttons of
    an object's page, which POST to `retry/` and `cancel/`), always through the services.
    """

    list_display = (
        "id",
        "kind",
        "target",
        "status_pill",
        "actor",
        "attempts",
        "error_excerpt",
        "created_at",
    )
    list_display_links = ("id", "kind")
    list_filter = ("status", ActionKindFilter, ("created_at", admin.DateFieldListFilter))
    list_select_related = ("actor",)
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = BoundedCountPaginator
    list_per_page = 50
    actions = ("retry_selected", "cancel_selected")
    fieldsets = (
        (None, {"fields": ("kind", "target", "status_pill", "actor", "created_at", "finished_at")}),
        (
            "Attempts",
            {"fields": ("attempts", "next_attempt_at", "sending_since", "maybe_applied", "idempotency_key")},
        ),
        (
            "Upstream answer",
            {"fields": ("last_error", "error_code", "error_detail_display", "response_display")},
        ),
        ("Request", {"fields": ("payload_display", "correlation_id")}),
    )

    def get_queryset(self, request):
        """The changelist defers the JSON columns it does not show; the detail page reads them."""
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            queryset = queryset.defer("payload", "response", "error_detail")
        return queryset

    @admin.display(description="Target", ordering="target_id")
    def target(self, obj):
        """The target as a link to its admin page (plain text if it has none)."""
        return target_link(obj.target_type, obj.target_id)

    @admin.display(description="Status", ordering="status")
    def status_pill(self, obj):
        """The status as a coloured badge."""
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="Last error")
    def error_excerpt(self, obj):
        """The last error, cut to 80 characters, with its code."""
        if not obj.last_error:
            return ""
        text = Truncator(obj.last_error).chars(80)
        return f"{text} [{obj.error_code}]" if obj.error_code else text

    @admin.display(description="Error detail")
    def error_detail_display(self, obj):
        """The upstream's error detail as indented JSON."""
        return format_html(
            '<pre style="white-space:pre-wrap;margin:0">{}</pre>', pretty_json(obj.error_detail)
        )

    @admin.display(description="Response")
    def response_display(self, obj):
        """The upstream's answer as indented JSON."""
        return format_html('<pre style="white-space:pre-wrap;margin:0">{}</pre>', pretty_json(obj.response))

    @admin.display(description="Payload")
    def payload_display(self, obj):
        """What was sent, as indented JSON."""
        return format_html('<pre style="white-space:pre-wrap;margin:0">{}</pre>', pretty_json(obj.payload))

    # -- supervisors: retry / cancel --

    def has_retry_permission(self, request, obj=None):
        """Whether the user may retry failed actions (`channelhub.retry_upstreamaction`)."""
        return request.user.has_perm("channelhub.retry_upstreamaction")

    def has_cancel_permission(self, request, obj=None):
        """Whether the user may cancel actions (`channelhub.cancel_upstreamaction`)."""
        return request.user.has_perm("channelhub.cancel_upstreamaction")

    def _each(self, request, queryset, verb, call):
        done = []
        for action in queryset[:100]:
            try:
                call(action)
            except ServiceError as error:
                self.message_user(
                    request, f"#{action.pk} {action.kind} {action.target_id}: {error.message}", messages.ERROR
                )
            else:
                done.append(f"#{action.pk}")
        if done:
            self.message_user(request, f"{verb} {len(done)} action(s): {', '.join(done)}.", messages.SUCCESS)

    @admin.action(description="Retry selected failed actions", permissions=["retry"])
    def retry_selected(self, request, queryset):
        """Queue the selected actions again through `action_retry` (at most 100), reporting each refusal."""
        self._each(request, queryset, "Queued again", lambda a: action_retry(action=a, actor=request.user))

    @admin.action(description="Cancel selected queued or failed actions", permissions=["cancel"])
    def cancel_selected(self, request, queryset):
        """Cancel the selected actions through `action_cancel` (at most 100), reporting each refusal."""
        self._each(
            request,
            queryset,
            "Cancelled",
            lambda a: action_cancel(action=a, actor=request.user, reason="Cancelled from the actions list"),
        )

    def get_urls(self):
        """The admin's URLs plus `<id>/retry/` and `<id>/cancel/`, where an action page's buttons POST."""
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/retry/",
                self.admin_site.admin_view(self.retry_view),
                name="{}_{}_retry".format(*info),
            ),
            path(
                "<path:object_id>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name="{}_{}_cancel".format(*info),
            ),
            *super().get_urls(),
        ]

    def _post_one(self, request, object_id, verb, call):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        action = self.get_object(request, unquote(object_id))
        if action is None:
            raise Http404(f"No upstream action {object_id}.")
        if not self.has_view_permission(request, action):
            raise PermissionDenied
        try:
            call(action)
        except ServiceError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            self.message_user(
                request, f"{action.verb.capitalize()} of {action.target_id} {verb}.", messages.SUCCESS
            )
        next_url = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = reverse("admin:channelhub_upstreamaction_change", args=[quote(action.pk)])
        return HttpResponseRedirect(next_url + "#ch-progress" if "#" not in next_url else next_url)

    def retry_view(self, request, object_id):
        """POST: retry one action through `action_retry`, then back to `next` (or the action's page)."""
        return self._post_one(
            request, object_id, "queued again", lambda a: action_retry(action=a, actor=request.user)
        )

    def cancel_view(self, request, object_id):
        """POST: cancel one action through `action_cancel`, with the reason given, then back to `next`."""
        reason = (request.POST.get("reason") or "").strip()[:500]
        return self._post_one(
            request,
            object_id,
            "cancelled",
            lambda a: action_cancel(action=a, actor=request.user, reason=reason),
        )


@admin.register(AuditEvent)
class AuditEventAdmin(TargetSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who did what to which object (append-only; nobody edits or deletes it here)."""

    list_display = ("created_at", "actor_display", "action", "target", "message_excerpt")
    list_filter = (("created_at", admin.DateFieldListFilter),)
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = BoundedCountPaginator
    list_per_page = 100
    fields = (
        "created_at",
        "actor_display",
        "action",
        "target",
        "upstream_action",
        "correlation_id",
        "message",
        "before_display",
        "after_display",
    )

    def get_queryset(self, request):
        """The changelist defers the before/after JSON; the detail page reads it."""
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            queryset = queryset.defer("before", "after")
        return queryset

    @admin.display(description="Actor", ordering="actor_name")
    def actor_display(self, obj):
        """The actor's name as recorded, or "system" when none was."""
        return obj.actor_name or "system"

    @admin.display(description="Target", ordering="target_id")
    def target(self, obj):
        """The target as a link to its admin page (plain text if it has none)."""
        return target_link(obj.target_type, obj.target_id)

    @admin.display(description="Message")
    def message_excerpt(self, obj):
        """The message, cut to 100 characters."""
        return Truncator(obj.message).chars(100)

    @admin.display(description="Before")
    def before_display(self, obj):
        """The state before, as indented JSON."""
        return format_html('<pre style="white-space:pre-wrap;margin:0">{}</pre>', pretty_json(obj.before))

    @admin.display(description="After")
    def after_display(self, obj):
        """The state after, as indented JSON."""
        return format_html('<pre style="white-space:pre-wrap;margin:0">{}</pre>', pretty_json(obj.after))
