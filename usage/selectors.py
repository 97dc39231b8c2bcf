"""Reads of the usage mirror and of our own reports that are more than a one-line query: the
staff queues of usage files and reports, a file's records (paged, searched on indexed
columns), its categories, an asset's billing periods beside its usage, an import's bad rows,
and the one upstream read the back office makes itself: a file's workbook, fetched on demand.

Selectors are keyword-only (HackSoft's selectors: services write, selectors read); querysets
stay lazy where a changelist or a paginator narrows them further. Words and badges are in
`display`.
"""

from __future__ import annotations

import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from .choices import ReportStatus, UsageFileStatus
from .models import (
    BillingRequest,
    RecurringAsset,
    UsageChunk,
    UsageFile,
    UsageImport,
    UsageRecord,
    UsageReport,
    UsageReportRow,
)
from .upstream import UsageClient

# --- queues ----------------------------------------------------------------------------------

#: The usage file queues, by the name the admin's `?queue=` uses: (status, oldest first?).
FILE_QUEUES = {
    "to_submit": (UsageFileStatus.READY, False),
    "pending": (UsageFileStatus.PENDING, True),
    "invalid": (UsageFileStatus.INVALID, False),
    "rejected": (UsageFileStatus.REJECTED, False),
}
#: The report queues (our own rows before they go up).
REPORT_QUEUES = {
    "invalid": ReportStatus.INVALID,
    "valid": ReportStatus.VALID,
    "failed": ReportStatus.FAILED,
}
OLDEST_FIRST = ("created", "id")


def usage_file_queue(*, queue: str, queryset: QuerySet | None = None) -> QuerySet[UsageFile]:
    """One staff queue of usage files (`FILE_QUEUES`): ready to submit, waiting for the
    provider's acceptance (oldest first: the longest wait on top), invalid (with Connect's
    error details) or rejected (with the provider's note). Served by the (status, created) index.

    `queryset` narrows the caller's own (the admin's changelist) instead of every file.
    """
    if queue not in FILE_QUEUES:
        raise ValueError(f"no usage file queue {queue!r}; the queues are {', '.join(FILE_QUEUES)}")
    status, oldest_first = FILE_QUEUES[queue]
    base = UsageFile.objects.all() if queryset is None else queryset
    base = base.filter(status=status)
    return base.order_by(*OLDEST_FIRST) if oldest_first else base


def usage_report_queue(*, queue: str, queryset: QuerySet | None = None) -> QuerySet[UsageReport]:
    """One queue of our usage reports (`REPORT_QUEUES`): with invalid rows to fix, valid and not
    sent, or failed upstream; the oldest first."""
    if queue not in REPORT_QUEUES:
        raise ValueError(f"no usage report queue {queue!r}; the queues are {', '.join(REPORT_QUEUES)}")
    base = UsageReport.objects.all() if queryset is None else queryset
    return base.filter(status=REPORT_QUEUES[queue]).order_by("created_at", "id")


# --- a file's records ------------------------------------------------------------------------

RECORD_LIST_COLUMNS = (
    "id",
    "usage_file_id",
    "status",
    "asset_id",
    "asset_external_id",
    "item_id",
    "item_mpn",
    "item_name",
    "category_id",
    "tier",
    "usage",
    "amount",
    "start_date",
    "end_date",
    "external_billing_id",
)


def record_search(term: str) -> Q:
    """Records matching a staff search on indexed columns only: the record id (or its start),
    the asset (id or external id) or the item (id or MPN), exactly."""
    term = term.strip()
    upper = term.upper()
    return (
        Q(id__startswith=upper)
        | Q(asset_id=upper)
        | Q(asset_external_id=term)
        | Q(item_id=upper)
        | Q(item_mpn=term)
        | Q(external_billing_id=term)
    )


def file_records(*, usage_file: UsageFile, search: str = "", status: str = "") -> QuerySet[UsageRecord]:
    """A file's records in id order, the list's columns only, narrowed by an exact search on
    asset / item (`record_search`) and a record status. Lazy: the caller pages it with a
    bounded paginator (a file can hold 100,000 records)."""
    queryset = UsageRecord.objects.filter(usage_file_id=usage_file.pk)
    if status:
        queryset = queryset.filter(status=status)
    if search.strip():
        queryset = queryset.filter(record_search(search))
    return queryset.only(*RECORD_LIST_COLUMNS).order_by("id")


