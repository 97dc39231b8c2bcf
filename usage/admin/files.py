"""Usage files (the queues, the file page with its records, workbooks and actions), their
records, the provider's chunks, and listings."""

from __future__ import annotations

import io
from typing import ClassVar

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from channelhub.actions.specs import target_type_of
from channelhub.admin import BoundedCountPaginator
from channelhub.admin.kit import nothing_matches, synced_words
from channelhub.admin.mirror import MirrorAdmin
from channelhub.models import ActionStatus, UpstreamAction
from channelhub.upstream.errors import UpstreamError
from usage import selectors
from usage.choices import UsageChunkStatus, UsageFileStatus, UsageRecordStatus
from usage.display import admin_url, file_stats, period_words, usage_badge
from usage.models import Listing, UsageChunk, UsageFile, UsageRecord, UsageReport
from usage.services.records import BULK_MAX, billing_id_for

from .base import FileQueueFilter, UsageActionsMixin

RECORDS_PER_PAGE = 50
PROBLEM_WORDS = 160
BULK_CLOSE_KIND = "connect.usage_file.close_records"
PREVIEW_RECORDS = 10


def records_context(request, usage_file: UsageFile) -> dict:
    """One page of a file's records for its detail page: searched and filtered from the query
    string (`records_q`, `records_status`, `records_page`), counted with the kit's bounded
    paginator (a capped COUNT, never over all 100,000)."""
    q = request.GET.get("records_q", "").strip()[:200]
    status = request.GET.get("records_status", "")
    if status not in UsageRecordStatus.values:
        status = ""
    paginator = BoundedCountPaginator(
        selectors.file_records(usage_file=usage_file, search=q, status=status), RECORDS_PER_PAGE
    )
    page = paginator.get_page(request.GET.get("records_page"))
    capped = paginator.count > paginator.count_cap
    count = f"more than {paginator.count_cap:,}" if capped else f"{paginator.count:,}"
    kept = {k: v for k, v in (("records_q", q), ("records_status", status)) if v}
    return {
        "page": page,
        "q": q,
        "status": status,
        "statuses": UsageRecordStatus.choices,
        "capped": capped,
        "count_words": f"{count} record{'s' if paginator.count != 1 else ''}{' matching' if kept else ''}",
        "query": f"{urlencode(kept)}&" if kept else "",
    }


def close_records_context(usage_file: UsageFile) -> dict:
    """What the bulk close form closes: the file's approved records (counted up to one over
    the most a close takes), the first few ids, and a pattern's example for the first one."""
    approved = usage_file.usage_records.filter(status=UsageRecordStatus.APPROVED).order_by("pk")
    ids = list(approved.values_list("pk", flat=True)[: BULK_MAX + 1])
    first = ids[0] if ids else "UR-…"
    return {
        "count": min(len(ids), BULK_MAX),
        "over": len(ids) > BULK_MAX,
        "max": BULK_MAX,
        "preview": ids[:PREVIEW_RECORDS],
        "more": max(min(len(ids), BULK_MAX) - PREVIEW_RECORDS, 0),
        "examples": [(p, billing_id_for(p, first, 1)) for p in ("INV-2024-001", "INV-{n}", "{record}-INV")],
    }


def last_bulk_close(usage_file: UsageFile) -> dict | None:
    """The file's last finished bulk close with Connect's answer per record (its response's
    `results`): when, by whom, which records closed and which did not and why. None if none."""
    action = (
        UpstreamAction.objects.filter(
            target_type=target_type_of(UsageFile),
            target_id=usage_file.pk,
            kind=BULK_CLOSE_KIND,
            status=ActionStatus.SUCCEEDED,
        )
        .select_related("actor")
        .order_by("-finished_at", "-pk")
        .first()
    )
    response = action.response if action is not None and isinstance(action.response, dict) else None
    if response is None:
        return None
    results = [r for r in response.get("results") or [] if isinstance(r, dict) and r.get("id")]
    wanted = {
        item.get("id"): item.get("external_billing_id")
        for item in (action.payload or {}).get("records") or []
        if isinstance(item, dict)
    }
    closed = [{**r, "billing_id": wanted.get(r.get("id"), "")} for r in results if r.get("closed")]
    not_closed = [
        {
            **r,
            "billing_id": wanted.get(r.get("id"), ""),
            "reasons": [str(e) for e in r.get("error_details") or []] or ["Connect gave no reason"],
        }
        for r in results
        if not r.get("closed")
    ]
    return {
        "action": action,
        "closed": closed,
        "not_closed": not_closed,
        "asked": len(wanted) or len(results),
    }


class UsageFileQueueFilter(FileQueueFilter):
    """The usage file queues, which say why when they list nothing (`empty_words`)."""

    stream = "connect.usage-files"
    QUEUE_WORDS: ClassVar[dict[str, str]] = {
        "to_submit": "usage files to submit",
        "pending": "usage files waiting for acceptance",
        "invalid": "invalid usage files",
        "rejected": "rejected usage files",
    }

    def empty_words(self, changelist) -> str:
        """Why the list is empty, as one sentence (HTML): the search and filters to clear when
        some are on, else the queue's words and when the mirror was last synced."""
        value = self.value() if self.value() in selectors.FILE_QUEUES else None
        matches = nothing_matches(changelist, self)
        if matches:
            return matches
        words = self.QUEUE_WORDS[value] if value else "usage files in the mirror"
        return format_html("No {} right now; {}.", words, synced_words(self.stream))


