"""`select(-a.b,...)` on stored JSON: the paths a query removes, removed in SQL where it can.

A path names members from the object down (`asset.params`); where it crosses an array it
applies to every element (`asset.items.params`: the params of each item), as on Connect.

Removing members by decoding and re-encoding every payload of a page in Python costs more
than the page's SQL (100 requests: ~2 ms of JSON work for ~1 ms of SQL). The database
removes an object path in place (SQLite `json_remove`, PostgreSQL `#-`), so a page is
pruned in SQL, and only rows where a path crosses an array (which neither database can
follow) are flagged by the same statement and pruned in Python.
"""

from __future__ import annotations

import re

import orjson
from dj_rql.drf import get_select_props
from django.db import NotSupportedError
from django.db.models import BooleanField, Expression, F, Func, JSONField

from .exceptions import BadQuery

_SELECT_PATH = re.compile(r"^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$")

Path = tuple[str, ...]


def exclusions(request) -> tuple[Path, ...]:
    """Paths `select(-a.b,...)` removes; inclusions are no-ops (every field is shown)."""
    paths = []
    for prop in get_select_props(request):
        name = prop.lstrip("+-")
        if not _SELECT_PATH.match(name):
            raise BadQuery(f"Bad select property: {prop!r}.", code="RQL_001")
        if prop.startswith("-"):
            paths.append(tuple(name.split(".")))
    return tuple(paths)


def _prune(node, path: Path) -> None:
    if isinstance(node, list):
        for item in node:
            _prune(item, path)
    elif isinstance(node, dict):
        if len(path) == 1:
            node.pop(path[0], None)
        elif path[0] in node:
            _prune(node[path[0]], path[1:])


def prune(text: str, paths: tuple[Path, ...]) -> str:
    """The JSON document `text` without `paths` (decoded and re-encoded)."""
    if not paths:
        return text
    obj = orjson.loads(text)
    for path in paths:
        _prune(obj, path)
    return orjson.dumps(obj).decode()


def _prefixes(paths: tuple[Path, ...]) -> list[Path]:
    """Every proper prefix of every path: where an array would stop the database."""
    seen: dict[Path, None] = {}
    for path in paths:
        for end in range(1, len(path)):
            seen[path[:end]] = None
    return list(seen)


def _sqlite_path(path: Path) -> str:
    return "$" + "".join(f'."{name}"' for name in path)  # names are [\w-]+, never a quote


class CrossesArray(Func):
    """True where a path of `paths` crosses an array in this row's JSON (Python prunes it)."""

    output_field = BooleanField()

    def __init__(self, expression, paths: tuple[Path, ...]):
        super().__init__(expression)
        self.prefixes = _prefixes(paths)

    def _sql(self, compiler, connection, test: str, to_param):
        if not self.prefixes:
            return "(1 = 0)", []
        sql, params = compiler.compile(self.source_expressions[0])
        terms, out = [], []
        for prefix in self.prefixes:
            terms.append(test.format(sql=sql))
            out += [*params, to_param(prefix)]
        return "(" + " OR ".join(terms) + ")", out

    def as_sql(self, compiler, connection, **extra):
        """Refuse other databases: the JSON path test exists for SQLite and PostgreSQL only."""
        raise NotSupportedError("select(-...) needs SQLite or PostgreSQL")

    def as_sqlite(self, compiler, connection, **extra):
        """SQLite: `json_type(...) = 'array'` at each prefix of the paths."""
        return self._sql(compiler, connection, "json_type({sql}, %s) = 'array'", _sqlite_path)

    def as_postgresql(self, compiler, connection, **extra):
        """PostgreSQL: `jsonb_typeof(... #> prefix) = 'array'` at each prefix of the paths."""
        return self._sql(compiler, connection, "jsonb_typeof({sql} #> %s::text[]) = 'array'", list)


class Without(Func):
    """The JSON with `paths` removed where they run through objects only; a row where a path
    crosses an array is left as it is (PostgreSQL refuses `#-` through an array) for
    Python to prune, `flag` being `CrossesArray` of the same paths."""

    output_field = JSONField()

    def __init__(self, expression, paths: tuple[Path, ...], flag: Expression):
        super().__init__(expression, flag)
        self.paths = paths

    def as_sql(self, compiler, connection, **extra):
        """Refuse other databases: removing JSON paths exists for SQLite and PostgreSQL only."""
        raise NotSupportedError("select(-...) needs SQLite or PostgreSQL")

    def as_sqlite(self, compiler, connection, **extra):
        """SQLite: `json_remove` of every path (one through an array removes nothing; Python prunes those)."""
        sql, params = compiler.compile(self.source_expressions[0])
        holes = ", ".join(["%s"] * len(self.paths))
        return f"json_remove({sql}, {holes})", [*params, *map(_sqlite_path, self.paths)]

    def as_postgresql(self, compiler, connection, **extra):
        """PostgreSQL: `#-` of every path, except in rows the flag marks (a path through an array)."""
        sql, params = compiler.compile(self.source_expressions[0])
        flag_sql, flag_params = compiler.compile(self.source_expressions[1])
        removed = f"{sql}" + " #- %s::text[]" * len(self.paths)
        return (
            f"(CASE WHEN {flag_sql} THEN {sql} ELSE {removed} END)",
            [*flag_params, *params, *params, *map(list, self.paths)],
        )


def pruned_payload(field: str, paths: tuple[Path, ...]) -> tuple[Expression, Expression]:
    """(JSON with `paths` removed in SQL, flag of the rows Python must prune further)."""
    flag = CrossesArray(F(field), paths)
    return Without(F(field), paths, flag), flag
