"""Our own side of reporting usage: rows imported by staff (a workbook or CSV in the admin,
`manage.py usage_import`), grouped per (contract, product, period) into reports, each checked
against the mirror before one usage file is created and uploaded for it.

These are not mirrors: they are what we are about to send, kept so a bad row can be shown,
fixed and checked again, and so a create whose answer was lost finds its file by
`external_id` instead of making a second one.
"""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models.functions import Cast, Substr

from channelhub.models.fields import ref, string
from usage.choices import ReportStatus, UsageSchema


class UsageImport(models.Model):
    """One upload of usage rows (a file staff gave us), split into reports."""

    filename = string()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rows = models.PositiveIntegerField(default=0)
    invalid_rows = models.PositiveIntegerField(default=0)
    problems = models.JSONField(
        default=list, blank=True, help_text="File-level problems (missing columns, ...)"
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]
        verbose_name = "usage import"

    def __str__(self):
        return f"{self.filename or 'import'} #{self.pk}"


class UsageReport(models.Model):
    """The rows of one (contract, product, period): becomes one usage file upstream."""

    usage_import = models.ForeignKey(UsageImport, on_delete=models.CASCADE, related_name="reports")
    contract_id = ref(db_index=True)
    product_id = ref(db_index=True)
    period_from = models.DateField()
    period_to = models.DateField()
    schema = string(2, choices=UsageSchema.choices)
    currency = string(20)
    name = string()
    # Deterministic for the group, unique upstream per vendor: a create whose answer was lost
    # is found by it before creating again.
    external_id = string(200, unique=True)
    status = string(16, choices=ReportStatus.choices, db_index=True)
    rows = models.PositiveIntegerField(default=0)
    invalid_rows = models.PositiveIntegerField(default=0)
    usage_file_id = ref(db_index=True, help_text="The usage file created for it upstream")
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]
        verbose_name = "usage report"
        constraints: ClassVar[list] = [
            models.UniqueConstraint(
                fields=["usage_import", "contract_id", "product_id", "period_from", "period_to"],
                name="usage_report_group",
            )
        ]

    def __str__(self):
        return self.name or self.external_id


# A row's cells as staff give them (the record's fields of the official template, in our
# field names), in model order: the row form, validation and the workbook read these.
ROW_CELLS = (
    "record_id",
    "record_note",
    "item_search_criteria",
    "item_search_value",
    "asset_search_criteria",
    "asset_search_value",
    "start_time",
    "end_time",
    "quantity",
    "amount",
    "tier",
    "category_id",
)


# Cells read as text for speed (the workbook, validation): a time cut to seconds, as the
# workbook writes it, and a number as the database keeps it.
TEXT_CELLS = ("start_time", "end_time", "quantity", "amount")


def cells_as_text() -> dict:
    """Annotations `<cell>_text` of TEXT_CELLS: times as `YYYY-MM-DD hh:mm:ss` (stored in UTC on
    SQLite; PostgreSQL's session runs in UTC under USE_TZ), numbers as written (`1.5`,
    `1.50000000`). Reading them so builds no datetime or Decimal only to format it again."""
    out = {}
    for cell in TEXT_CELLS:
        text = Cast(cell, output_field=models.TextField())
        out[f"{cell}_text"] = Substr(text, 1, 19) if cell.endswith("_time") else text
    return out


def read_as_text(cells) -> tuple[str, ...]:
    """`cells` with each of TEXT_CELLS replaced by its `cells_as_text` annotation."""
    return tuple(f"{c}_text" if c in TEXT_CELLS else c for c in cells)


class UsageReportRow(models.Model):
    """One imported record, with what is wrong with it (empty `errors`: it is valid)."""

    report = models.ForeignKey(UsageReport, on_delete=models.CASCADE, related_name="report_rows")
    row_number = models.PositiveIntegerField(help_text="Its row in the imported file")
    record_id = string(200)
    record_note = string()
    item_search_criteria = string(32)
    item_search_value = string()
    asset_search_criteria = string(64)
    asset_search_value = string()
    start_time = models.DateTimeField(null=True, blank=True)
    end_time = models.DateTimeField(null=True, blank=True)
    quantity = models.DecimalField(max_digits=24, decimal_places=8, null=True, blank=True)
    amount = models.DecimalField(max_digits=24, decimal_places=8, null=True, blank=True)
    tier = models.PositiveSmallIntegerField(null=True, blank=True)
    category_id = string(64)
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["report", "row_number"]
        verbose_name = "usage report row"
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["report", "row_number"], name="urr_report_row"),
        ]

    def __str__(self):
        return f"row {self.row_number}"
