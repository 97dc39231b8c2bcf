"""Reading the cells of a staff usage file: texts, UTC times, Decimals, tiers, dates.

Each reader returns `(value, problem)`: the typed value, or None and a plain-words problem
naming the column and what was in it. A problem is stored on the row as a "file error"
(`usage.validation.file_error`), kept by validation for as long as the field it is about stays empty, so
the reason a cell could not be read is shown until staff fill the field in.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from usage.validation import file_error

TIME_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# What UsageReportRow's DecimalFields hold (max_digits=24, decimal_places=8).
DECIMAL_PLACES = 8
INTEGER_DIGITS = 16
SIGNIFICANT_DIGITS = 15


def text(raw, column: str, limit: int) -> tuple[str, str | None]:
    """A text cell, stripped; a number cell as its digits (`7`, not `7.0`)."""
    if raw is None:
        return "", None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    value = str(raw).strip()
    if len(value) > limit:
        return "", file_error(column, value, f"is longer than {limit} characters")
    return value, None


def utc_time(raw, column: str) -> tuple[datetime | None, str | None]:
    """A UTC time: a date cell (taken as UTC) or the text `YYYY-MM-DD hh:mm:ss`."""
    if raw is None or raw == "":
        return None, None
    if isinstance(raw, datetime):
        value = raw.replace(tzinfo=UTC) if raw.tzinfo is None else raw.astimezone(UTC)
        return value.replace(microsecond=0), None
    if isinstance(raw, date):
        return datetime(raw.year, raw.month, raw.day, tzinfo=UTC), None
    stamp = str(raw).strip()
    if TIME_TEXT.match(stamp):
        try:
            return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC), None
        except ValueError:
            pass
    return None, file_error(column, raw, "is not a UTC time written YYYY-MM-DD hh:mm:ss")


def calendar_date(raw, column: str) -> tuple[date | None, str | None]:
    """A date: a date cell or the text `YYYY-MM-DD`."""
    if raw is None or raw == "":
        return None, None
    if isinstance(raw, datetime):
        return raw.date(), None
    if isinstance(raw, date):
        return raw, None
    stamp = str(raw).strip()
    if DATE_TEXT.match(stamp):
        try:
            return date.fromisoformat(stamp), None
        except ValueError:
            pass
    return None, file_error(column, raw, "is not a date written YYYY-MM-DD")


def decimal(raw, column: str) -> tuple[Decimal | None, str | None]:
    """A quantity or amount as a Decimal (a float cell by its shortest repr, never its binary
    expansion), refused when the row could not hold it exactly."""
    if raw is None or raw == "":
        return None, None
    if isinstance(raw, bool):
        return None, file_error(column, raw, "is not a number")
    try:
        value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(str(raw).strip())
    except InvalidOperation:
        return None, file_error(column, raw, "is not a number")
    if not value.is_finite():
        return None, file_error(column, raw, "is not a number")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -DECIMAL_PLACES and value != round(value, DECIMAL_PLACES):
        return None, file_error(column, raw, f"has more than {DECIMAL_PLACES} decimal places")
    if abs(value) >= Decimal(10) ** INTEGER_DIGITS:
        return None, file_error(column, raw, f"has more than {INTEGER_DIGITS} digits before the point")
    if len(value.normalize().as_tuple().digits) > SIGNIFICANT_DIGITS:
        # A workbook cell (and SQLite's decimal) keeps 15: the value would be rounded silently.
        return None, file_error(column, raw, f"has more than {SIGNIFICANT_DIGITS} significant digits")
    return value, None


def tier(raw, column: str = "tier") -> tuple[int | None, str | None]:
    """A tier: a whole number (validation checks it is 0, 1 or 2)."""
    if raw is None or raw == "":
        return None, None
    value, problem = decimal(raw, column)
    if problem or value != value.to_integral_value() or not 0 <= value <= 32767:
        return None, file_error(column, raw, "is not a whole number (a tier is 0, 1 or 2)")
    return int(value), None
