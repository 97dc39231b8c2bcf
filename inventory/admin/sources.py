"""The sources' admin (supervisors): the list with each source's status in words, and a
source's page: its parameters (secrets censored; a masked value posted back keeps the stored
one), its last passes and their progress, errors (the connector's traceback for those who may
run sources), the held pass with Confirm / Discard, Run now and Dry run."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone

from channelhub.admin.kit import pretty_json, status_badge
from channelhub.models import StreamState, SyncRun
from channelhub.services import ServiceError

from ..models import InventorySource, SourceStatus
from ..secrets import censored
from ..services import passes, sources

RECENT_RUNS = 10
STATUS_WORDS = {
    SourceStatus.NEW: "Never read yet.",
    SourceStatus.OK: "The last pass read the source completely.",
    SourceStatus.HELD: "The last pass was held: too many resources would have vanished. Confirm or discard it.",
    SourceStatus.FAILED: "The last pass failed: nothing was marked gone.",
    SourceStatus.INVALID_CREDENTIALS: "The source refused its credentials: fix them in the parameters.",
    SourceStatus.INSUFFICIENT_PERMISSION: "The credentials lack the permission to list resources.",
    SourceStatus.NO_BILLING_REPORT: "The source has no billing report for the period.",
}


def is_running(source: InventorySource, state: StreamState | None) -> bool:
    """Whether a pass holds the source's stream lock now."""
    return bool(state and state.locked_by and state.locked_until and state.locked_until > timezone.now())


class SourceForm(forms.ModelForm):
    """Parameters as JSON, shown censored."""

    parameters = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10, "cols": 80, "spellcheck": "false"}),
        required=False,
        help_text="JSON. Secret values show as ******** and are kept unless you type a new one.",
    )

    class Meta:
        model = InventorySource
        fields = ("name", "kind", "description", "parameters", "enabled", "poll_minutes", "time_limit",
                  "memory_mb", "hold_share")  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["parameters"] = json.dumps(censored(self.instance.parameters), indent=2)
        else:
            self.initial.setdefault("parameters", "{}")

    def clean_parameters(self):
        """A JSON object."""
        text = self.cleaned_data.get("parameters") or "{}"
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Not JSON: {exc}") from None
        if not isinstance(value, dict):
            raise forms.ValidationError("Parameters must be a JSON object.")
        return value


