"""One staff row into UsageReportRow fields, by the header's column names (in any order)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from usage.workbook import RECORD_COLUMNS

from . import cells

# Required by the template's data_definitions (usage-automation-inventory.md A3).
REQUIRED_COLUMNS = (
    "record_id",
    "item_search_criteria",
    "item_search_value",
    "asset_search_criteria",
    "asset_search_value",
    "start_time_utc",
    "end_time_utc",
)
GROUP_COLUMNS = ("contract_id", "product_id", "period_from", "period_to")
# The SDKs' extra columns (connect-api.md §7): for dynamic items and reconciliation, not ours.
SDK_COLUMNS = ("item_name", "item_mpn", "item_precision", "item_unit", "asset_recon_id")
# Text columns: (column, UsageReportRow field, its max_length).
TEXTS = (
    ("record_id", "record_id", 200),
    ("record_note", "record_note", 255),
    ("item_search_criteria", "item_search_criteria", 32),
    ("item_search_value", "item_search_value", 255),
    ("asset_search_criteria", "asset_search_criteria", 64),
    ("asset_search_value", "asset_search_value", 255),
    ("category_id", "category_id", 64),
)


@dataclass
class ParsedRow:
    """A row's UsageReportRow fields (with `errors` for what could not be read) and its group
    as far as the file says it."""

    fields: dict
    contract_id: str = ""
    product_id: str = ""
    period: tuple[date, date] | None = None
    errors: list[str] = field(default_factory=list)
    # About its grouping, not its cells (editing the row cannot fix them): import problems.
    notes: list[str] = field(default_factory=list)


class RowReader:
    """Reads rows under one header: the column index is worked out once."""

    def __init__(self, header: list[str]):
        self.index: dict[str, int] = {}
        self.notes: list[str] = []
        known = set(RECORD_COLUMNS) | set(GROUP_COLUMNS) | set(SDK_COLUMNS)
        ignored = []
        for position, name in enumerate(header):
            if not name:
                continue
            if name in self.index:
                self.notes.append(f"the column {name} appears more than once; the first one is read")
            elif name in known:
                self.index[name] = position
            else:
                ignored.append(name)
        if ignored:
            self.notes.append(f"ignored columns that are not usage columns: {', '.join(ignored)}")
        self._texts = [(self.index[c], c, f, n) for c, f, n in TEXTS if c in self.index]

    def cell(self, values: tuple, column: str):
        """The raw value of `column` in a row (None when the file has no such column)."""
        position = self.index.get(column)
        if position is None or position >= len(values):
            return None
        return values[position]

    def parse(self, number: int, values: tuple) -> ParsedRow:
        """The row numbered `number` in the file, read."""
        errors: list[str] = []
        fields: dict = {"row_number": number, "errors": errors}
        size = len(values)
        for position, column, name, limit in self._texts:
            fields[name], problem = cells.text(values[position] if position < size else None, column, limit)
            if problem:
                errors.append(problem)
        for column, name in (("start_time_utc", "start_time"), ("end_time_utc", "end_time")):
            fields[name], problem = cells.utc_time(self.cell(values, column), column)
            if problem:
                errors.append(problem)
        for column in ("quantity", "amount"):
            fields[column], problem = cells.decimal(self.cell(values, column), column)
            if problem:
                errors.append(problem)
        fields["tier"], problem = cells.tier(self.cell(values, "tier"))
        if problem:
            errors.append(problem)
        parsed = ParsedRow(fields=fields, errors=errors)
        self._group(number, parsed, values)
        return parsed

    def _group(self, number: int, parsed: ParsedRow, values: tuple) -> None:
        """The row's contract, product and period from the optional columns, when given."""
        parsed.contract_id, _ = cells.text(self.cell(values, "contract_id"), "contract_id", 64)
        parsed.product_id, _ = cells.text(self.cell(values, "product_id"), "product_id", 64)
        start, problem_from = cells.calendar_date(self.cell(values, "period_from"), "period_from")
        end, problem_to = cells.calendar_date(self.cell(values, "period_to"), "period_to")
        for problem in (problem_from, problem_to):
            if problem:
                parsed.notes.append(f"row {number}: {problem}; it was grouped by the month of its start time")
        if start and end:
            if end < start:
                parsed.notes.append(
                    f"row {number}: period_to ({end}) is before period_from ({start}); "
                    "it was grouped by the month of its start time"
                )
            else:
                parsed.period = (start, end)
