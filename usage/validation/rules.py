"""The rules one usage row is checked by, each giving its reasons in plain words."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from usage.choices import RecurringAssetStatus, UsageSchema

from .lookups import ITEM_CRITERIA, AssetInfo, ReportLookups

FILE_ERROR = " in the file ("
# Excel keeps 15 significant digits of a number: more would be rounded in the workbook.
SIGNIFICANT_DIGITS = 15
# Connect refuses high-ASCII characters and HTML in a usage file (usage-file-format).
NOT_PLAIN = re.compile(r"[^\x20-\x7e]|<[a-zA-Z/!]")
SHOWN_ROWS = 10
COLUMNS = (
    "record_id",
    "record_note",
    "item_search_criteria",
    "item_search_value",
    "asset_search_criteria",
    "asset_search_value",
    "start_time_utc",
    "end_time_utc",
    "quantity",
    "amount",
    "tier",
    "category_id",
)
SCHEMA_WORDS = {
    UsageSchema.QT: "QT (quantity)",
    UsageSchema.TR: "TR (tiered)",
    UsageSchema.PR: "PR (pay-per-use amount)",
    UsageSchema.CR: "CR (category rated)",
}


def as_time(value) -> datetime | None:
    """A row's time: read as text from the database (`YYYY-MM-DD hh:mm:ss`, in UTC), or a datetime."""
    if value is None or isinstance(value, datetime):
        return value
    when = datetime.fromisoformat(value)
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def as_number(value) -> Decimal | None:
    """A row's quantity or amount: read as text from the database (`1.5`, `1.50000000`), or a Decimal."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(value)


def utc(value: datetime) -> str:
    """A time in the file's format, for messages."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


