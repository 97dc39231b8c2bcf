"""The core app's admin (sync runs, stream states, the outbox and the audit trail) and the
building blocks every app's admin uses.

Building blocks:

- `ReadOnlyAdminMixin`: mirrors are written by syncs only; staff act through services and
  their own forms, never by editing a mirrored row.
- `BoundedCountPaginator`: a changelist over a big table must not run `COUNT(*)` over it.
- `status_badge`: one colour language for every status in the back office.
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Q, QuerySet
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import NoReverseMatch, path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator

from channelhub.actions import registry as action_registry
from channelhub.actions.models import AuditEvent, UpstreamAction
from channelhub.actions.services import action_cancel, action_retry
from channelhub.api.statements import CountPlan
from channelhub.models import StreamState, SyncRun, SyncRunStatus
from channelhub.services import ServiceError

# --- building blocks -----------------------------------------------------------------------


class BoundedCountPaginator(Paginator):
    """A paginator whose count never scans a big table.

    - Unfiltered on PostgreSQL: the planner's row estimate (`pg_class.reltuples`), which
      ANALYZE/autovacuum keep close enough for "about 1.2 million results".
    - Otherwise (filtered, SQLite, or a table too small or too fresh to have statistics):
      `COUNT(*)` over a `LIMIT cap + 1` subquery, so the count stops at the cap.

    The changelist then shows at most `cap + 1` results worth of pages when filtered;
    staff narrow a filter rather than page through ten thousand rows.
    """

    count_cap = 10_000

    @cached_property
    def count(self) -> int:
        object_list = self.object_list
        if not isinstance(object_list, QuerySet):
            return len(object_list)
        if not object_list.query.where and connections[object_list.db].vendor == "postgresql":
            estimate = self._planner_estimate(object_list)
            if estimate is not None and estimate > self.count_cap:
                return estimate
        return object_list.order_by()[: self.count_cap + 1].count()

    @staticmethod
    def _planner_estimate(queryset: QuerySet) -> int | None:
        """PostgreSQL's row estimate of the whole table (None elsewhere or never analysed):
        the read API's own (`CountPlan`)."""
        return CountPlan.of(queryset, 0).estimated_rows()


class ReadOnlyAdminMixin:
    """View-only admin: no add, change or delete for anyone, superusers included."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


_GREEN = ("#e3f4e8", "#1e6b34")
_BLUE = ("#e2ecf9", "#1d4f91")
_AMBER = ("#fdf1dc", "#8a5300")
_RED = ("#fbe3e3", "#a32020")
_GREY = ("#ececec", "#4a4a4a")

STATUS_COLOURS = {
    # finished well
    "approved": _GREEN,
    "active": _GREEN,
    "published": _GREEN,
    "succeeded": _GREEN,
    "queued": _BLUE,
    "sending": _BLUE,
    # in progress / waiting on the vendor (us)
    "pending": _BLUE,
    "processing": _BLUE,
    "running": _BLUE,
    "tiers_setup": _BLUE,
    # waiting on someone else, or paused
    "inquiring": _AMBER,
    "scheduled": _AMBER,
    "suspended": _AMBER,
    "draft": _AMBER,
    "skipped": _AMBER,
    # failed or going away
    "failed": _RED,
    "revoking": _RED,
    "revoked": _RED,
    "terminating": _RED,
    "terminated": _RED,
    "endofsale": _RED,
}


class HiddenByDefaultFilter(admin.SimpleListFilter):
    """A filter that leaves some rows out unless asked (migration requests, rows gone upstream).

    Subclasses set `title`, `parameter_name`, the three labels, `flagged` (a Q matching the rows
    hidden by default) and `unflagged` (its opposite, written so an index can serve it, which a
    negated Q often cannot).
    """

    default_label = ""
    include_label = ""
    only_label = ""

    def flagged(self) -> Q:
        raise NotImplementedError

    def unflagged(self) -> Q:
        raise NotImplementedError

    def lookups(self, request, model_admin):
        return [("include", self.include_label), ("only", self.only_label)]

    def queryset(self, request, queryset):
        if self.value() == "include":
            return queryset
        if self.value() == "only":
            return queryset.filter(self.flagged())
        return queryset.filter(self.unflagged())

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": self.default_label,
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


def status_badge(status: str, label: str | None = None):
    """A coloured, escaped status pill; unknown statuses (upstream drift) are grey."""
    background, colour = STATUS_COLOURS.get(status, _GREY)
    return format_html(
        '<span class="ch-badge" style="background:{};color:{};padding:1px 8px;border-radius:9px;'
        'font-weight:600;white-space:nowrap">{}</span>',
        background,
        colour,
        label or status or "—",
    )


def pretty_json(value) -> str:
    """JSON for a human, never marked safe: templates and format_html escape it."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


