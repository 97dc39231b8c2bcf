"""Reading what staff upload into a header and rows: an .xlsx (openpyxl, read-only) or a .csv.

The workbook's records sheet is found by name, `records` (the official template) or
`usage_records` (what every SDK writes), never by position: Connect reads tabs by name too.
Anything that keeps the file from being read is a `FileUnreadable` with the reason in words.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from usage.workbook import RECORDS_SHEET, SDK_RECORDS_SHEET

SHEET_NAMES = (RECORDS_SHEET, SDK_RECORDS_SHEET)


class FileUnreadable(ValueError):
    """The file is not a workbook or CSV we can read, or has no records sheet."""


@dataclass
class Table:
    """A records sheet: its header (lower-cased, stripped) and its rows as (row number, values)."""

    header: list[str]
    rows: Iterator[tuple[int, tuple]]
    close: callable = lambda: None
    sheet: str = ""


def read_table(filename: str, content: bytes) -> Table:
    """The records of a staff file: an .xlsx when its name or its bytes say so, else a CSV."""
    if filename.lower().endswith((".xlsx", ".xlsm")) or content[:2] == b"PK":
        return _xlsx(content)
    return _csv(content)


def _header(values) -> list[str]:
    return ["" if v is None else str(v).strip().lower() for v in values]


def _numbered(rows, first: int = 2) -> Iterator[tuple[int, tuple]]:
    """Row numbers as in the file (the header is row 1); rows with every cell empty skipped."""
    for number, values in enumerate(rows, start=first):
        if any(v is not None and v != "" for v in values):
            yield number, values


def _xlsx(content: bytes) -> Table:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise FileUnreadable(f"the file could not be read as an .xlsx workbook ({exc})") from exc
    names = {name.strip().lower(): name for name in workbook.sheetnames}
    found = next((names[n] for n in SHEET_NAMES if n in names), None)
    if found is None:
        workbook.close()
        raise FileUnreadable(
            f"the workbook has no sheet named {RECORDS_SHEET} or {SDK_RECORDS_SHEET} "
            f"(its sheets: {', '.join(workbook.sheetnames) or 'none'})"
        )
    rows = workbook[found].iter_rows(values_only=True)
    header = _header(next(rows, ()))
    return Table(header=header, rows=_numbered(rows), close=workbook.close, sheet=found)


def _csv(content: bytes) -> Table:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileUnreadable(f"the file is neither an .xlsx workbook nor UTF-8 CSV text ({exc})") from exc
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = _header(next(reader, ()))
    except csv.Error as exc:
        raise FileUnreadable(f"the CSV file could not be read ({exc})") from exc
    return Table(header=header, rows=_csv_rows(reader), sheet="csv")


def _csv_rows(reader) -> Iterator[tuple[int, tuple]]:
    rows = (tuple(cell if cell.strip() else None for cell in values) for values in reader)
    yield from _numbered(rows)
