"""Reading an uploaded usage workbook the way Connect's validator does (openpyxl, read-only).

Sheets are found by name, never by position: `records` (the official template) or
`usage_records` (what every SDK writes), and `categories`. Columns are found by their header
names (row 1), so the template's order (A3) and the SDK's order both work, and extra columns
(`item_name`, `v.<param>`, ...) are ignored.

Each row is checked against the file's product, contract and period (`check`): required cells by
the product's schema (QT quantity; PR, CR, TR amount; TR tier 0-2; CR a category of the
categories sheet), the item by `item.mpn` / `item.global_id` / `item.local_id`, the asset by
`asset.id` or `parameter.<param_id>` among the product's assets of the contract, UTC times
`YYYY-MM-DD hh:mm:ss` (or real datetime cells) with the end after the start inside the period,
the asset active in the period, unique record ids. The whole file is one unit: one bad row makes
it invalid.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from openpyxl import load_workbook

from . import world as w

RECORD_SHEETS = ("records", "usage_records")
BASE_COLUMNS = (
    "record_id",
    "item_search_criteria",
    "item_search_value",
    "start_time_utc",
    "end_time_utc",
    "asset_search_criteria",
    "asset_search_value",
)
NEEDED_BY_SCHEMA = {
    "QT": ("quantity",),
    "PR": ("amount",),
    "CR": ("amount", "category_id"),
    "TR": ("amount", "tier"),
}
ITEM_CRITERIA = {
    "item.mpn": "mpn",
    "item.global_id": "global_id",
    "item.local_id": "local_id",
    "item.id": "id",
}
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
SUMMARY_LENGTH = 200


class WorkbookError(Exception):
    """The upload is not a usable workbook (not xlsx, no records sheet, missing columns)."""


@dataclass
class Sheet:
    """The records sheet as read: its header names and its non-empty rows (row number, cells by header)."""

    name: str
    headers: list[str]
    rows: list[tuple[int, dict]]
    categories: dict[str, dict] = field(default_factory=dict)


@dataclass
class Outcome:
    """What processing found: the records to create (as field dicts) or the rows' errors."""

    rows: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # {row, column, message}
    summary: str = ""

    @property
    def valid(self) -> bool:
        """True when no row (and not the file itself) has an error."""
        return not self.errors and not self.summary


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(TIME_FORMAT)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read(data: bytes) -> Sheet:
    """The records sheet and categories of an uploaded workbook; WorkbookError if it has none."""
    if not data or not zipfile.is_zipfile(io.BytesIO(data)):
        raise WorkbookError("The uploaded file is not an xlsx workbook.")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable archive is an invalid upload, as upstream
        raise WorkbookError(
            f"The uploaded file is not a readable xlsx workbook ({type(exc).__name__})."
        ) from exc
    try:
        names = {name.strip().lower(): name for name in book.sheetnames}
        title = next((names[n] for n in RECORD_SHEETS if n in names), None)
        if title is None:
            raise WorkbookError("The workbook has no 'records' (or 'usage_records') sheet.")
        sheet = _read_sheet(book[title], title)
        if "categories" in names:
            sheet.categories = _categories(book[names["categories"]])
        return sheet
    finally:
        book.close()


def _read_sheet(ws, title: str) -> Sheet:
    rows = ws.iter_rows(values_only=True)
    header_row = next(rows, None) or ()
    headers = [_text(h).lower() for h in header_row]
    out = []
    for number, values in enumerate(rows, start=2):
        cells = {h: values[i] for i, h in enumerate(headers) if h and i < len(values)}
        if any(_text(v) for v in cells.values()):
            out.append((number, cells))
    return Sheet(name=title, headers=headers, rows=out)


def _categories(ws) -> dict[str, dict]:
    rows = ws.iter_rows(values_only=True)
    headers = [_text(h).lower() for h in next(rows, None) or ()]
    out = {}
    for values in rows:
        cells = {h: _text(values[i]) for i, h in enumerate(headers) if h and i < len(values)}
        ident = cells.get("category_id", "")
        if ident:
            out[ident] = {
                "id": ident,
                "name": cells.get("category_name", "") or ident,
                "description": cells.get("category_description", ""),
            }
    return out


@dataclass
class Context:
    """What rows are checked against: the file's schema and period, the product's items, the contract's
    assets."""

    schema: str  # QT, TR, PR, CR
    bounds: tuple[datetime, datetime] | None
    items: list[dict]
    assets: list[dict]


def check(sheet: Sheet, ctx: Context) -> Outcome:
    """Every row of `sheet` checked (see the module docstring); the records' fields when all are good."""
    outcome = Outcome()
    needed = (*BASE_COLUMNS, *NEEDED_BY_SCHEMA[ctx.schema])
    missing = [c for c in needed if c not in sheet.headers]
    if missing:
        outcome.summary = f"Sheet {sheet.name} lacks the column(s) {', '.join(missing)}."
        return outcome
    if not sheet.rows:
        outcome.summary = f"Sheet {sheet.name} has no records."
        return outcome
    seen: dict[str, int] = {}
    for number, cells in sheet.rows:
        errors: list[tuple[str, str]] = []
        fields = _row(cells, ctx, sheet.categories, errors)
        record_id = _text(cells.get("record_id"))
        if record_id and record_id in seen:
            errors.append(("record_id", f"record_id {record_id} repeats row {seen[record_id]}"))
        seen.setdefault(record_id, number)
        for column, message in errors:
            outcome.errors.append({"row": number, "column": column, "message": message})
        if not errors:
            outcome.rows.append(fields)
    if outcome.errors:
        outcome.rows = []
        outcome.summary = summarise(outcome.errors, len(sheet.rows))
    return outcome


