"""The core app's admin (sync runs, stream states) and the building blocks every app's admin uses.

Building blocks:

- `ReadOnlyAdminMixin`: mirrors are written by syncs only; staff act through services and
  their own forms, never by editing a mirrored row.
- `BoundedCountPaginator`: a changelist over a big table must not run `COUNT(*)` over it.
- `status_badge`: one colour language for every status in the back office.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.text import Truncator

from channelhub.models import StreamState, SyncRun, SyncRunStatus

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
        with connections[queryset.db].cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
                [queryset.model._meta.db_table],
            )
            row = cursor.fetchone()
        # reltuples is -1 for a table never analysed: no estimate.
        return int(row[0]) if row and row[0] is not None and row[0] >= 0 else None


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
            return status_badge("running", "held")
        return status_badge("", "free")
