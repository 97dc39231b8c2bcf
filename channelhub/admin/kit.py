"""The building blocks every admin of the back office uses.

- `ReadOnlyAdminMixin`: mirrors are written by syncs only; staff act through services and
  their own forms, never by editing a mirrored row.
- `BoundedCountPaginator`: a changelist over a big table must not run `COUNT(*)` over it.
- `status_badge`: one colour language for every status in the back office.
- `AuditedAdminMixin`: settings staff edit in the admin (rules, bands) leave an audit event
  per save and delete, with who and the state before and after.
- `ShownOrderChangeList` / `ShownOrderMixin`: the sorted column's header says the order the
  rows are shown in, `get_ordering(request)` included (an oldest-first queue).
- `nothing_matches`, `active_filter_words`, `synced_words`: why an empty queue is empty, in words.
- `HiddenByDefaultFilter`, `pretty_json`.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db import connections, transaction
from django.db.models import Q, QuerySet
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.http import urlencode

from channelhub.actions.services import audit
from channelhub.actions.specs import spec_for
from channelhub.api.statements import CountPlan
from channelhub.models import StreamState


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
        """The planner's estimate for a big unfiltered table (PostgreSQL), else a count capped at cap + 1."""
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


class AuditedAdminMixin:
    """Each save and delete in this admin leaves an audit event (`<audit_code>.added`,
    `.changed`, `.deleted`) naming who, with the object's state before and after.

    The state is the row's editable fields (`audit_state`; override it to add inline rows).
    Django runs the add, change and delete views in one transaction, so the event lands with
    the change or not at all.
    """

    audit_code = ""  # e.g. "usage.acceptance_band"

    def audit_state(self, obj) -> dict:
        """The object as the audit trail keeps it: its editable fields, as text."""
        return {key: str(value) for key, value in model_to_dict(obj, exclude=["id"]).items()}

    def _audit(self, request, verb: str, pk, message: str, before=None, after=None) -> None:
        audit(
            actor=request.user,
            action=f"{self.audit_code}.{verb}",
            target_type=self.opts.label_lower,
            target_id=str(pk),
            message=message,
            before=before,
            after=after,
        )

    def save_model(self, request, obj, form, change):
        """Save, keeping the state before (the event is written once the inlines are saved)."""
        before = self.audit_state(type(obj)._default_manager.get(pk=obj.pk)) if change and obj.pk else None
        request._channelhub_audit_before = before
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        """Save the inlines, then the audit event of the whole change."""
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before = getattr(request, "_channelhub_audit_before", None)
        self._audit(
            request, "changed" if change else "added", obj.pk, str(obj), before, self.audit_state(obj)
        )

    def delete_model(self, request, obj):
        """Delete, with an audit event of what was removed."""
        before, pk = self.audit_state(obj), obj.pk
        super().delete_model(request, obj)
        self._audit(request, "deleted", pk, f"{obj} removed", before=before)

    def delete_queryset(self, request, queryset):
        """The list's bulk delete: each row deleted (and audited) as one would be, all or none."""
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)


class ReadOnlyAdminMixin:
    """View-only admin: no add, change or delete for anyone, superusers included."""

    def has_add_permission(self, request, obj=None):
        """Never, superusers included: these rows are written by syncs and services only."""
        return False

    def has_change_permission(self, request, obj=None):
        """Never, superusers included: staff act through services and their forms, not by editing a row."""
        return False

    def has_delete_permission(self, request, obj=None):
        """Never, superusers included: rows leave only through the code that writes them."""
        return False


class ShownOrderChangeList(ChangeList):
    """A changelist whose sorted-column header follows the admin's `get_ordering(request)`.

    Django marks the sorted header (its arrow, `sorted ascending|descending`) from
    `_get_default_ordering()`, which reads the admin's `ordering` or the model's Meta ordering
    only; an admin whose `get_ordering(request)` lists a queue oldest first showed the
    newest-first arrow over rows that came oldest first. A column the user clicks (`o=`)
    still wins: Django reads the query string before the default ordering.
    """

    def __init__(self, request, *args, **kwargs):
        # Django's ChangeList does not keep the request; the ordering depends on it.
        self.request = request
        super().__init__(request, *args, **kwargs)

    def _get_default_ordering(self):
        """The admin's ordering for this request; the model's when the admin has none."""
        return self.model_admin.get_ordering(self.request) or super()._get_default_ordering()


