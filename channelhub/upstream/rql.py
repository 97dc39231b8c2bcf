"""A small builder for RQL query strings as Connect's API reads them.

RQL is not key=value, so query strings are built as text. Values are percent-encoded
(`+` in a timezone offset would otherwise read as a space on some servers, `,` and `)` would
break the expression); structure characters are not.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from urllib.parse import quote

_SPECIAL = frozenset(",()&|=<>\"' ")


def value(v) -> str:
    """One RQL value. A value holding RQL punctuation is double-quoted (single-quoted if it
    holds a double quote): servers unquote the whole query string before parsing it, so
    percent-encoding alone would not keep a `,` or `)` from being read as syntax."""
    if v is None:
        return "null()"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, datetime):
        v = v.isoformat()
    text = str(v)
    if _SPECIAL.intersection(text):
        q = "'" if '"' in text else '"'
        text = f"{q}{text}{q}"
    return quote(text, safe="-_.~*")


def eq(prop: str, v) -> str:
    """`eq(prop,value)`: equal."""
    return f"eq({prop},{value(v)})"


def ne(prop: str, v) -> str:
    """`ne(prop,value)`: not equal."""
    return f"ne({prop},{value(v)})"


def gt(prop: str, v) -> str:
    """`gt(prop,value)`: greater than."""
    return f"gt({prop},{value(v)})"


def ge(prop: str, v) -> str:
    """`ge(prop,value)`: greater than or equal."""
    return f"ge({prop},{value(v)})"


def lt(prop: str, v) -> str:
    """`lt(prop,value)`: less than."""
    return f"lt({prop},{value(v)})"


def le(prop: str, v) -> str:
    """`le(prop,value)`: less than or equal."""
    return f"le({prop},{value(v)})"


def in_(prop: str, values: Iterable) -> str:
    """`in(prop,(v1,v2,...))`: one of the values."""
    return f"in({prop},({','.join(value(v) for v in values)}))"


def and_(*terms: str) -> str:
    """`and(...)` of the non-empty terms; one term as it is, none as "" (no filter)."""
    terms = tuple(t for t in terms if t)
    if not terms:
        return ""
    return terms[0] if len(terms) == 1 else f"and({','.join(terms)})"


def or_(*terms: str) -> str:
    """`or(...)` of the non-empty terms; one term as it is (at least one is needed)."""
    terms = tuple(t for t in terms if t)
    return terms[0] if len(terms) == 1 else f"or({','.join(terms)})"


def ordering(*props: str) -> str:
    """`ordering(a,-b)`: sort by these properties (`-` for descending)."""
    return f"ordering({','.join(props)})"


def query(*parts: str, limit: int | None = None, offset: int | None = None) -> str:
    """Join filter/ordering/select parts and the pagination into one query string."""
    out = [p for p in parts if p]
    if limit is not None:
        out.append(f"limit={int(limit)}")
    if offset is not None:
        out.append(f"offset={int(offset)}")
    return "&".join(out)
