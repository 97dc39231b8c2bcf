"""The core's own dashboard widgets: sync health per stream, and the outbox (failed and stuck
upstream actions, and what the last 24 hours of actions came to, as a chart drawn here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.admin.utils import quote
from django.db import connection
from django.db.models import CharField, Count, OuterRef, Q, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Substr
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from channelhub.admin.kit import STATUS_COLOURS
from channelhub.admin.outbox import target_link
from channelhub.models import ActionStatus, StreamState, SyncRun, SyncRunStatus, SyncTrigger, UpstreamAction
from channelhub.sync import registry as sync_registry
from channelhub.sync.schedules import PREFIX

from .kit import Figure, Widget, bounded_counts, changelist_url, duration_words

#: Failures in a row are counted up to this many (more shows as "50+").
FAILURES_CAP = 50
#: A queued action whose next attempt is this far in the past was not picked up: it is stuck.
QUEUED_STUCK_AFTER = timedelta(minutes=10)
LISTED = 8  # failed / stuck actions listed by name
_COUNTED_TRIGGERS = (SyncTrigger.SCHEDULE, SyncTrigger.COMMAND, SyncTrigger.MANUAL)


def _failures_in_a_row() -> RawSQL:
    """Per stream state: its failed runs since its last success, counted up to FAILURES_CAP + 1
    (a correlated, bounded count): a range of the (stream, started_at) index that starts at
    the last success, so a long history of good runs is never walked."""
    q = connection.ops.quote_name
    runs, states = q(SyncRun._meta.db_table), q(StreamState._meta.db_table)
    epoch = connection.ops.adapt_datetimefield_value(datetime(1970, 1, 1, tzinfo=UTC))
    return RawSQL(
        f"SELECT COUNT(*) FROM (SELECT 1 FROM {runs} r WHERE r.{q('stream')} = {states}.{q('stream')}"
        f" AND r.{q('started_at')} > COALESCE({states}.{q('last_success_at')}, %s)"
        f" AND r.{q('status')} = %s LIMIT {FAILURES_CAP + 1}) failures",
        [epoch, SyncRunStatus.FAILED],
    )


class SyncHealthWidget(Widget):
    """Every stream: last success, lag, failures in a row, next run; "run now" for supervisors
    (the stream states admin's own run-now: `stream_run_now`, audited, through the lock)."""

    key = "sync"
    title = "Sync health"
    perm = "channelhub.view_streamstate"
    template = "admin/channelhub/dashboard/sync.html"

    def context(self, user) -> dict:
        """One row per stream (declared, then provided): three queries whatever their number."""
        now = timezone.now().replace(microsecond=0)  # links carry whole seconds: the same rows
        found = sync_registry.provided()
        declared = sync_registry.declared_streams()
        streams = {**declared, **found.streams}
        last_start = (
            SyncRun.objects.filter(stream=OuterRef("stream"), trigger__in=_COUNTED_TRIGGERS)
            .exclude(status=SyncRunStatus.SKIPPED)
            .order_by("-started_at")
            .values("started_at")[:1]
        )
        states = {
            s.stream: s
            for s in StreamState.objects.filter(stream__in=list(streams))
            .defer("cursor")
            .annotate(failures=_failures_in_a_row(), last_start=Subquery(last_start))
        }
        schedules = {s.name: s for s in Schedule.objects.filter(name__in=[f"{PREFIX}{n}" for n in declared])}
        can_run = user.has_perm("channelhub.run_sync")
        rows = [
            self._row(name, stream, states.get(name), schedules.get(f"{PREFIX}{name}"), name in declared, now)
            for name, stream in streams.items()
        ]
        return {"streams": rows, "can_run": can_run, "errors": found.errors}

    def _row(self, name, stream, state, schedule, declared: bool, now: datetime) -> dict:
        last_success = state.last_success_at if state else None
        failures = state.failures if state else 0
        lag = now - last_success if last_success else None
        return {
            "name": name,
            "last_success": last_success,
            "lag": duration_words(lag) if lag else "never",
            "late": lag is None or lag > timedelta(minutes=2 * stream.schedule_minutes),
            "failures": failures,
            "failures_text": f"{FAILURES_CAP}+" if failures > FAILURES_CAP else str(failures),
            "failures_url": changelist_url(
                "admin:channelhub_syncrun_changelist", stream=name, status__exact=SyncRunStatus.FAILED
            ),
            "running": bool(state and state.locked_by and state.locked_until and state.locked_until > now),
            "next_run": self._next_run(stream, state, schedule, declared, now),
            "run_url": reverse("admin:channelhub_streamstate_run_now", args=[quote(name)]),
        }

    @staticmethod
    def _next_run(stream, state, schedule, declared: bool, now: datetime) -> str:
        """When the stream runs next, in words: its schedule's next run (declared), or its
        interval since its last counted start (provided, handed over by the dispatcher)."""
        if declared:
            if schedule is None:
                return "no schedule (run setup_schedules)"
            if schedule.repeats == 0:
                return "paused"
            when = schedule.next_run
        else:
            if state and state.paused_at:
                return "paused"
            if state and state.queued_at:
                return "queued"
            start = state.last_start if state else None
            when = start + timedelta(minutes=stream.schedule_minutes) if start else None
        if when is None or when <= now:
            return "due now"
        return f"in {duration_words(when - now)} ({timezone.localtime(when):%H:%M})"


# --- the outbox --------------------------------------------------------------------------------

_OUTCOMES = (
    ("succeeded", "Done", (ActionStatus.SUCCEEDED,)),
    ("failed", "Failed", (ActionStatus.FAILED,)),
    ("cancelled", "Cancelled", (ActionStatus.CANCELLED,)),
    ("queued", "Open (queued or sending)", ActionStatus.OPEN_STATES),
)
_COLOUR = {"succeeded": "succeeded", "failed": "failed", "cancelled": "", "queued": "queued"}


def _colour(outcome: str) -> str:
    """An outcome's colour in the back office's colour language (the badges')."""
    return STATUS_COLOURS.get(_COLOUR[outcome], ("", "#4a4a4a"))[1]


CHART_HEIGHT = 120
BAR_WIDTH = 22
BAR_GAP = 4


def _stuck(now: datetime) -> Q:
    """Actions that should have moved: sending past ACTION_SENDING_TIMEOUT (the worker was
    lost), or queued more than QUEUED_STUCK_AFTER past their next attempt (nobody picked them up)."""
    lost = now - timedelta(seconds=settings.ACTION_SENDING_TIMEOUT)
    return Q(status=ActionStatus.SENDING, sending_since__lt=lost) | Q(
        status=ActionStatus.QUEUED, next_attempt_at__lt=now - QUEUED_STUCK_AFTER
    )


def _chart(now: datetime) -> dict:
    """Actions created in the last 24 hours by hour and outcome: stacked bars, drawn as SVG
    geometry here (the template only writes it out; no JavaScript, nothing from a CDN).

    Hours are UTC hours of the stored time, cut from its text ("YYYY-MM-DD HH", the same on
    SQLite and PostgreSQL in UTC) by the database itself: no per-row function call."""
    top_hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    hours = [top_hour - timedelta(hours=23 - n) for n in range(24)]
    outcome_of = {status: key for key, _, statuses in _OUTCOMES for status in statuses}
    counts: dict[tuple, int] = {}
    rows = (
        UpstreamAction.objects.filter(created_at__gte=hours[0])
        .annotate(hour=Substr(Cast("created_at", CharField()), 1, 13))
        .values("hour", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        hour = datetime.strptime(row["hour"], "%Y-%m-%d %H").replace(tzinfo=UTC)
        key = (hour, outcome_of.get(row["status"], "queued"))
        counts[key] = counts.get(key, 0) + row["n"]
    totals = [sum(counts.get((hour, key), 0) for key, _, _ in _OUTCOMES) for hour in hours]
    top = max(totals) or 1
    bars = []
    for n, hour in enumerate(hours):
        y = CHART_HEIGHT
        segments = []
        for key, label, _ in _OUTCOMES:
            value = counts.get((hour, key), 0)
            if not value:
                continue
            height = max(round(value * CHART_HEIGHT / top), 1)
            y -= height
            segments.append({"y": y, "height": height, "colour": _colour(key), "title": f"{label}: {value}"})
        bars.append(
            {
                "x": n * (BAR_WIDTH + BAR_GAP),
                "segments": segments,
                "label": f"{timezone.localtime(hour):%H}",
                "total": totals[n],
                "title": f"{timezone.localtime(hour):%H}:00–{timezone.localtime(hour):%H}:59: {totals[n]} action(s)",
            }
        )
    legend = [
        {"label": label, "colour": _colour(key), "total": sum(counts.get((h, key), 0) for h in hours)}
        for key, label, _ in _OUTCOMES
    ]
    return {
        "bars": bars,
        "legend": legend,
        "top": top,
        "width": 24 * (BAR_WIDTH + BAR_GAP),
        "height": CHART_HEIGHT,
        "bar_width": BAR_WIDTH,
        "mid": BAR_WIDTH // 2,
        "total": sum(totals),
    }


def _listed(action: UpstreamAction, now: datetime) -> dict:
    """An action as the widget lists it: its link, its target's, and the upstream's reason."""
    since = action.sending_since if action.status == ActionStatus.SENDING else action.next_attempt_at
    return {
        "action": action,
        "url": reverse("admin:channelhub_upstreamaction_change", args=[quote(action.pk)]),
        "target": target_link(action.target_type, action.target_id),
        "reason": action.last_error or "—",
        "code": action.error_code,
        "waiting": duration_words(now - since) if since else "—",
    }


class UpstreamActionsWidget(Widget):
    """Failed and stuck upstream actions with the upstream's reason, and the last 24 hours."""

    key = "actions"
    title = "Upstream actions"
    perm = "channelhub.view_upstreamaction"
    template = "admin/channelhub/dashboard/actions.html"

    def context(self, user) -> dict:
        """Four queries: the bounded counts, the latest failed, the stuck, the chart."""
        now = timezone.now().replace(microsecond=0)  # links carry whole seconds: the same rows
        changelist = "admin:channelhub_upstreamaction_changelist"
        lost = now - timedelta(seconds=settings.ACTION_SENDING_TIMEOUT)
        unpicked = now - QUEUED_STUCK_AFTER
        actions = UpstreamAction.objects.defer("payload", "response", "error_detail")
        figures = {
            "failed": (
                actions.filter(status=ActionStatus.FAILED),
                changelist_url(changelist, status__exact=ActionStatus.FAILED),
            ),
            "sending": (
                actions.filter(status=ActionStatus.SENDING, sending_since__lt=lost),
                changelist_url(changelist, status__exact=ActionStatus.SENDING, sending_since__lt=lost),
            ),
            "queued": (
                actions.filter(status=ActionStatus.QUEUED, next_attempt_at__lt=unpicked),
                changelist_url(changelist, status__exact=ActionStatus.QUEUED, next_attempt_at__lt=unpicked),
            ),
        }
        counts = bounded_counts({key: qs for key, (qs, _) in figures.items()})
        failed = actions.filter(status=ActionStatus.FAILED).select_related("actor").order_by("-created_at")
        stuck = actions.filter(_stuck(now)).select_related("actor").order_by("next_attempt_at")
        return {
            "figures": {key: Figure(counts[key], url) for key, (_, url) in figures.items()},
            "failed": [_listed(a, now) for a in failed[:LISTED]],
            "stuck": [_listed(a, now) for a in stuck[:LISTED]],
            "chart": _chart(now),
            "sending_timeout": duration_words(timedelta(seconds=settings.ACTION_SENDING_TIMEOUT)),
            "queued_after": duration_words(QUEUED_STUCK_AFTER),
        }