def file_categories(*, usage_file: UsageFile) -> list[dict]:
    """The file's categories as Connect lists them (`/usage/files/{id}/categories`, read by the
    records stream with the file's records; a payload that carries them is read too):
    [{id, name, description}]."""
    categories = usage_file.categories or (usage_file.payload or {}).get("categories") or []
    shown = []
    for category in categories:
        if isinstance(category, dict):
            shown.append(
                {
                    "id": str(category.get("id") or ""),
                    "name": str(category.get("name") or ""),
                    "description": str(category.get("description") or ""),
                }
            )
    return shown


def file_chunks(*, usage_file: UsageFile, limit: int = 100) -> list[UsageChunk]:
    """The provider's chunks of a file (one per hub), payload deferred."""
    return list(
        UsageChunk.objects.filter(usage_file_id=usage_file.pk)
        .defer("payload", "stats")
        .order_by("id")[:limit]
    )


def file_events(*, usage_file: UsageFile) -> list[dict]:
    """The file's life as Connect tells it (`events`: created, uploaded, submitted, accepted,
    rejected, closed, deleted), each {name, at, by}, in that order."""
    events = (usage_file.payload or {}).get("events") or {}
    shown = []
    for name in ("created", "uploaded", "submitted", "accepted", "rejected", "closed", "deleted"):
        event = events.get(name)
        if isinstance(event, dict) and event.get("at"):
            by = event.get("by")
            by_name = by.get("name") or by.get("id") or "" if isinstance(by, dict) else str(by or "")
            shown.append({"name": name, "at": str(event.get("at")), "by": str(by_name)})
    return shown


# --- a file's workbooks (an upstream read on demand) -----------------------------------------