# --- the sync engine's state ---------------------------------------------------------------


class StreamFilter(admin.SimpleListFilter):
    """Streams from StreamState (one row per stream), not a DISTINCT over every run ever."""

    title = "stream"
    parameter_name = "stream"

    def lookups(self, request, model_admin):
        return [
            (name, name) for name in StreamState.objects.order_by("stream").values_list("stream", flat=True)
        ]

    def queryset(self, request, queryset):
        return queryset.filter(stream=self.value()) if self.value() else queryset


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every run of every stream: what it read and wrote, and why it failed."""

    list_display = (
        "id",
        "stream",
        "trigger",
        "status_pill",
        "started_at",
        "duration_display",
        "pages",
        "created",
        "updated",
        "unchanged",
        "progress_display",
        "error_excerpt",
    )
    list_display_links = ("id", "stream")
    list_filter = ("status", "trigger", StreamFilter, ("started_at", admin.DateFieldListFilter))
    search_fields = ("=stream",)
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = BoundedCountPaginator
    list_per_page = 50
    fieldsets = (
        (
            None,
            {"fields": ("stream", "trigger", "status_pill", "started_at", "finished_at", "duration_display")},
        ),
        ("Window", {"fields": ("window_since", "window_until")}),
        (
            "Counts",
            {
                "fields": (
                    "pages",
                    "fetched",
                    "created",
                    "updated",
                    "unchanged",
                    "total_estimate",
                    "progress_display",
                )
            },
        ),
        ("Error", {"fields": ("error", "error_detail_display")}),
        ("Worker", {"fields": ("owner",)}),  # lock owner host:pid:start:uuid; a dead one is "worker lost"
    )

    @admin.display(description="Status", ordering="status")
    def status_pill(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="Duration")
    def duration_display(self, obj):
        duration = obj.duration
        if duration is None:
            return "running" if obj.status == SyncRunStatus.RUNNING else "—"
        seconds = int(duration.total_seconds())
        minutes, seconds = divmod(seconds, 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}h {minutes:02d}m {seconds:02d}s" if hours else f"{minutes}m {seconds:02d}s"

    @admin.display(description="Progress", ordering="progress")
    def progress_display(self, obj):
        return f"{obj.progress}%"

    @admin.display(description="Error")
    def error_excerpt(self, obj):
        return Truncator(obj.error).chars(80) if obj.error else ""

    @admin.display(description="Upstream detail")
    def error_detail_display(self, obj):
        if not obj.error_detail:
            return "—"
        return format_html(
            '<pre style="white-space:pre-wrap;margin:0">{}</pre>', pretty_json(obj.error_detail)
        )


@admin.register(StreamState)
class StreamStateAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """One row per stream: its cursor, who holds its lock, and when it last succeeded."""

    list_display = ("stream", "cursor_display", "locked_by", "locked_until", "lock_state", "last_success_at")
    search_fields = ("stream",)
    fields = ("stream", "cursor_pretty", "locked_by", "locked_until", "last_success_at")

    @admin.display(description="Cursor")
    def cursor_display(self, obj):
        if not obj.cursor:
            return "—"
        return Truncator(", ".join(f"{k}={v}" for k, v in obj.cursor.items())).chars(80)

    @admin.display(description="Cursor")
    def cursor_pretty(self, obj):
        return format_html('<pre style="margin:0">{}</pre>', pretty_json(obj.cursor))

    @admin.display(description="Lock")
    def lock_state(self, obj):
        from django.utils import timezone

        if obj.locked_by and obj.locked_until and obj.locked_until > timezone.now():
            return status_badge("running", f"held until {timezone.localtime(obj.locked_until):%H:%M:%S}")
        return status_badge("", "free")


# --- the outbox and the audit trail --------------------------------------------------------


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
        return [(kind, kind) for kind in action_registry.kinds()]

    def queryset(self, request, queryset):
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
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            queryset = queryset.defer("payload", "response", "error_detail")
        return queryset

    @admin.display(description="Target", ordering="target_id")
    def target(self, obj):
        return target_link(obj.target_type, obj.target_id)

    @admin.display(description="Status", ordering="status")
    def status_pill(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="Last error")
    def error_excerpt(self, obj):
        if not obj.last_error:
            return ""
        text = Truncator(obj.last_error).chars(80)
        return f"{text} [{obj.error_code}]" if obj.error_code else text

    @admin.display(description="Error detail")
    def error_detail_display(self, obj):
        return format_html(
            '<pre style="white-space:pre-wrap;margin:0">{}</pre>', pretty_json(obj.error_detail)
        )

    @admin.display(description="Response")
    def response_display(self, obj):
        return format_html('<pre style="white-space:pre-wrap;margin:0">{}</pre>', pretty_json(obj.response))

    @admin.display(description="Payload")
    def payload_display(self, obj):
        return format_html('<pre style="white-space:pre-wrap;margin:0">{}</pre>', pretty_json(obj.payload))

    # -- supervisors: retry / cancel --

    def has_retry_permission(self, request, obj=None):
        return request.user.has_perm("channelhub.retry_upstreamaction")

    def has_cancel_permission(self, request, obj=None):
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
        self._each(request, queryset, "Queued again", lambda a: action_retry(action=a, actor=request.user))

    @admin.action(description="Cancel selected queued or failed actions", permissions=["cancel"])
    def cancel_selected(self, request, queryset):
        self._each(
            request,
            queryset,
            "Cancelled",
            lambda a: action_cancel(action=a, actor=request.user, reason="Cancelled from the actions list"),
        )

    def get_urls(self):
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
        return self._post_one(
            request, object_id, "queued again", lambda a: action_retry(action=a, actor=request.user)
        )

    def cancel_view(self, request, object_id):
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
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            queryset = queryset.defer("before", "after")
        return queryset

    @admin.display(description="Actor", ordering="actor_name")
    def actor_display(self, obj):
        return obj.actor_name or "system"

    @admin.display(description="Target", ordering="target_id")
    def target(self, obj):
        return target_link(obj.target_type, obj.target_id)

    @admin.display(description="Message")
    def message_excerpt(self, obj):
        return Truncator(obj.message).chars(100)

    @admin.display(description="Before")
    def before_display(self, obj):
        return format_html('<pre style="white-space:pre-wrap;margin:0">{}</pre>', pretty_json(obj.before))

    @admin.display(description="After")
    def after_display(self, obj):
        return format_html('<pre style="white-space:pre-wrap;margin:0">{}</pre>', pretty_json(obj.after))


# The API token admin lives with the API plumbing (channelhub.api is a package of this app,
# not an app of its own, so the admin autodiscovery would not find it); django-q's admin is
# re-registered safe in `schedules` (schedules name code, so nobody types them in).
from channelhub.admin import schedules as _schedules_admin  # noqa: E402, F401
from channelhub.api import admin as _api_admin  # noqa: E402, F401