@admin.register(UsageFile)
class UsageFileAdmin(UsageActionsMixin, MirrorAdmin):
    """The usage file queues and the file page: what to submit, what waits on the provider,
    what came back invalid or rejected and why; the file's records, workbooks and actions."""

    object_kwarg = "usage_file"
    list_display = (
        "id",
        "status_pill",
        "name",
        "product_name",
        "contract_id",
        "marketplace_name",
        "period",
        "schema",
        "currency",
        "records_valid",
        "records_invalid",
        "created",
        "problem",
    )
    list_filter = (
        UsageFileQueueFilter,
        "status",
        "schema",
        "environment",
        ("created", admin.DateFieldListFilter),
    )
    search_fields = ("id",)  # shows the search box; get_search_results does the matching
    exact_search: ClassVar[dict[str, str]] = {
        "external_id": "as is",
        "product_id": "upper",
        "contract_id": "upper",
        "marketplace_id": "upper",
        "vendor_id": "upper",
        "provider_id": "upper",
    }
    search_help_text = (
        "File id (or its start), external id, product, contract, marketplace, vendor or provider id"
    )
    changelist_defer = ("payload", "stats", "description", "note", "acceptance_note")
    paginator = BoundedCountPaginator
    ordering = ("-created",)
    fields = ("id",)

    @admin.display(description="Period", ordering="period_from")
    def period(self, obj):
        """The file's period, from → to."""
        return period_words(obj.period_from, obj.period_to)

    @admin.display(description="Errors / note")
    def problem(self, obj):
        """Connect's error details of an invalid file, the provider's note of a rejected one (shortened, escaped)."""
        if obj.status == UsageFileStatus.INVALID:
            text = obj.error_details
        elif obj.status == UsageFileStatus.REJECTED:
            text = obj.rejection_note
        else:
            return ""
        text = " ".join((text or "").split())
        return text if len(text) <= PROBLEM_WORDS else f"{text[: PROBLEM_WORDS - 1]}…"

    def status_pill(self, obj):
        """The file's status in the usage colours."""
        return usage_badge(UsageFileStatus, obj.status)

    status_pill.short_description = "Status"
    status_pill.admin_order_field = "status"

    def get_ordering(self, request):
        """The oldest first in the "waiting for acceptance" queue (the longest wait on top)."""
        if request.GET.get(FileQueueFilter.parameter_name) in FileQueueFilter.OLDEST_FIRST:
            return selectors.OLDEST_FIRST
        return super().get_ordering(request)

    def changelist_view(self, request, extra_context=None):
        """The admin's changelist; when it lists nothing, the queue filter's sentence says why
        (as a message: the usage changelist has no template of its own)."""
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None and not changelist.result_list:
            queue = next((s for s in changelist.filter_specs if isinstance(s, UsageFileQueueFilter)), None)
            if queue is not None:
                messages.info(request, queue.empty_words(changelist))
        return response

    def get_urls(self):
        """The workbook downloads beside the actions' and the admin's own views."""
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/workbook/<str:kind>/",
                self.admin_site.admin_view(self.workbook_view),
                name="{}_{}_workbook".format(*info),
            ),
            *super().get_urls(),
        ]

    def workbook_view(self, request, object_id, kind):
        """Stream the uploaded or processed workbook of a file, read from Connect now; back to the
        page with Connect's reason when it has none or refuses."""
        if kind not in selectors.WORKBOOK_KINDS:
            raise Http404(f"No workbook '{kind}'.")
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(f"No usage file {object_id} in the mirror.")
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        try:
            workbook = selectors.file_workbook(usage_file_id=obj.pk, kind=kind)
        except selectors.WorkbookUnavailable as error:
            messages.error(request, str(error))
        except UpstreamError as error:
            messages.error(request, f"Connect did not give the {kind} workbook of {obj.pk}: {error}")
        else:
            response = FileResponse(
                io.BytesIO(workbook.content),
                as_attachment=True,
                filename=workbook.filename,
                content_type=workbook.content_type,
            )
            response["X-Content-Type-Options"] = "nosniff"
            return response
        return HttpResponseRedirect(admin_url(UsageFile, obj.pk) + "#ch-workbooks")

    def detail_context(self, request, obj):
        """The file page: its period, stats, events, records (one page), categories, chunks,
        workbook links and our report it came from."""
        report = UsageReport.objects.filter(usage_file_id=obj.pk).only("id", "name", "external_id").first()
        return {
            "period": period_words(obj.period_from, obj.period_to),
            "stats": file_stats(obj.stats),
            "events": selectors.file_events(usage_file=obj),
            "records": records_context(request, obj),
            "categories": selectors.file_categories(usage_file=obj),
            "chunks": selectors.file_chunks(usage_file=obj),
            "workbook_urls": {
                kind: reverse("admin:usage_usagefile_workbook", args=[obj.pk, kind])
                for kind in selectors.WORKBOOK_KINDS
            },
            "report": report,
            "report_url": admin_url(UsageReport, report.pk) if report else "",
            "close_records": close_records_context(obj) if obj.status == UsageFileStatus.ACCEPTED else None,
            "bulk_close": last_bulk_close(obj),
        }


