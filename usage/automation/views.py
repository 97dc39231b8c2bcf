"""The read-only view processors get of a usage file (`UF-…`).

The legacy SDK's `UsageFile`, as far as a processor reads it: ids, status, schema, currency,
product, contract, marketplace, vendor, provider, period, the counters (`stats`, `records`),
the notes; and, read when asked, the file's total (`reads.total_of`) and whether its records
are in the mirror yet. Built from the mirrored row; nothing can be set on it (a processor
answers with a `Decision`).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from channelhub.automation.contract import ReadOnlyView, Ref, frozen

from . import reads


class Period(ReadOnlyView):
    """A file's period: `start` and `end` dates (both inclusive, None when unset)."""

    __slots__ = ("end", "start")

    def __init__(self, start, end):
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    def __str__(self):
        """'2024-12' for a calendar month, else '2024-12-01 to 2024-12-15'."""
        if self.start is None:
            return "no period"
        whole_month = self.end is not None and (self.end + timedelta(days=1)).day == 1
        same_month = self.end is not None and (self.end.year, self.end.month) == (
            self.start.year,
            self.start.month,
        )
        if self.start.day == 1 and whole_month and same_month:
            return self.start.strftime("%Y-%m")
        return f"{self.start.isoformat()} to {self.end.isoformat() if self.end else '?'}"


class RecordsSummary(ReadOnlyView):
    """Connect's record counters of the file: `valid`, `invalid`, `closed`."""

    __slots__ = ("closed", "invalid", "valid")

    def __init__(self, row):
        for name in self.__slots__:
            object.__setattr__(self, name, getattr(row, f"records_{name}"))


class UsageFileView(ReadOnlyView):
    """A usage file as a processor reads it."""

    __slots__ = (
        "_row",
        "_total",
        "acceptance_note",
        "contract",
        "created",
        "currency",
        "description",
        "environment",
        "error_details",
        "external_id",
        "id",
        "marketplace",
        "name",
        "note",
        "period",
        "product",
        "provider",
        "raw",
        "records",
        "rejection_note",
        "schema",
        "stats",
        "status",
        "sub_status",
        "vendor",
    )

    def __init__(self, row):
        for name, value in (
            ("_row", row),
            ("_total", None),
            ("id", row.pk),
            ("name", row.name),
            ("description", row.description),
            ("status", row.status),
            ("sub_status", row.sub_status),
            ("schema", row.schema),
            ("currency", row.currency),
            ("environment", row.environment),
            ("external_id", row.external_id),
            ("product", Ref(row.product_id, row.product_name)),
            ("contract", Ref(row.contract_id, row.contract_name)),
            ("marketplace", Ref(row.marketplace_id, row.marketplace_name)),
            ("vendor", Ref(row.vendor_id, row.vendor_name)),
            ("provider", Ref(row.provider_id, row.provider_name)),
            ("period", Period(row.period_from, row.period_to)),
            ("stats", frozen(row.stats or {})),
            ("records", RecordsSummary(row)),
            ("note", row.note),
            ("acceptance_note", row.acceptance_note),
            ("rejection_note", row.rejection_note),
            ("error_details", row.error_details),
            ("created", row.created),
            ("raw", frozen(row.payload or {})),
        ):
            object.__setattr__(self, name, value)

    @property
    def measure(self) -> str:
        """What the file's total adds up: "amount", or "quantity" for QT files (no amounts)."""
        return reads.measure_of(self.schema)

    @property
    def total(self) -> Decimal:
        """The sum of the file's counted records (read once, when first asked)."""
        if self._total is None:
            object.__setattr__(self, "_total", reads.total_of([self.id], self.measure))
        return self._total

    @property
    def records_read(self) -> bool:
        """Whether the mirror holds the file's records as the file is now."""
        return reads.records_read(self._row)

    def previous_period(self) -> tuple[UsageFileView, ...]:
        """The accepted or closed files of the same contract and product for the period just
        before this one (usually one; none when that period was not reported or not taken)."""
        return tuple(UsageFileView(row) for row in reads.previous_period_files(self._row))

    def __repr__(self):
        return f"<UsageFile {self.id} {self.status}>"