@admin.register(InventorySource)
class InventorySourceAdmin(admin.ModelAdmin):
    """Sources: changed through the services (audited, secrets kept), run from their page."""

    form = SourceForm
    change_form_template = "admin/inventory/inventorysource/change_form.html"
    list_display = ("name", "kind", "enabled", "status_pill", "last_run_at", "live_resources", "held")
    list_filter = ("kind", "enabled", "status")
    search_fields = ("name",)
    readonly_fields = ()

    def get_fields(self, request, obj=None):
        """A viewer without the change permission sees the parameters censored (Django would
        show the stored JSON of a read-only field as it is)."""
        fields = list(super().get_fields(request, obj))
        if obj is not None and not self.has_change_permission(request, obj):
            fields = ["parameters_shown" if f == "parameters" else f for f in fields]
        return fields

    def get_readonly_fields(self, request, obj=None):
        """`parameters_shown` is the censored view of the parameters."""
        if obj is not None and not self.has_change_permission(request, obj):
            return (*super().get_readonly_fields(request, obj), "parameters_shown")
        return super().get_readonly_fields(request, obj)

    @admin.display(description="Parameters")
    def parameters_shown(self, obj):
        """The parameters with every secret masked."""
        return pretty_json(censored(obj.parameters))

    def get_queryset(self, request):
        """With each source's live resource count."""
        return (
            super()
            .get_queryset(request)
            .annotate(live=Count("resources", filter=Q(resources__gone_at__isnull=True)))
        )

    @admin.display(description="Status", ordering="status")
    def status_pill(self, obj):
        """The status as a badge."""
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="Live resources", ordering="live")
    def live_resources(self, obj):
        """How many of its resources are live."""
        return obj.live

    @admin.display(description="Held")
    def held(self, obj):
        """ "N would vanish" while a pass is held."""
        return f"{obj.held_count} would vanish" if obj.is_held else ""

    def save_model(self, request, obj, form, change):
        """Through the services: permission, validation, audit (censored), secrets kept."""
        fields = {k: v for k, v in form.cleaned_data.items() if k not in ("name", "parameters")}
        try:
            if change:
                saved = sources.source_change(
                    actor=request.user, source=obj, parameters=form.cleaned_data["parameters"], **fields
                )
            else:
                saved = sources.source_add(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    parameters=form.cleaned_data["parameters"],
                    **fields,
                )
        except ServiceError as exc:
            raise _Refused(exc.message) from None
        obj.pk = saved.pk
        obj.refresh_from_db()

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A refusal of the service is a message on the same page, nothing lost."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _Refused as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(request.get_full_path())

    def delete_model(self, request, obj):
        """Through the service (audited)."""
        sources.source_remove(actor=request.user, source=obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        """The source's status, passes, errors and buttons above the form."""
        if obj is not None:
            context.update(self.source_context(request, obj))
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )

    def source_context(self, request, obj: InventorySource) -> dict:
        """What the source's page shows above its form."""
        state = StreamState.objects.filter(stream=obj.stream_name).first()
        runs = list(
            SyncRun.objects.filter(stream__in=[obj.stream_name, obj.metrics_stream_name])[:RECENT_RUNS]
        )
        may_run = request.user.has_perm(passes.PERM_RUN)
        return {
            "source": obj,
            "status_badge": status_badge(
                "running" if is_running(obj, state) else obj.status,
                "Syncing" if is_running(obj, state) else obj.get_status_display(),
            ),  # fmt: skip
            "status_words": STATUS_WORDS.get(obj.status, ""),
            "running": is_running(obj, state),
            "runs": runs,
            "may_run": may_run,
            "traceback": obj.last_traceback if may_run else "",
            "dry_run": obj.last_dry_run or None,
            "counts": obj.last_counts or {},
            "logs": obj.last_logs or [],
            "parameters_json": pretty_json(censored(obj.parameters)),
            "live": obj.resources.filter(gone_at__isnull=True).count(),
            "gone": obj.resources.filter(gone_at__isnull=False).count(),
            "resources_url": reverse("admin:inventory_resource_changelist") + f"?source__id__exact={obj.pk}",
        }

    def get_urls(self):
        """The buttons' POST endpoints."""
        wrap = self.admin_site.admin_view
        verbs = ("run", "dry_run", "confirm", "discard")
        mine = [
            path(
                f"<int:pk>/{verb}/",
                wrap(self.verb_view),
                {"verb": verb},
                name=f"inventory_inventorysource_{verb}",
            )
            for verb in verbs
        ]
        return mine + super().get_urls()

    def verb_view(self, request, pk: int, verb: str):
        """Run now, dry run, confirm or discard (POST only); the outcome as a message."""
        source = get_object_or_404(InventorySource, pk=pk)
        back = HttpResponseRedirect(reverse("admin:inventory_inventorysource_change", args=[pk]))
        if request.method != "POST":
            return back
        try:
            if verb == "run":
                messages.success(request, passes.pass_run_now(actor=request.user, source=source))
            elif verb == "dry_run":
                plan = passes.pass_dry_run(actor=request.user, source=source)
                (messages.error if plan.error else messages.success)(request, f"Dry run: {plan.summary()}")
            elif verb == "confirm":
                passes.pass_confirm(actor=request.user, source=source)
                messages.success(request, "The held pass was applied.")
            else:
                passes.pass_discard(actor=request.user, source=source)
                messages.success(request, "The held pass was discarded; nothing was marked gone.")
        except ServiceError as exc:
            messages.error(request, exc.message)
        return back


class _Refused(Exception):
    """A service refused a save."""