@admin.register(UsageRecord)
class UsageRecordAdmin(UsageActionsMixin, MirrorAdmin):
    """Usage records (100,000 a file): found by exact record, asset, item, file or billing id."""

    object_kwarg = "record"
    list_display = (
        "id",
        "status",
        "file_link",
        "asset_id",
        "item_mpn",
        "category_id",
        "usage",
        "amount",
        "start_date",
        "end_date",
        "external_billing_id",
    )
    list_filter = ("status", ("start_date", admin.DateFieldListFilter))
    search_fields = ("id",)
    exact_search: ClassVar[dict[str, str]] = {
        "usage_file_id": "upper",
        "asset_id": "upper",
        "asset_external_id": "as is",
        "item_id": "upper",
        "item_mpn": "as is",
        "external_billing_id": "as is",
    }
    search_help_text = "Record id (or its start), file id, asset id / external id, item id / MPN, billing id"
    changelist_defer = ("payload", "external_billing_note")
    paginator = BoundedCountPaginator
    ordering = ("-start_date",)
    fields = ("id",)

    @admin.display(description="Usage file", ordering="usage_file_id")
    def file_link(self, obj):
        """A link to the record's file (no join: the id is on the row)."""
        if not obj.usage_file_id:
            return "—"
        return format_html('<a href="{}">{}</a>', admin_url(UsageFile, obj.usage_file_id), obj.usage_file_id)

    def detail_context(self, request, obj):
        """The record's file (if mirrored) and its asset's link."""
        usage_file = (
            UsageFile.objects.filter(pk=obj.usage_file_id)
            .only("id", "name", "status", "period_from", "period_to", "schema", "currency", "product_name")
            .first()
            if obj.usage_file_id
            else None
        )
        return {
            "usage_file": usage_file,
            "file_period": period_words(usage_file.period_from, usage_file.period_to) if usage_file else "—",
            "params": [p for p in (obj.payload or {}).get("params") or [] if isinstance(p, dict)],
        }


@admin.register(UsageChunk)
class UsageChunkAdmin(UsageActionsMixin, MirrorAdmin):
    """The provider's per-hub chunks of usage files."""

    object_kwarg = "chunk"
    list_display = (
        "id",
        "status_pill",
        "file_link",
        "hub_name",
        "marketplace_id",
        "external_id",
        "created",
        "closed_at",
    )
    list_filter = ("status", "outdated", ("created", admin.DateFieldListFilter))
    search_fields = ("id",)
    exact_search: ClassVar[dict[str, str]] = {
        "usage_file_id": "upper",
        "hub_id": "upper",
        "marketplace_id": "upper",
        "provider_id": "upper",
        "external_id": "as is",
    }
    search_help_text = "Chunk id (or its start), file, hub, marketplace or provider id, external id"
    changelist_defer = ("payload", "stats", "error_detail")
    paginator = BoundedCountPaginator
    ordering = ("-created",)
    fields = ("id",)
    file_link = UsageRecordAdmin.file_link

    def status_pill(self, obj):
        """The chunk's status in the usage colours."""
        return usage_badge(UsageChunkStatus, obj.status)

    status_pill.short_description = "Status"
    status_pill.admin_order_field = "status"

    def detail_context(self, request, obj):
        """The chunk's stats and its file's link."""
        return {
            "stats": file_stats(obj.stats),
            "file_url": admin_url(UsageFile, obj.usage_file_id) if obj.usage_file_id else "",
        }


@admin.register(Listing)
class ListingAdmin(MirrorAdmin):
    """Listed products per marketplace and contract: where a vendor's usage files come from."""

    list_display = (
        "id",
        "status",
        "product_name",
        "product_id",
        "marketplace_name",
        "contract_id",
        "vendor_name",
        "provider_name",
        "usage_schema",
        "currency",
    )
    list_filter = ("status", "usage_schema")
    search_fields = ("id",)
    exact_search: ClassVar[dict[str, str]] = {
        "product_id": "upper",
        "contract_id": "upper",
        "marketplace_id": "upper",
        "vendor_id": "upper",
        "provider_id": "upper",
    }
    contains_search = ("product_name",)  # a small table
    search_help_text = "Listing id, product / contract / marketplace / vendor / provider id, product name"
    paginator = BoundedCountPaginator
    fields = ("id",)

    def detail_context(self, request, obj):
        """The listing's usage files: the latest of its (contract, product)."""
        files = (
            UsageFile.objects.filter(contract_id=obj.contract_id, product_id=obj.product_id)
            .only("id", "name", "status", "period_from", "period_to", "created")
            .order_by("-period_from", "-created")[:50]
            if obj.contract_id and obj.product_id
            else []
        )
        return {"usage_files": files}
