"""Automation in the back office.

- **Processors** (`ProcessorSettingAdmin`, Operations > Processors): every registered
  processor, what it handles, where it runs (on, dry run, off, per product), what its dry run
  would have done ("approve 14, inquire 3"), and for supervisors (`run_processor`) the forms to
  switch it, preview a pass and run one now. Every change goes through the audited services.
- **Automation tasks** (`AutomationTaskAdmin`): every decision, read-only, filtered by
  processor, status, decision and dry run; the traceback of a failure for supervisors only.
- The take over / give back views behind the buttons of `{% automation_panel %}`.
"""

from __future__ import annotations

from functools import partial

from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator
from django.views.decorators.http import require_POST

from channelhub.admin.kit import BoundedCountPaginator, ReadOnlyAdminMixin, pretty_json, status_badge
from channelhub.admin.outbox import target_link
from channelhub.automation import runner, services
from channelhub.automation.contract import KINDS
from channelhub.automation.processors import Settings, all_processors, processor_named
from channelhub.automation.selectors import dry_run_summary, summary_in_words
from channelhub.automation.subjects import all_subjects
from channelhub.dashboard.kit import changelist_url
from channelhub.models.automation import AutomationTask, ProcessorSetting, TaskStatus
from channelhub.services import ServiceError

PREVIEW_LIMIT = 100  # a preview runs the handlers in the web process: keep it short
MODES = (("on", "On"), ("dry_run", "Dry run (record, do nothing)"), ("off", "Off"))


TASKS = "admin:channelhub_automationtask_changelist"


def processor_rows(settings_rows) -> list[dict]:
    """What the processors page shows of each registered processor."""
    rows = []
    for processor in all_processors():
        mine = [row for row in settings_rows if row.processor == processor.name]
        modes = Settings(mine)
        rows.append(
            {
                "processor": processor,
                "events": [(event, ", ".join(statuses)) for event, statuses in processor.events.items()],
                "settings": [(row, modes.mode(row.processor, row.product_id)) for row in mine],
                "dry_run": summary_in_words(dry_run_summary(processor=processor.name)),
                "dry_run_url": changelist_url(TASKS, processor=processor.name, status=TaskStatus.DRY_RUN),
                "failed_url": changelist_url(TASKS, processor=processor.name, status=TaskStatus.FAILED),
                "open_url": changelist_url(
                    TASKS, processor=processor.name, status__in="due,running,rescheduled"
                ),
            }
        )
    return rows