class RowChecker:
    """Checks the rows of one report against its lookups."""

    def __init__(self, report, lookups: ReportLookups, duplicates: dict[str, list[int]]):
        self.report = report
        self.lookups = lookups
        self.duplicates = duplicates
        self.schema = (report.schema or "").lower()
        self.period_start = datetime.combine(report.period_from, time(), tzinfo=UTC)
        self.period_end = datetime.combine(report.period_to + timedelta(days=1), time(), tzinfo=UTC)
        self.report_errors = self._report_errors()

    def _report_errors(self) -> list[str]:
        """What is wrong with the whole group: said on each row, since none of them can go up."""
        report = self.report
        if not report.contract_id or not report.product_id:
            return [
                "its contract and product are unknown: the file has no contract_id/product_id and its asset was not found"
            ]
        if self.lookups.listing is None:
            return [
                f"product {report.product_id} is not listed under contract {report.contract_id} (no listing)"
            ]
        if self.schema not in SCHEMA_WORDS:
            return [f"product {report.product_id} reports no usage (its listing has no usage schema)"]
        return []

    def check(self, row: tuple) -> list[str]:
        """The reasons `row` (a tuple of lookups.ROW_VALUES) cannot be sent; empty when it can."""
        values = dict(zip(COLUMNS, row[2:14], strict=True))
        record_id, note = values["record_id"], values["record_note"]
        item_by, item = values["item_search_criteria"], values["item_search_value"]
        asset_by, asset = values["asset_search_criteria"], values["asset_search_value"]
        start, end, old = as_time(values["start_time_utc"]), as_time(values["end_time_utc"]), row[-1]
        errors = [
            e for e in old or () if FILE_ERROR in e and values.get(e.split(FILE_ERROR, 1)[0]) in (None, "")
        ]
        unread = {e.split(FILE_ERROR, 1)[0] for e in errors}
        for column in (
            "record_id",
            "item_search_criteria",
            "item_search_value",
            "asset_search_criteria",
            "asset_search_value",
        ):
            if not values[column] and column not in unread:
                errors.append(f"{column} is missing")
        errors += self._record(record_id, note)
        errors += self.report_errors
        info = self._asset(asset_by, asset, errors) if asset_by and asset else None
        if item_by and item:
            errors += self._item(item_by, item, info)
        errors += self._cells(values, unread)
        errors += self._times(start, end, unread)
        return errors

    def _record(self, record_id: str, note: str) -> list[str]:
        errors = []
        rows = self.duplicates.get(record_id)
        if rows:
            shown = ", ".join(str(n) for n in rows[:SHOWN_ROWS]) + (", ..." if len(rows) > SHOWN_ROWS else "")
            errors.append(f"record_id {record_id} is used by {len(rows)} rows of this report (rows {shown})")
        for column, value in (("record_id", record_id), ("record_note", note)):
            if value and NOT_PLAIN.search(value):
                errors.append(f"{column} has characters Connect refuses (only plain ASCII text, no HTML)")
        return errors

    def _asset(self, criteria: str, value: str, errors: list[str]) -> AssetInfo | None:
        """The asset the row names (appending why when there is none), checked against the period."""
        report, lookups = self.report, self.lookups
        if criteria == "asset.id":
            info = lookups.assets.get(value)
            if info is None:
                other = lookups.elsewhere.get(value)
                errors.append(
                    f"asset {value} is of product {other}, not {report.product_id or 'this report'}"
                    if other is not None
                    else f"no recurring asset {value} is known"
                )
                return None
        elif criteria.startswith("parameter.") and len(criteria) > len("parameter."):
            param = criteria[len("parameter.") :]
            matches = lookups.by_param.get((param, value), [])
            if len(matches) != 1:
                errors.append(
                    f"no asset of product {report.product_id or '(unknown)'} has parameter {param} = {value!r}"
                    if not matches
                    else f"{len(matches)} assets have parameter {param} = {value!r} ({', '.join(sorted(matches)[:3])}): "
                    "the search must find one"
                )
                return None
            info = lookups.assets[matches[0]]
        else:
            errors.append(f"asset_search_criteria {criteria!r} is not asset.id or parameter.<parameter id>")
            return None
        errors += self._active(info)
        return info

    def _active(self, info: AssetInfo) -> list[str]:
        errors = []
        if info.contract_id and self.report.contract_id and info.contract_id != self.report.contract_id:
            errors.append(
                f"asset {info.id} is under contract {info.contract_id}, not {self.report.contract_id}"
            )
        if info.status == RecurringAssetStatus.DRAFT:
            errors.append(f"asset {info.id} is still a draft: it was never active")
        elif info.created and info.created >= self.period_end:
            errors.append(f"asset {info.id} was created on {info.created:%Y-%m-%d}, after the period ends")
        if (
            info.status == RecurringAssetStatus.TERMINATED
            and info.updated
            and info.updated <= self.period_start
        ):
            errors.append(
                f"asset {info.id} was terminated on {info.updated:%Y-%m-%d}, before the period starts"
            )
        return errors

    def _item(self, criteria: str, value: str, info: AssetInfo | None) -> list[str]:
        if criteria not in ITEM_CRITERIA:
            return [f"item_search_criteria {criteria!r} is not one of {', '.join(ITEM_CRITERIA)}"]
        key = (criteria, value)
        if (info is not None and key in info.items) or key in self.lookups.product_items:
            return []
        where = (
            f"asset {info.id} or product {self.report.product_id}"
            if info
            else f"product {self.report.product_id or '(unknown)'}"
        )
        return [f"no item with {criteria} {value!r} on {where}"]

    def _cells(self, values: dict, unread: set[str]) -> list[str]:
        """Cells required by the usage schema, the tier's range, numbers a cell holds exactly."""
        errors = []
        schema = self.schema
        needs = {
            "quantity": schema == UsageSchema.QT,
            "amount": schema in (UsageSchema.PR, UsageSchema.CR, UsageSchema.TR),
            "tier": schema == UsageSchema.TR,
            "category_id": schema == UsageSchema.CR,
        }
        for column, required in needs.items():
            if required and values[column] in (None, "") and column not in unread:
                errors.append(f"{column} is required for {SCHEMA_WORDS[schema]} usage")
        tier = values["tier"]
        if tier is not None and not 0 <= tier <= 2:
            errors.append(f"tier must be 0, 1 or 2, not {tier}")
        for column in ("quantity", "amount"):
            number = as_number(values[column])
            if number is not None and len(number.normalize().as_tuple().digits) > SIGNIFICANT_DIGITS:
                errors.append(
                    f"{column} {number.normalize()} has more than {SIGNIFICANT_DIGITS} significant digits: "
                    "a workbook cell cannot hold it exactly"
                )
        return errors

    def _times(self, start: datetime | None, end: datetime | None, unread: set[str]) -> list[str]:
        errors = []
        for column, value in (("start_time_utc", start), ("end_time_utc", end)):
            if value is None and column not in unread:
                errors.append(f"{column} is missing")
        if start is not None and start < self.period_start:
            errors.append(
                f"start_time_utc {utc(start)} is before the period starts ({self.report.period_from})"
            )
        if end is not None and end > self.period_end:
            errors.append(f"end_time_utc {utc(end)} is after the period ends ({self.report.period_to})")
        if start is not None and end is not None and end <= start:
            errors.append(f"end_time_utc {utc(end)} is not after start_time_utc {utc(start)}")
        return errors