def summarise(errors: list[dict], total: int) -> str:
    """Connect's short `error_detail` (at most 200 characters): how many rows failed and the first reasons."""
    bad_rows = sorted({e["row"] for e in errors})
    text = f"{len(bad_rows)} of {total} rows are invalid: " + "; ".join(
        f"row {e['row']}: {e['message']}" for e in errors
    )
    return text if len(text) <= SUMMARY_LENGTH else text[: SUMMARY_LENGTH - 3] + "..."


def _row(cells: dict, ctx: Context, categories: dict, errors: list) -> dict:
    record_id = _text(cells.get("record_id"))
    if not record_id:
        errors.append(("record_id", "record_id is required"))
    item = _item(cells, ctx, errors)
    asset = _asset(cells, ctx, errors)
    start = _time(cells, "start_time_utc", errors)
    end = _time(cells, "end_time_utc", errors)
    if start and end:
        _check_times(start, end, ctx, errors)
    if asset is not None and not w.asset_active_in(asset, ctx.bounds):
        errors.append(("asset_search_value", f"asset {asset['id']} is not active in the period"))
    quantity = _decimal(cells, "quantity", ctx.schema == "QT", errors)
    amount = _decimal(cells, "amount", ctx.schema != "QT", errors)
    tier = _tier(cells, ctx.schema == "TR", errors)
    category = _category(cells, ctx.schema == "CR", categories, errors)
    return {
        "record_id": record_id,
        "record_note": _text(cells.get("record_note")),
        "item": item,
        "asset": asset,
        "start": start,
        "end": end,
        "quantity": quantity,
        "amount": amount,
        "tier": tier,
        "category": category,
        "asset_recon_id": _text(cells.get("asset_recon_id")),
        "params": [
            {"parameter_name": name, "parameter_value": _text(value)}
            for name, value in cells.items()
            if name.startswith(("v.", "p.")) and _text(value)
        ],
    }


def _item(cells, ctx, errors):
    criteria = _text(cells.get("item_search_criteria"))
    value = _text(cells.get("item_search_value"))
    if criteria not in ITEM_CRITERIA:
        errors.append(
            (
                "item_search_criteria",
                f"item_search_criteria {criteria!r} is not one of item.mpn, item.global_id, item.local_id",
            )
        )
        return None
    key = ITEM_CRITERIA[criteria]
    for item in ctx.items:
        candidates = {item.get(key)} if key != "local_id" else {item.get("local_id"), item.get("id")}
        if value and value in candidates:
            return item
    errors.append(
        ("item_search_value", f"item {value or '(empty)'} ({criteria}) is not an item of the product")
    )
    return None


def _asset(cells, ctx, errors):
    criteria = _text(cells.get("asset_search_criteria"))
    value = _text(cells.get("asset_search_value"))
    if criteria == "asset.id":
        found = [a for a in ctx.assets if a["id"] == value]
    elif criteria.startswith("parameter.") and len(criteria) > len("parameter."):
        param = criteria.removeprefix("parameter.")
        found = [
            a
            for a in ctx.assets
            if any(p.get("id") == param and _text(p.get("value")) == value for p in a.get("params", []))
        ]
    else:
        errors.append(
            ("asset_search_criteria", f"asset_search_criteria {criteria!r} is not asset.id or parameter.<id>")
        )
        return None
    if not value or not found:
        errors.append(
            (
                "asset_search_value",
                f"asset {value or '(empty)'} ({criteria}) is not an asset of the product and contract",
            )
        )
        return None
    return found[0]


def _time(cells, column, errors) -> datetime | None:
    raw = cells.get(column)
    if isinstance(raw, datetime):
        return raw.replace(tzinfo=None, microsecond=0)
    text = _text(raw)
    try:
        return datetime.strptime(text, TIME_FORMAT)
    except ValueError:
        errors.append((column, f"{column} {text or '(empty)'} is not a UTC time YYYY-MM-DD hh:mm:ss"))
        return None


def _check_times(start, end, ctx, errors) -> None:
    if end <= start:
        errors.append(("end_time_utc", "end_time_utc must be after start_time_utc"))
    if ctx.bounds is not None:
        low, high = ctx.bounds
        if start < low or end > high:
            errors.append(("start_time_utc", "the record's times are outside the file's period"))


def _decimal(cells, column, required, errors) -> Decimal | None:
    text = _text(cells.get(column))
    if not text:
        if required:
            errors.append((column, f"{column} is required for this product's schema"))
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors.append((column, f"{column} {text!r} is not a number"))
        return None
    if not value.is_finite():
        errors.append((column, f"{column} {text!r} is not a number"))
        return None
    return value


def _tier(cells, required, errors) -> int | None:
    text = _text(cells.get("tier"))
    if not text:
        if required:
            errors.append(("tier", "tier is required for the TR schema"))
        return None
    if text not in ("0", "1", "2"):
        errors.append(("tier", f"tier {text!r} must be 0, 1 or 2"))
        return None
    return int(text)


def _category(cells, required, categories, errors) -> dict | None:
    ident = _text(cells.get("category_id"))
    if not ident:
        if required:
            errors.append(("category_id", "category_id is required for the CR schema"))
        return None
    if ident not in categories:
        errors.append(("category_id", f"category {ident} is not in the categories sheet"))
        return None
    return categories[ident]
