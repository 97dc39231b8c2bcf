"""Our own side of reporting usage: imports (a workbook or CSV uploaded on the "add" page),
the reports they were split into with their bad rows, a row's fix, validating a report again
and sending a valid one.

Who may: importing, fixing rows, validating and sending take `usage.act_usagefile` (the
permission of reporting usage files, the support role's); everyone with the view
permission sees the pages.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html

from channelhub.admin import BoundedCountPaginator, ReadOnlyAdminMixin
from channelhub.admin.kit import ShownOrderMixin
from channelhub.services import ServiceError
from usage import selectors
from usage.choices import ReportStatus
from usage.display import admin_url, period_words, usage_badge
from usage.models import UsageFile, UsageImport, UsageReport, UsageReportRow
from usage.models.reports import ROW_CELLS

from .base import ReportQueueFilter

REPORT_PERM = "usage.act_usagefile"
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
# A report whose rows may still change: not while it is going up, nor once it is up.
EDITABLE_REPORT_STATES = (ReportStatus.INVALID, ReportStatus.VALID, ReportStatus.FAILED)


def may_report(user) -> bool:
    """Whether the user may import usage, fix rows, validate and send reports."""
    return user.has_perm(REPORT_PERM)


class UsageUploadForm(forms.Form):
    """A workbook (`records` / `usage_records` sheet) or a CSV of usage rows."""

    file = forms.FileField(
        label="Usage workbook or CSV",
        help_text="An .xlsx in the official template's format (a records or usage_records sheet), or a CSV with the same columns.",
    )

    def clean_file(self):
        """An .xlsx or .csv, not empty, at most 50 MB."""
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError("Upload an .xlsx workbook or a .csv file.")
        if upload.size == 0:
            raise forms.ValidationError("The file is empty.")
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is over 50 MB: split it by contract and product.")
        return upload


@admin.register(UsageImport)
class UsageImportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Usage imports: upload one on the "add" page; its page lists its reports and their bad rows."""

    list_display = ("id", "filename", "created_at", "created_by", "rows", "invalid_rows")
    list_filter = (("created_at", admin.DateFieldListFilter),)
    search_fields = ("filename",)
    paginator = BoundedCountPaginator
    show_full_result_count = False
    list_select_related = ("created_by",)
    fields = ("id",)

    def has_add_permission(self, request, obj=None):
        """Those who report usage may import it."""
        return may_report(request.user)

    def add_view(self, request, form_url="", extra_context=None):
        """The upload form; a good upload is imported (`usage.importing.import_usage`) and
        its page shown, a refused one shows why."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = UsageUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            # h-workbook's importer; it reads openpyxl, which no other page needs.
            from usage.importing import import_usage  # noqa: PLC0415 - loaded only when a file is imported

            try:
                usage_import = import_usage(filename=upload.name, content=upload.read(), user=request.user)
            except ServiceError as error:
                form.add_error("file", error.message)
            else:
                self._message_import(request, usage_import)
                return HttpResponseRedirect(admin_url(UsageImport, usage_import.pk))
        context = {
            **self.admin_site.each_context(request),
            "title": "Import usage",
            "opts": self.opts,
            "form": form,
            "has_view_permission": self.has_view_permission(request),
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/usage/usageimport/add_form.html", context)

    def _message_import(self, request, usage_import) -> None:
        bad = usage_import.invalid_rows
        if usage_import.problems:
            messages.error(
                request, f"{usage_import.filename}: the file could not be read as usage rows; see below."
            )
        elif bad:
            messages.warning(
                request,
                f"{usage_import.filename}: {usage_import.rows} rows imported, {bad} invalid: fix them below.",
            )
        else:
            messages.success(
                request, f"{usage_import.filename}: {usage_import.rows} rows imported, all valid."
            )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The import's page: its reports, each with its bad rows and their reasons."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(f"No usage import {object_id}.")
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        reports = selectors.import_reports(usage_import=obj)
        context = {
            **self.admin_site.each_context(request),
            "title": str(obj),
            "opts": self.opts,
            "obj": obj,
            "original": obj,
            "reports": [
                {
                    "entry": entry,
                    "url": admin_url(UsageReport, entry.report.pk),
                    "badge": usage_badge(ReportStatus, entry.report.status),
                    "period": period_words(entry.report.period_from, entry.report.period_to),
                }
                for entry in reports
            ],
            "may_report": may_report(request.user),
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/usage/usageimport/change_form.html", context)


@admin.register(UsageReport)
class UsageReportAdmin(ShownOrderMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Our usage reports (one per contract, product and period): the queue of those with bad
    rows; a report's page with its bad rows, "validate again" and "send"."""

    list_display = (
        "id",
        "status_pill",
        "name",
        "contract_id",
        "product_id",
        "period",
        "rows",
        "invalid_rows",
        "usage_file_id",
        "created_at",
    )
    list_filter = (ReportQueueFilter, "status", ("created_at", admin.DateFieldListFilter))
    search_fields = ("external_id", "usage_file_id", "contract_id", "product_id")
    paginator = BoundedCountPaginator
    show_full_result_count = False
    ordering = ("-created_at",)
    fields = ("id",)

    def get_search_results(self, request, queryset, search_term):
        """Exact matches on the indexed ids (external id, file, contract, product)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(
            Q(external_id=term)
            | Q(usage_file_id=term.upper())
            | Q(contract_id=term.upper())
            | Q(product_id=term.upper())
        ), False

    @admin.display(description="Status", ordering="status")
    def status_pill(self, obj):
        """The report's status as a badge."""
        return usage_badge(ReportStatus, obj.status)

    @admin.display(description="Period", ordering="period_from")
    def period(self, obj):
        """The reported period."""
        return period_words(obj.period_from, obj.period_to)

    def get_ordering(self, request):
        """The oldest first in a queue (the longest wait on top; `ShownOrderMixin` marks it)."""
        if request.GET.get(ReportQueueFilter.parameter_name) in selectors.REPORT_QUEUES:
            return ("created_at", "id")
        return super().get_ordering(request)

    def get_urls(self):
        """ "Validate again" and "send" beside the admin's own views."""
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/validate/",
                self.admin_site.admin_view(self.validate_view),
                name="{}_{}_validate".format(*info),
            ),
            path(
                "<path:object_id>/send/",
                self.admin_site.admin_view(self.send_view),
                name="{}_{}_send".format(*info),
            ),
            *super().get_urls(),
        ]

    def _report_for_act(self, request, object_id) -> UsageReport:
        if request.method != "POST":
            raise _NotPost
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(f"No usage report {object_id}.")
        if not may_report(request.user):
            raise PermissionDenied
        return obj

    def validate_view(self, request, object_id):
        """Check the report's rows against the mirror again (`usage.validation.validate_report`)."""
        try:
            report = self._report_for_act(request, object_id)
        except _NotPost:
            return HttpResponseNotAllowed(["POST"])
        if report.status not in EDITABLE_REPORT_STATES:
            messages.error(
                request,
                f"{report} is {report.get_status_display().lower()}: its rows are no longer checked here.",
            )
            return HttpResponseRedirect(admin_url(UsageReport, report.pk))
        from usage.validation import validate_report  # noqa: PLC0415 - h-workbook's checks, loaded when used

        try:
            validate_report(report)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            report.refresh_from_db()
            if report.invalid_rows:
                messages.warning(
                    request, f"{report}: {report.invalid_rows} of {report.rows} rows are still invalid."
                )
            else:
                messages.success(request, f"{report}: all {report.rows} rows are valid; it can be sent.")
        return HttpResponseRedirect(admin_url(UsageReport, report.pk))

    def send_view(self, request, object_id):
        """Send a valid report (`usage.services.reports.send_report`): create, upload, submit
        through the outbox."""
        try:
            report = self._report_for_act(request, object_id)
        except _NotPost:
            return HttpResponseNotAllowed(["POST"])
        from usage.services.reports import send_report  # noqa: PLC0415 - h-actions' service, loaded when used

        try:
            send_report(report, user=request.user)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, f"{report} is being sent to Connect; its usage file shows here once created."
            )
        return HttpResponseRedirect(admin_url(UsageReport, report.pk))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The report's page: its numbers, its usage file, the error summary and its bad rows."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(f"No usage report {object_id}.")
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        may = may_report(request.user)
        context = {
            **self.admin_site.each_context(request),
            "title": str(obj),
            "opts": self.opts,
            "obj": obj,
            "original": obj,
            "status_badge": usage_badge(ReportStatus, obj.status),
            "period": period_words(obj.period_from, obj.period_to),
            "import_url": admin_url(UsageImport, obj.usage_import_id),
            "usage_file_url": admin_url(UsageFile, obj.usage_file_id) if obj.usage_file_id else "",
            "error_summary": selectors.report_rows_by_error(report=obj) if obj.invalid_rows else {},
            "bad_rows": selectors.report_bad_rows(report=obj) if obj.invalid_rows else [],
            "can_validate": may and obj.status in EDITABLE_REPORT_STATES,
            "can_send": may and obj.status == ReportStatus.VALID,
            "can_edit_rows": may and obj.status in EDITABLE_REPORT_STATES,
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/usage/usagereport/change_form.html", context)


class _NotPost(Exception):
    """An act view reached by a GET."""


class UsageReportRowForm(forms.ModelForm):
    """A row's cells, as staff fix them (its reasons are shown, not edited)."""

    class Meta:
        model = UsageReportRow
        fields = ROW_CELLS


@admin.register(UsageReportRow)
class UsageReportRowAdmin(admin.ModelAdmin):
    """One imported row: fixed here, then its report is validated again."""

    form = UsageReportRowForm
    list_display = (
        "id",
        "report",
        "row_number",
        "record_id",
        "asset_search_value",
        "item_search_value",
        "problems",
    )
    list_select_related = ("report",)
    search_fields = ("record_id",)
    paginator = BoundedCountPaginator
    show_full_result_count = False
    readonly_fields = ("report_link", "row_number", "problems")
    fieldsets = (
        (None, {"fields": ("report_link", "row_number", "problems")}),
        (
            "Record",
            {
                "fields": (
                    "record_id",
                    "record_note",
                    "start_time",
                    "end_time",
                    "quantity",
                    "amount",
                    "tier",
                    "category_id",
                )
            },
        ),
        (
            "Item and asset",
            {
                "fields": (
                    "item_search_criteria",
                    "item_search_value",
                    "asset_search_criteria",
                    "asset_search_value",
                )
            },
        ),
    )

    def get_search_results(self, request, queryset, search_term):
        """Exact record id (rows are found from their report's page, not by scanning)."""
        term = search_term.strip()
        return (queryset.filter(record_id=term), False) if term else (queryset, False)

    @admin.display(description="Report")
    def report_link(self, obj):
        """The row's report, linked."""
        return format_html('<a href="{}">{}</a>', admin_url(UsageReport, obj.report_id), obj.report)

    @admin.display(description="What is wrong")
    def problems(self, obj):
        """The row's errors, one per line (escaped); a dash for a valid row."""
        return "; ".join(str(error) for error in obj.errors or []) or "—"

    def has_add_permission(self, request, obj=None):
        """Rows come from an import only."""
        return False

    def has_delete_permission(self, request, obj=None):
        """A row leaves with its import; dropping one here would hide usage from the report."""
        return False

    def has_change_permission(self, request, obj=None):
        """Those who report usage, while the row's report has not gone up."""
        if not may_report(request.user):
            return False
        return obj is None or obj.report.status in EDITABLE_REPORT_STATES

    def response_change(self, request, obj):
        """Back to the report, saying to validate it again."""
        messages.success(request, f"Row {obj.row_number} saved: validate the report again to check it.")
        return HttpResponseRedirect(admin_url(UsageReport, obj.report_id) + "#ch-bad-rows")