WORKBOOK_KINDS = {"uploaded": "usage_file_uri", "processed": "processed_file_uri"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class WorkbookUnavailable(Exception):
    """Connect has no such workbook for the file (not uploaded or not processed yet)."""


@dataclass(frozen=True)
class Workbook:
    """A workbook's bytes and the name it is offered under."""

    filename: str
    content: bytes
    content_type: str = XLSX


def _workbook_filename(usage_file_id: str, kind: str, uri: str) -> str:
    name = urllib.parse.unquote(urllib.parse.urlsplit(uri).path.rsplit("/", 1)[-1])
    if name.lower().endswith((".xlsx", ".xls", ".csv")) and "/" not in name and "\\" not in name:
        return f"{usage_file_id}-{kind}-{name}"
    return f"{usage_file_id}-{kind}.xlsx"


def file_workbook(*, usage_file_id: str, kind: str, client: UsageClient | None = None) -> Workbook:
    """The uploaded or processed workbook of a file, read from Connect now: its detail
    (`UsageClient.get_file`) gives the signed, short-lived `usage_file_uri` /
    `processed_file_uri`, which only detail responses carry, so the link is never stored;
    then the bytes behind it (the Connect client's `download`, which sends our key to
    Connect's own host only). Raises `WorkbookUnavailable` when the file has no such link,
    and the client's `UpstreamError`s."""
    if kind not in WORKBOOK_KINDS:
        raise WorkbookUnavailable(f"no workbook {kind!r}; there are {', '.join(WORKBOOK_KINDS)}")
    client = client or UsageClient.from_settings()
    uri = (client.get_file(usage_file_id) or {}).get(WORKBOOK_KINDS[kind]) or ""
    if not isinstance(uri, str) or not uri.strip():
        raise WorkbookUnavailable(f"Connect has no {kind} workbook for {usage_file_id} (yet).")
    return Workbook(
        filename=_workbook_filename(usage_file_id, kind, uri), content=client.connect.download(uri)
    )


# --- a recurring asset's billing beside its usage --------------------------------------------


@dataclass
class FileUsage:
    """One usage file's records of an asset: how many, and their sums."""

    usage_file_id: str
    name: str
    status: str
    period_from: date | None
    period_to: date | None
    records: int
    usage: Decimal | None
    amount: Decimal | None


@dataclass
class BillingPeriod:
    """One period of an asset: the billing requests for it and the usage files reported in it."""

    period_from: date | None
    period_to: date | None
    requests: list[BillingRequest] = field(default_factory=list)
    files: list[FileUsage] = field(default_factory=list)


def _day(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value


def _asset_file_usage(asset_id: str, limit: int) -> list[FileUsage]:
    """Per usage file, the asset's records: one GROUP BY over the (asset_id, start_date) index."""
    rows = (
        UsageRecord.objects.filter(asset_id=asset_id)
        .values("usage_file_id")
        .annotate(records=Count("id"), usage=Sum("usage"), amount=Sum("amount"))
        .order_by("usage_file_id")[:limit]
    )
    rows = list(rows)
    files = UsageFile.objects.filter(pk__in=[r["usage_file_id"] for r in rows]).only(
        "id", "name", "status", "period_from", "period_to"
    )
    by_id = {f.pk: f for f in files}
    found = []
    for row in rows:
        usage_file = by_id.get(row["usage_file_id"])
        found.append(
            FileUsage(
                usage_file_id=row["usage_file_id"] or "",
                name=usage_file.name if usage_file else "",
                status=usage_file.status if usage_file else "",
                period_from=usage_file.period_from if usage_file else None,
                period_to=usage_file.period_to if usage_file else None,
                records=row["records"],
                usage=row["usage"],
                amount=row["amount"],
            )
        )
    return found


def _period_of(periods: list[BillingPeriod], day: date | None) -> BillingPeriod | None:
    if day is None:
        return None
    for period in periods:
        start, end = period.period_from, period.period_to
        if start is not None and start <= day and (end is None or day < end):
            return period
    return None


def asset_billing(*, asset: RecurringAsset, limit: int = 100) -> list[BillingPeriod]:
    """An asset's billing periods side by side, newest first: each period of its billing
    requests (vendor's and provider's), with the usage files whose period starts in it and
    how many of the asset's records each holds. Usage outside every requested period gets a
    period of its own (the file's), so nothing reported goes unseen. Three queries."""
    requests = list(
        BillingRequest.objects.filter(asset_id=asset.pk)
        .defer("payload", "items", "attributes")
        .order_by("-period_from", "type", "id")[:limit]
    )
    periods: dict[tuple, BillingPeriod] = {}
    for request in requests:
        key = (_day(request.period_from), _day(request.period_to))
        periods.setdefault(key, BillingPeriod(*key)).requests.append(request)
    ordered = list(periods.values())
    for usage in _asset_file_usage(asset.pk, limit):
        period = _period_of(ordered, usage.period_from)
        if period is None:
            key = (usage.period_from, usage.period_to)
            if key not in periods:
                periods[key] = BillingPeriod(*key)
                ordered.append(periods[key])
            period = periods[key]
        period.files.append(usage)
    return sorted(ordered, key=lambda p: (p.period_from is not None, p.period_from or date.min), reverse=True)


def asset_records(*, asset_id: str, limit: int = 50) -> list[UsageRecord]:
    """An asset's latest usage records (the (asset_id, start_date) index), list columns only."""
    return list(
        UsageRecord.objects.filter(asset_id=asset_id)
        .only(*RECORD_LIST_COLUMNS)
        .order_by("-start_date")[:limit]
    )


def request_asset(*, billing_request: BillingRequest) -> RecurringAsset | None:
    """The mirrored recurring asset of a billing request, if it is mirrored (payload deferred)."""
    if not billing_request.asset_id:
        return None
    return (
        RecurringAsset.objects.filter(pk=billing_request.asset_id)
        .only("id", "status", "product_id", "product_name", "customer_name", "contract_id")
        .first()
    )


# --- our imports and reports -----------------------------------------------------------------


@dataclass
class ReportRows:
    """One report of an import, with its bad rows (at most `limit` of them)."""

    report: UsageReport
    bad_rows: list[UsageReportRow]
    more_bad_rows: bool


def import_reports(*, usage_import: UsageImport, limit: int = 200) -> list[ReportRows]:
    """An import's reports, each with its invalid rows and their reasons (the first `limit`):
    what staff fix before anything is sent. One query for the reports, one per report with
    bad rows."""
    found = []
    for report in usage_import.reports.order_by("contract_id", "product_id", "period_from", "id"):
        bad = []
        if report.invalid_rows:
            bad = list(report.report_rows.exclude(errors=[]).order_by("row_number")[: limit + 1])
        found.append(ReportRows(report=report, bad_rows=bad[:limit], more_bad_rows=len(bad) > limit))
    return found


def report_bad_rows(*, report: UsageReport, limit: int = 500) -> list[UsageReportRow]:
    """A report's invalid rows in file order (the first `limit`)."""
    return list(report.report_rows.exclude(errors=[]).order_by("row_number")[:limit])


def report_rows_by_error(*, report: UsageReport) -> dict[str, int]:
    """How many rows of a report carry each error message: the summary above the bad rows."""
    counts: dict[str, int] = defaultdict(int)
    for errors in report.report_rows.exclude(errors=[]).values_list("errors", flat=True)[:10_000]:
        for error in errors or []:
            counts[str(error)] += 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
