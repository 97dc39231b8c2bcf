"""Coercing upstream JSON into column values, for every mapper: never raises on drift.

An upstream adds, drops and retypes fields without notice; a mapper must turn whatever
arrives into a value its column takes, or into "nothing" (None, "", {} or []), never an
exception that would fail a whole page.
"""

from __future__ import annotations

from datetime import UTC, datetime

_EMPTY: dict = {}


def as_dict(value) -> dict:
    """A nested upstream object, or {} when it is missing, null, "" or not an object."""
    return value if isinstance(value, dict) else _EMPTY


def as_list(value) -> list:
    """A list, or [] when it is missing or not a list."""
    return value if isinstance(value, list) else []


def text(value, limit: int = 255) -> str:
    """A string column value: "" for missing/null, other types as text, cut to `limit`."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value)
    return value[:limit]


def as_int(value) -> int | None:
    """An integer (Channel's int64s arrive as strings); None when it is not one (bools neither)."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def nested_id(value) -> str | None:
    """The `id` of a nested upstream object, for a foreign key: None when absent or empty."""
    if isinstance(value, dict):
        return value.get("id") or None
    return None


def parse_time(value) -> datetime | None:
    """An ISO 8601 / RFC 3339 time (`Z` or an offset, up to 9 fractional digits) -> aware
    datetime (UTC when it names no zone); None when missing or unreadable."""
    if not value or not isinstance(value, str):
        return None
    stamp = value.strip()
    if stamp[-1:] in ("Z", "z"):
        stamp = stamp[:-1] + "+00:00"
    head, dot, tail = stamp.partition(".")
    if dot:  # keep at most 6 fractional digits: Python's datetime stops at microseconds
        digits = len(tail) - len(tail.lstrip("0123456789"))
        stamp = f"{head}.{tail[: min(digits, 6)]}{tail[digits:]}" if digits else head + tail
    try:
        parsed = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