class ShownOrderMixin:
    """For a `ModelAdmin` not built on `MirrorAdmin` whose `get_ordering(request)` depends on
    the request: its list marks the column it is really sorted by (`ShownOrderChangeList`)."""

    def get_changelist(self, request, **kwargs):
        """`ShownOrderChangeList`."""
        return ShownOrderChangeList


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
        """The rows hidden by default; a subclass defines it."""
        raise NotImplementedError

    def unflagged(self) -> Q:
        """The rows shown by default: the opposite of `flagged`, written so an index serves it."""
        raise NotImplementedError

    def lookups(self, request, model_admin):
        """The two choices besides the default: include the hidden rows, or show only them."""
        return [("include", self.include_label), ("only", self.only_label)]

    def queryset(self, request, queryset):
        """All rows for "include", only the hidden ones for "only", else the unflagged ones."""
        if self.value() == "include":
            return queryset
        if self.value() == "only":
            return queryset.filter(self.flagged())
        return queryset.filter(self.unflagged())

    def choices(self, changelist):
        """The default first, labelled `default_label` (Django's own first choice would say "All")."""
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


# What happened to an outbox action, by the audit code's last part.
AUDIT_OUTCOMES = {
    "queued": "asked by {who}",
    "succeeded": "done upstream",
    "failed": "failed upstream",
    "retried": "retried by {who}",
    "cancelled": "cancelled by {who}",
}


def audit_words(code: str, who: str = "") -> str:
    """An audit event's code in plain words: "Change seats asked by sue" for
    `channel.entitlement.change_parameters.queued` (the action's label from its spec), or the
    code's parts spelled out ("Inventory source hold confirm") for the others."""
    who = who or "the system"
    base, _, outcome = code.rpartition(".")
    if outcome in AUDIT_OUTCOMES:
        try:
            label = spec_for(base).label
        except LookupError:
            label = ""
        if label:
            return f"{label} {AUDIT_OUTCOMES[outcome].format(who=who)}"
    words = code.replace(".", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def short_name(name: str):
    """A long resource name shown by its last segment, the whole name on hover
    (`accounts/A/channelPartnerLinks/L` -> `L`); "—" when empty."""
    if not name:
        return "—"
    return format_html(
        '<span class="ch-short" title="{}">{}</span>', name, name.rstrip("/").rsplit("/", 1)[-1]
    )


def nothing_matches(changelist, queue_filter):
    """'Nothing matches <search, filters>; clear them' (HTML, the link keeps the queue), or ""
    when no search or filter but the queue itself is on."""
    active = active_filter_words(changelist, skip=queue_filter)
    if not active:
        return ""
    value = queue_filter.value()
    keep = f"?{urlencode({queue_filter.parameter_name: value})}" if value else "?"
    return format_html(
        'Nothing matches {}; <a href="{}" class="ch-clear-filters">clear them</a>.', active, keep
    )


def active_filter_words(changelist, *, skip=None) -> str:
    """The search and the list filters in use, in words ('search “x”, status: Approved');
    "" when none is (`skip`: the queue filter, which is not one to clear)."""
    parts = [f"search “{changelist.query}”"] if changelist.query else []
    for spec in changelist.filter_specs:
        if spec is skip or not spec.used_parameters:
            continue
        chosen = [str(c["display"]) for c in spec.choices(changelist) if c.get("selected")]
        parts.append(f"{spec.title}: {', '.join(chosen) or 'on'}")
    return ", ".join(parts)


def synced_words(stream: str) -> str:
    """When the stream that fills the mirror last succeeded, in words."""
    last = StreamState.objects.filter(stream=stream).values_list("last_success_at", flat=True).first()
    if last is None:
        return f"the mirror has not been synced yet (stream {stream})"
    return f"the mirror was last synced {timezone.localtime(last):%Y-%m-%d %H:%M %Z} (stream {stream})"
