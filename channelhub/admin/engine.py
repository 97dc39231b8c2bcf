"""The sync engine's state in the admin: sync runs and stream states (cursor, who holds the lock)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator

from channelhub.admin.kit import BoundedCountPaginator, ReadOnlyAdminMixin, pretty_json, status_badge
from channelhub.models import StreamState, SyncRun, SyncRunStatus
from channelhub.services import ServiceError
from channelhub.sync import registry
from channelhub.sync.lock import ensure_state
from channelhub.sync.schedules import stream_pause, stream_resume, stream_run_now


class StreamFilter(admin.SimpleListFilter):
    """Streams from StreamState (one row per stream), not a DISTINCT over every run ever."""

    title = "stream"
    parameter_name = "stream"

    def lookups(self, request, model_admin):
        """One choice per stream that has a state row, in name order."""
        return [
            (name, name) for name in StreamState.objects.order_by("stream").values_list("stream", flat=True)
        ]

    def queryset(self, request, queryset):
        """The runs of the chosen stream, or all of them when none is chosen."""
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
        """The run's status as a coloured badge."""
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="Duration")
    def duration_display(self, obj):
        """How long the run took, as `1h 02m 03s` or `2m 03s`; "running" while it runs."""
        duration = obj.duration
        if duration is None:
            return "running" if obj.status == SyncRunStatus.RUNNING else "—"
        seconds = int(duration.total_seconds())
        minutes, seconds = divmod(seconds, 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}h {minutes:02d}m {seconds:02d}s" if hours else f"{minutes}m {seconds:02d}s"

    @admin.display(description="Progress", ordering="progress")
    def progress_display(self, obj):
        """The run's progress as a percentage."""
        return f"{obj.progress}%"

    @admin.display(description="Error")
    def error_excerpt(self, obj):
        """The first 80 characters of the run's error, for the list."""
        return Truncator(obj.error).chars(80) if obj.error else ""

    @admin.display(description="Upstream detail")
    def error_detail_display(self, obj):
        """What upstream answered when the run failed, as indented JSON."""
        if not obj.error_detail:
            return "—"
        return format_html(
            '<pre style="white-space:pre-wrap;margin:0">{}</pre>', pretty_json(obj.error_detail)
        )


@admin.register(StreamState)
class StreamStateAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """One row per stream: its cursor, who holds its lock, and when it last succeeded; and
    what a supervisor may do to a stream (pause, resume, run now: audited, `run_sync`)."""

    list_display = (
        "stream",
        "cursor_display",
        "locked_by",
        "locked_until",
        "lock_state",
        "run_state",
        "last_success_at",
    )
    search_fields = ("stream",)
    fields = (
        "stream",
        "cursor_pretty",
        "locked_by",
        "locked_until",
        "last_success_at",
        "paused_at",
        "queued_at",
    )
    actions = ("run_now_selected", "pause_selected", "resume_selected")

    def has_run_sync_permission(self, request):
        """Who may pause, resume and run streams: the `run_sync` permission (supervisors)."""
        return request.user.has_perm("channelhub.run_sync")

    def changelist_view(self, request, extra_context=None):
        """The list, with an error on top for each provided stream that was left out."""
        # A provided stream left out (a clash, a bad name, a failing provider) is shown here.
        for error in registry.provided().errors:
            self.message_user(request, f"Stream left out: {error}", messages.ERROR)
        return super().changelist_view(request, extra_context)

    @admin.display(description="Cursor")
    def cursor_display(self, obj):
        """The cursor as `key=value` pairs cut to 80 characters, for the list."""
        if not obj.cursor:
            return "—"
        return Truncator(", ".join(f"{k}={v}" for k, v in obj.cursor.items())).chars(80)

    @admin.display(description="Cursor")
    def cursor_pretty(self, obj):
        """The whole cursor as indented JSON, for the detail page."""
        return format_html('<pre style="margin:0">{}</pre>', pretty_json(obj.cursor))

    @admin.display(description="Lock")
    def lock_state(self, obj):
        """A badge: held (and until when) while a live lock is on the stream, else free."""
        if obj.locked_by and obj.locked_until and obj.locked_until > timezone.now():
            return status_badge("running", f"held until {timezone.localtime(obj.locked_until):%H:%M:%S}")
        return status_badge("", "free")

    @admin.display(description="Dispatch")
    def run_state(self, obj):
        """A provided stream's pause and queue (a declared stream's are on its schedule)."""
        if obj.paused_at:
            return status_badge("paused")
        if obj.queued_at:
            return status_badge("queued", f"queued {timezone.localtime(obj.queued_at):%H:%M:%S}")
        return ""

    def _each(self, request, queryset, verb, call):
        done = []
        for state in queryset:
            try:
                call(state.stream)
            except ServiceError as error:
                self.message_user(request, f"{state.stream}: {error.message}", messages.ERROR)
            else:
                done.append(state.stream)
        if done:
            self.message_user(request, f"{verb}: {', '.join(done)}.", messages.SUCCESS)

    @admin.action(description="Run selected streams now", permissions=["run_sync"])
    def run_now_selected(self, request, queryset):
        """Hand each selected stream to a worker now (audited)."""
        self._each(
            request, queryset, "Handed to a worker", lambda s: stream_run_now(stream=s, actor=request.user)
        )

    @admin.action(description="Pause selected streams", permissions=["run_sync"])
    def pause_selected(self, request, queryset):
        """Pause each selected stream (audited)."""
        self._each(
            request,
            queryset,
            "Paused",
            lambda s: stream_pause(stream=s, actor=request.user, reason="Paused from the stream states list"),
        )

    @admin.action(description="Resume selected streams", permissions=["run_sync"])
    def resume_selected(self, request, queryset):
        """Resume each selected stream (audited)."""
        self._each(request, queryset, "Resumed", lambda s: stream_resume(stream=s, actor=request.user))

    # -- one stream's "run now", for the dashboard's buttons: the very action above, on one row

    def get_urls(self):
        """The admin's URLs plus `<stream>/run-now/`, where the dashboard's "Run now" POSTs."""
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/run-now/",
                self.admin_site.admin_view(self.run_now_view),
                name="{}_{}_run_now".format(*info),
            ),
            *super().get_urls(),
        ]

    def run_now_view(self, request, object_id):
        """POST: run one stream now through `run_now_selected` (the list's own action: the
        `run_sync` permission, `stream_run_now`, audited), then back to `next` (the dashboard)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_run_sync_permission(request):
            raise PermissionDenied
        name = unquote(object_id)
        try:
            registry.get(name)
        except registry.UnknownStream as exc:
            raise Http404(str(exc)) from None
        ensure_state(name)  # a stream that never ran has no state row yet
        self.run_now_selected(request, StreamState.objects.filter(stream=name))
        next_url = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = reverse("admin:index")
        return HttpResponseRedirect(next_url)
