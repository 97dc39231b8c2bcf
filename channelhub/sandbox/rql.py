"""RQL for the sandbox: parse a raw query string with lib-rql (`py_rql`) and compile it to SQL
over a collection table (see store.py).

The query string is `urllib.parse.unquote`d whole (never `parse_qs`: `+` in a timezone would
become a space) and parsed as one RQL expression, the way Connect's django-rql does. The top-level
`and` chain (`&`) carries, besides the filter, `ordering(...)`, `select(...)`, `limit=`, `offset=`
and `search=`; they are lifted out here.

Filter compilation:
- a property that the collection extracts into a column (status, updated, asset.product.id, ...)
  compiles to that column, anything else to `json_extract(doc, '$.a.b')`, at any depth;
- a path through an array (`asset.params.id`, `items.id`, `scopes`) compiles to
  `EXISTS (SELECT 1 FROM json_each(...) WHERE ...)`;
- values: `null()`, `empty()`, `true`/`false`, numbers (compared as numbers against numbers and as
  text against text), ISO dates/datetimes (normalised to UTC `YYYY-MM-DDTHH:MM:SS+00:00`, the
  stored format, so `Z`, `+02:00` or no timezone compare correctly);
- `like` is case-sensitive (GLOB), `ilike` is not (LIKE); `*` is the wildcard, `?` one character.
- lower bounds implied by the whole filter (e.g. a keyset condition
  `or(gt(updated,T),and(eq(updated,T),gt(id,X)))` implies `updated >= T`) are added as plain range
  conditions so SQLite walks the (updated, id) index instead of the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import unquote

import py_rql
from lark import Tree
from py_rql.exceptions import RQLFilterError
from py_rql.transformer import BaseRQLTransformer

from .common import ApiError

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

# Path segments that hold arrays in the upstream documents.
ARRAY_SEGMENTS = frozenset(
    {"params", "items", "hubs", "countries", "scopes", "accounts", "value_choices", "industries"}
)

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")
_INT_RE = re.compile(r"^-?\d+$")
_NUM_RE = re.compile(r"^-?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$")
_SEGMENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class RQLError(ApiError):
    """An invalid or unsupported RQL query: Connect's 400 RQL_001."""

    def __init__(self, message: str):
        super().__init__(400, "RQL_001", message)


class _Null:
    def __repr__(self):
        return "null()"


NULL = _Null()


@dataclass
class Query:
    """A parsed query string: the filter AST plus the lifted ordering, select, limit, offset and search."""

    filter: tuple | None = None
    ordering: list[str] = field(default_factory=list)
    select: list[str] = field(default_factory=list)
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    search: str | None = None

    @property
    def exclusions(self) -> list[str]:
        """The properties `select(-a.b)` drops from every document of the page."""
        return [s[1:] for s in self.select if s.startswith("-")]


class _ToAst(BaseRQLTransformer):
    """lark tree -> tuples: ('and'|'or', [nodes]), ('not', node), ('cmp', op, prop, value),
    ('in'|'out', prop, [values]), ('ordering', [props]), ('select', [props])."""

    def _val(self, obj):
        while isinstance(obj, Tree):
            if obj.data == "tuple":
                raise RQLError("Tuple values are not supported.")
            obj = obj.children[0]
        text = obj.value
        if obj.type == "QUOTED_VAL":
            return text[1:-1]
        if text == "null()":
            return NULL
        if text == "empty()":
            return ""
        return text

    def comp(self, args):
        if len(args) == 2:
            op, prop, val = "eq", args[0], args[1]
        elif isinstance(args[0], Tree) and args[0].data == "comp_term":
            op, prop, val = self._get_value(args[0]), args[1], args[2]
        else:
            op, prop, val = self._get_value(args[1]), args[0], args[2]
        return ("cmp", op, self._get_value(prop), self._val(val))

    def searching(self, args):
        return ("cmp", self._get_value(args[0]), self._get_value(args[1]), self._val(args[2]))

    def listing(self, args):
        return (self._get_value(args[0]), self._get_value(args[1]), [self._val(v) for v in args[2:]])

    def ordering(self, args):
        return ("ordering", [a for a in args[1:] if isinstance(a, str)])

    def select(self, args):
        return ("select", [a for a in args[1:] if isinstance(a, str)])

    def logical(self, args):
        node = args[0]
        kids = list(node.children)
        if node.data == "not_op":
            return ("not", kids[0])
        return ("and" if node.data == "and_op" else "or", kids)