@admin.register(ProcessorSetting)
class ProcessorSettingAdmin(admin.ModelAdmin):
    """The processors page: one card per processor instead of a list of setting rows.

    Everyone with the view permission sees it; only `run_processor` (supervisors) gets the
    forms. Rows are never edited directly: the forms call the services, which audit.
    """

    processors_template = "admin/channelhub/processorsetting/processors.html"
    preview_template = "admin/channelhub/processorsetting/preview.html"

    def has_add_permission(self, request):
        """Never directly: the page's forms call the audited services."""
        return False

    def has_change_permission(self, request, obj=None):
        """Never directly: the page's forms call the audited services."""
        return False

    def has_delete_permission(self, request, obj=None):
        """Never: switching a processor off is a setting, kept with who changed it."""
        return False

    def get_urls(self):
        """The page's three forms beside the (replaced) list."""
        view = self.admin_site.admin_view
        return [
            path("<str:name>/mode/", view(self.mode_view), name="channelhub_processorsetting_mode"),
            path("<str:name>/run/", view(self.run_view), name="channelhub_processorsetting_run"),
            path("<str:name>/preview/", view(self.preview_view), name="channelhub_processorsetting_preview"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        """Every processor as a card (not ProcessorSetting rows: a processor with no row is off)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Automation processors",
            "opts": self.opts,
            "processors": processor_rows(list(ProcessorSetting.objects.order_by("processor", "product_id"))),
            "may_run": request.user.has_perm(services.RUN_PERM),
            "modes": MODES,
            "tasks_url": reverse("admin:channelhub_automationtask_changelist"),
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.processors_template, context)

    def _back(self):
        return HttpResponseRedirect(reverse("admin:channelhub_processorsetting_changelist"))

    def _call(self, request, call, said):
        try:
            result = call()
        except ServiceError as refused:
            self.message_user(request, str(refused), messages.ERROR)
        else:
            self.message_user(request, said(result), messages.SUCCESS)
        return self._back()

    @staticmethod
    def _processor_or_404(name: str):
        try:
            return processor_named(name)
        except LookupError as missing:
            raise Http404(str(missing)) from None

    @method_decorator(require_POST)
    def mode_view(self, request, name):
        """On, dry run or off, for one product or every product (audited by the service)."""
        processor = self._processor_or_404(name)
        mode, product = request.POST.get("mode", ""), request.POST.get("product_id", "").strip()
        where = product or "every product"
        if mode == "off":
            return self._call(
                request,
                lambda: services.processor_disable(
                    name=processor.name, actor=request.user, product_id=product
                ),
                lambda dropped: f"{processor.name} is off for {where}; {dropped} open task(s) dropped.",
            )
        if mode not in ("on", "dry_run"):
            self.message_user(request, f"Choose on, dry run or off (not {mode!r}).", messages.ERROR)
            return self._back()
        return self._call(
            request,
            partial(
                services.processor_enable,
                name=processor.name,
                actor=request.user,
                product_id=product,
                dry_run=mode == "dry_run",
            ),
            lambda queued: (
                f"{processor.name} is {'in dry run' if mode == 'dry_run' else 'on'} for {where}; "
                f"{queued} waiting object(s) queued."
            ),
        )

    @method_decorator(require_POST)
    def run_view(self, request, name):
        """One pass now, on a worker (the service queues what waits and hands it over)."""
        processor = self._processor_or_404(name)
        return self._call(
            request,
            lambda: services.processor_run_now(name=processor.name, actor=request.user),
            lambda result: f"{processor.name}: {result[0]} object(s) queued and handed to a worker.",
        )

    @method_decorator(require_POST)
    def preview_view(self, request, name):
        """What one pass would decide now, for up to PREVIEW_LIMIT objects; nothing is written."""
        processor = self._processor_or_404(name)
        if not request.user.has_perm(services.RUN_PERM):
            raise PermissionDenied
        lines, counts = [], {}
        for target_id, decision, error in runner.preview(processor, limit=PREVIEW_LIMIT):
            kind = decision.kind if decision is not None else "failed"
            counts[kind] = counts.get(kind, 0) + 1
            words = decision.in_words() if decision is not None else str(error)
            lines.append({"target_id": target_id, "kind": kind, "words": words})
        context = {
            **self.admin_site.each_context(request),
            "title": f"What {processor.name} would decide now",
            "opts": self.opts,
            "processor": processor,
            "lines": lines,
            "summary": summary_in_words(counts),
            "limit": PREVIEW_LIMIT,
        }
        return TemplateResponse(request, self.preview_template, context)


class ProcessorFilter(admin.SimpleListFilter):
    """The registered processors (no DISTINCT over the tasks table)."""

    title = "processor"
    parameter_name = "processor"

    def lookups(self, request, model_admin):
        """One choice per registered processor."""
        return [(p.name, p.name) for p in all_processors()]

    def queryset(self, request, queryset):
        """The chosen processor's tasks."""
        return queryset.filter(processor=self.value()) if self.value() else queryset


class DecisionFilter(admin.SimpleListFilter):
    """The decision kinds of the contract."""

    title = "decision"
    parameter_name = "decision"

    def lookups(self, request, model_admin):
        """One choice per decision kind."""
        return [(kind, kind.replace("_", " ")) for kind in KINDS]

    def queryset(self, request, queryset):
        """The tasks that ended with the chosen decision."""
        return queryset.filter(decision=self.value()) if self.value() else queryset


@admin.register(AutomationTask)
class AutomationTaskAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every processor's turn on every object: what it decided, why, what action it became."""

    list_display = (
        "id",
        "created_at",
        "processor",
        "target",
        "status_pill",
        "decision",
        "dry_run",
        "reason_excerpt",
        "attempts",
        "action_link",
    )
    list_display_links = ("id",)
    list_filter = (ProcessorFilter, "status", DecisionFilter, "dry_run")
    search_fields = ("=target_id",)
    search_help_text = "The object's id (PR-…, TCR-…, UF-…)"
    ordering = ("-id",)  # the primary key's order is the queue's; no sort over the table
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = BoundedCountPaginator
    list_per_page = 50
    fields = (
        "processor",
        "version",
        "event_type",
        "target",
        "product_id",
        "status_pill",
        "dry_run",
        "decision",
        "detail_display",
        "reason",
        "error_display",  # get_fields: the traceback or its last line, by who asks
        "attempts",
        "next_run_at",
        "created_at",
        "finished_at",
        "action_link",
    )

    def get_search_results(self, request, queryset, search_term):
        """An exact id, through the (target_type, target_id) index."""
        term = search_term.strip()
        if not term:
            return queryset, False
        types = [subject.target_type for subject in all_subjects()]
        return queryset.filter(target_type__in=types, target_id=term), False

    @admin.display(description="Object", ordering="target_id")
    def target(self, obj):
        """The object's id, linked to its page."""
        return target_link(obj.target_type, obj.target_id)

    @admin.display(description="Status", ordering="status")
    def status_pill(self, obj):
        """The task's status as a badge."""
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="Why")
    def reason_excerpt(self, obj):
        """The reason (or the error's last line), cut for the list."""
        text = obj.reason or (obj.error.strip().splitlines() or [""])[-1]
        return Truncator(text).chars(100)

    @admin.display(description="Action")
    def action_link(self, obj):
        """The outbox action the decision became."""
        if not obj.action_id:
            return "—"
        url = reverse("admin:channelhub_upstreamaction_change", args=[obj.action_id])
        return format_html('<a href="{}">action {}</a>', url, obj.action_id)

    @admin.display(description="Decision data")
    def detail_display(self, obj):
        """The decision's data as indented JSON."""
        return format_html('<pre style="white-space:pre-wrap;margin:0">{}</pre>', pretty_json(obj.detail))

    @admin.display(description="Error")
    def error_traceback(self, obj):
        """The last exception with its traceback (cut), for `run_processor` (supervisors)."""
        if not obj.error:
            return "—"
        return format_html('<pre style="white-space:pre-wrap;margin:0">{}</pre>', obj.error)

    @admin.display(description="Error")
    def error_last_line(self, obj):
        """The last exception's last line: what went wrong, without the code's insides."""
        if not obj.error:
            return "—"
        last = (obj.error.strip().splitlines() or [""])[-1]
        return format_html('{} <span class="ch-muted">(the traceback is shown to supervisors)</span>', last)

    def get_fields(self, request, obj=None):
        """The traceback whole for `run_processor`, its last line for everyone else."""
        error = "error_traceback" if request.user.has_perm(services.RUN_PERM) else "error_last_line"
        return tuple(error if name == "error_display" else name for name in self.fields)


# --- taking an object out of automation and giving it back (the panel's buttons) -------------


def _back(request) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/admin/"
    return HttpResponseRedirect(target)


def _hold_or_release(request, service, said) -> HttpResponseRedirect:
    """Call `service(target_type=, target_id=, actor=)` on the posted object; its answer, put
    in words by `said(target_id, result)`, or its refusal, as a message on the page it came from."""
    target_type, target_id = request.POST.get("target_type", ""), request.POST.get("target_id", "")
    try:
        result = service(target_type=target_type, target_id=target_id, actor=request.user)
    except (ServiceError, LookupError) as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, said(target_id, result))
    return _back(request)


@staff_member_required
@require_POST
def take_over(request):
    """Hold the object: no processor is asked about it until it is released."""
    return _hold_or_release(
        request,
        partial(services.take_over, note=request.POST.get("note", "")),
        lambda target_id, _: f"{target_id} is yours: automation leaves it alone until you give it back.",
    )


@staff_member_required
@require_POST
def release(request):
    """Give the object back to automation; its processors are asked about it as it is now."""
    return _hold_or_release(
        request,
        services.release,
        lambda target_id, queued: f"{target_id} is back in automation ({queued} processor(s) asked).",
    )