def _int(value, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number >= 0 else default


def parse(raw_query: str) -> Query:
    """Parse a raw (still percent-encoded) query string."""
    text = unquote(raw_query or "").strip("&")
    query = Query()
    if not text:
        return query
    try:
        tree = py_rql.parse(text)
    except RQLFilterError as exc:
        raise RQLError(f"Invalid RQL query: {text[:200]}") from exc
    if not tree.children:
        return query
    ast = _ToAst().transform(tree)
    filters = []

    def walk(node):
        kind = node[0]
        if kind == "and":
            for child in node[1]:
                walk(child)
        elif kind == "ordering":
            query.ordering = node[1]
        elif kind == "select":
            query.select.extend(node[1])
        elif kind == "cmp" and node[1] == "eq" and node[2] in ("limit", "offset", "search"):
            if node[2] == "limit":
                query.limit = min(_int(node[3], DEFAULT_LIMIT), MAX_LIMIT)
            elif node[2] == "offset":
                query.offset = _int(node[3], 0)
            else:
                query.search = None if node[3] is NULL else str(node[3])
        else:
            filters.append(node)

    walk(ast)
    if filters:
        query.filter = filters[0] if len(filters) == 1 else ("and", filters)
    _check(query.filter)
    return query


_OPS = {"eq", "ne", "gt", "ge", "lt", "le", "like", "ilike"}


def _check(node):
    if node is None:
        return
    kind = node[0]
    if kind in ("and", "or"):
        for child in node[1]:
            _check(child)
    elif kind == "not":
        _check(node[1])
    elif kind == "cmp":
        if node[1] not in _OPS:
            raise RQLError(f"Unsupported operator {node[1]}.")
    elif kind in ("in", "out"):
        pass
    else:
        raise RQLError(f"{kind}() is only allowed at the top level.")


# ---------------------------------------------------------------------------------------------
# values


def normalise_datetime(text: str) -> str | None:
    """ISO date/datetime in any offset -> the stored UTC form; None if not a date."""
    if not _DATE_RE.match(text):
        return None
    try:
        value = datetime.fromisoformat(text.replace(" ", "T"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    if value.microsecond:
        return value.isoformat(timespec="microseconds")
    return value.replace(microsecond=0).isoformat()


def _typed(value):
    """Return (text_value, number_value_or_None) for a scalar RQL value."""
    if value == "true":
        return "true", 1
    if value == "false":
        return "false", 0
    date = normalise_datetime(value)
    if date is not None:
        return date, None
    if _INT_RE.match(value):
        return value, int(value)
    if _NUM_RE.match(value):
        return value, float(value)
    return value, None


# ---------------------------------------------------------------------------------------------
# SQL


def json_path(parts) -> str:
    """A SQLite JSON path (`$.a.b`) for property segments; segments that are not identifiers are quoted."""
    out = "$"
    for part in parts:
        out += f".{part}" if _SEGMENT_RE.match(part) else '."' + part.replace('"', "") + '"'
    return out


class Compiler:
    """Compile a filter AST for one collection. `collection` provides `columns` (property ->
    column name), `aliases` (property -> property) and `search_fields`."""

    def __init__(self, collection):
        self.collection = collection
        self.params: list = []

    # -- properties
    def resolve(self, prop: str) -> str:
        """The property a filter name stands for in this collection (its `aliases`, e.g. `updated` ->
        `events.updated.at`)."""
        return self.collection.aliases.get(prop, prop)

    def _expr_for(self, prop: str, base: str = "doc") -> tuple[str | None, str]:
        """(array_path, scalar expression); array_path is set when prop goes through an array."""
        parts = prop.split(".")
        if base == "doc" and prop in self.collection.columns:
            return None, self.collection.columns[prop]
        for i, part in enumerate(parts):
            if part in ARRAY_SEGMENTS:
                return ".".join(parts[: i + 1]), ".".join(parts[i + 1 :])
        return None, f"json_extract({base}, '{json_path(parts)}')"

    def _scalar(self, rest: str) -> str:
        if not rest:
            return "je.value"
        return f"json_extract(je.value, '{json_path(rest.split('.'))}')"

    def _wrap(self, prop: str, build) -> str:
        """Apply `build(expr)` to prop's expression, through json_each for array paths."""
        array, expr = self._expr_for(prop)
        if array is None:
            return build(expr)
        array_expr = f"json_extract(doc, '{json_path(array.split('.'))}')"
        if array in self.collection.columns:
            array_expr = self.collection.columns[array]
        inner = build(self._scalar(expr))
        return f"EXISTS (SELECT 1 FROM json_each({array_expr}) AS je WHERE {inner})"

    # -- comparisons
    def _p(self, value) -> str:
        self.params.append(value)
        return "?"

    def _compare(self, expr: str, op: str, value) -> str:
        sql_op = {"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}[op]
        if value is NULL:
            if op == "eq":
                return f"({expr} IS NULL)"
            if op == "ne":
                return f"({expr} IS NOT NULL)"
            raise RQLError(f"null() cannot be used with {op}.")
        if value == "":
            if op == "eq":
                return f"(COALESCE({expr}, '') = '')"
            if op == "ne":
                return f"(COALESCE({expr}, '') <> '')"
        text, number = _typed(str(value))
        if number is None:
            cond = f"{expr} {sql_op} {self._p(text)}"
        else:
            cond = (
                f"((typeof({expr}) IN ('integer','real') AND {expr} {sql_op} {self._p(number)})"
                f" OR (typeof({expr}) = 'text' AND {expr} {sql_op} {self._p(text)}))"
            )
        if op == "ne":
            return f"({expr} IS NULL OR {cond})"
        return f"({cond})"

    def _like(self, expr: str, op: str, value) -> str:
        pattern = "" if value is NULL else str(value)
        if op == "like":
            glob = "".join("[" + c + "]" if c in "[]" else c for c in pattern)
            return f"({expr} GLOB {self._p(glob)})"
        escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        escaped = escaped.replace("*", "%").replace("?", "_")
        return f"({expr} LIKE {self._p(escaped)} ESCAPE '\\')"

    def node(self, node) -> str:
        """SQL for one filter AST node; values become `?` parameters collected in `self.params`."""
        kind = node[0]
        if kind in ("and", "or"):
            parts = [self.node(child) for child in node[1]]
            return "(" + f" {kind.upper()} ".join(parts) + ")" if parts else "1"
        if kind == "not":
            return f"(NOT {self.node(node[1])})"
        if kind == "cmp":
            _, op, prop, value = node
            prop = self.resolve(prop)
            special = self.collection.special_filter(self, op, prop, value)
            if special is not None:
                return special
            if op in ("like", "ilike"):
                return self._wrap(prop, lambda e: self._like(e, op, value))
            return self._wrap(prop, lambda e: self._compare(e, op, value))
        if kind in ("in", "out"):
            _, prop, values = node
            prop = self.resolve(prop)
            if not values:
                return "0" if kind == "in" else "1"
            ors = "(" + " OR ".join(
                self._wrap(prop, lambda e, v=v: self._compare(e, "eq", v)) for v in values
            )
            ors += ")"
            return ors if kind == "in" else f"(NOT {ors})"
        raise RQLError(f"Unsupported expression {kind}.")

    def bounds(self, node) -> dict[str, str]:
        """Lower bounds (column -> text value, inclusive) implied by the filter."""
        kind = node[0]
        if kind == "cmp":
            _, op, prop, value = node
            prop = self.resolve(prop)
            column = self.collection.columns.get(prop)
            if (
                column in self.collection.range_columns
                and op in ("eq", "gt", "ge")
                and isinstance(value, str)
                and value
            ):
                text, number = _typed(value)
                if number is None:
                    return {column: text}
            return {}
        if kind == "and":
            out: dict[str, str] = {}
            for child in node[1]:
                for column, value in self.bounds(child).items():
                    out[column] = max(out.get(column, value), value)
            return out
        if kind == "or":
            children = [self.bounds(child) for child in node[1]]
            if not children:
                return {}
            common = set(children[0])
            for child in children[1:]:
                common &= set(child)
            return {column: min(child[column] for child in children) for column in common}
        return {}

    def where(self, query: Query) -> str:
        """The WHERE condition for a query: its filter, the index-friendly lower bounds it implies, and
        `search=` over the collection's search fields."""
        clauses = []
        if query.filter is not None:
            clauses.append(self.node(query.filter))
            for column, value in self.bounds(query.filter).items():
                clauses.append(f"{column} >= {self._p(value)}")
        if query.search:
            term = query.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            ors = []
            for prop in self.collection.search_fields:
                ors.append(self._wrap(prop, lambda e: f"({e} LIKE {self._p('%' + term + '%')} ESCAPE '\\')"))
            clauses.append("(" + " OR ".join(ors) + ")" if ors else "0")
        return " AND ".join(clauses) if clauses else "1"

    def order_by(self, query: Query) -> str:
        """ORDER BY for the query's ordering (or the collection's default), always ending with `id` as the
        tiebreaker; array properties are ignored."""
        keys = list(query.ordering) or list(self.collection.default_ordering)
        out, seen = [], set()
        for key in keys:
            desc = key.startswith("-")
            prop = self.resolve(key.lstrip("-+"))
            if not prop or prop in seen:
                continue
            seen.add(prop)
            array, expr = self._expr_for(prop)
            if array is not None:
                continue  # cannot order by an array property; ignored like an unknown field
            out.append(f"{expr} {'DESC' if desc else 'ASC'}")
        if "id" not in seen:
            out.append("id ASC")
        return ", ".join(out)
