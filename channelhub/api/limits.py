"""What one read-API request may cost: caps on the query, and a statement timeout.

A query that parses can still ask for unbounded work: every `select(-a.b)` is one more JSON
operation on every row's payload, django-rql turns an `in()` into one OR'd comparison per
value, each `&` nests the parse tree one level deeper (django-rql's transformer recurses over
it), and SQLite refuses an expression more than 1000 deep or a function with more than 127
arguments. So the query text is measured against the caps below before any filter, ordering
or SQL is built (`check_query`, called first thing by every viewset of the API), and a query
over one is a 400 (`RQL_004`) naming the cap, its value and the setting that changes it.
The defaults leave room: a query at every cap at once answers 200 on SQLite and PostgreSQL
(tests/channelhub/api/test_limits.py).

Whatever slips through, on PostgreSQL no statement of an API request runs longer than
`API_STATEMENT_TIMEOUT_MS` (`statement_timeout`): a cancelled query is a 503
(`QUERY_TOO_EXPENSIVE`, see `channelhub.api.exceptions`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from lark import Token, Tree
from py_rql.parser import RQLParser

from .exceptions import BadQuery


@dataclass(frozen=True)
class Cap:
    """One cap: its setting (overridable in Django settings), default and what it counts."""

    setting: str
    default: int
    counts: str  # "<n> <counts>": what the query has too many of

    @property
    def value(self) -> int:
        """The cap in force: the Django setting if set, else the default."""
        return getattr(settings, self.setting, self.default)

    def check(self, got: int) -> None:
        """Raise a 400 (`RQL_004`) naming the cap, its value and its setting when `got` is over it."""
        if got > self.value:
            raise BadQuery(
                f"The query has {got} {self.counts}; at most {self.value} are allowed ({self.setting}).",
                code="RQL_004",
                details={"limit": self.setting, "max": self.value, "value": got},
            )


QUERY_LENGTH = Cap("API_RQL_MAX_QUERY_LENGTH", 16_384, "characters (URL-decoded)")
DEPTH = Cap("API_RQL_MAX_DEPTH", 10, "levels of nested parentheses")
TERMS = Cap("API_RQL_MAX_TERMS", 50, "terms (comparisons, in/out, like/ilike, limit, offset, search)")
LIST_VALUES = Cap("API_RQL_MAX_LIST_VALUES", 500, "values in in()/out() lists, all lists together")
SELECT_PROPS = Cap("API_RQL_MAX_SELECT", 20, "select() properties")
ORDERING_KEYS = Cap("API_RQL_MAX_ORDERING", 5, "ordering() properties")
PATH_SEGMENTS = Cap("API_RQL_MAX_PATH_SEGMENTS", 8, "segments in one dotted property name")
NAME_LENGTH = Cap("API_RQL_MAX_NAME_LENGTH", 100, "characters in one property name")
VALUE_LENGTH = Cap("API_RQL_MAX_VALUE_LENGTH", 1024, "characters in one value")

CAPS = (
    QUERY_LENGTH,
    DEPTH,
    TERMS,
    LIST_VALUES,
    SELECT_PROPS,
    ORDERING_KEYS,
    PATH_SEGMENTS,
    NAME_LENGTH,
    VALUE_LENGTH,
)

_TERM_RULES = frozenset({"comp", "listing", "searching"})


def _paren_depth(query: str) -> int:
    """The deepest nesting of parentheses outside quoted values (RQL quotes '...' and "...")."""
    depth = deepest = 0
    quote = None
    for char in query:
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth -= 1
    return deepest


def _check_prop(node: Tree) -> None:
    token = node.children[0]
    if isinstance(token, Token):  # else a keyword used as a name (`eq(in,1)`): short
        NAME_LENGTH.check(len(token))
        PATH_SEGMENTS.check(token.count(".") + 1)


def check_query(query: str) -> None:
    """Raise `BadQuery` (400, `RQL_004`) if `query` (the URL-decoded RQL) is over a cap.

    The length is checked first and the nesting by a scan of the text, so the parser only
    ever sees a bounded, shallow query; the parse tree is then walked without recursion.
    A query that does not parse raises django-rql's own parse error (400, `RQL_001`).
    """
    QUERY_LENGTH.check(len(query))
    if not query:
        return
    DEPTH.check(_paren_depth(query))
    # Cached by the parser, so filtering reuses the tree. A query that does not parse is a
    # 400 (RQL_001) here already: DRF reads request.GET next, where Django answers a query
    # of more than 1000 fields (`x&x&...`) with an HTML page.
    tree = RQLParser.parse_query(query)
    terms = values = 0
    stack: list[Tree] = [tree]
    while stack:
        node = stack.pop()
        rule = node.data
        if rule in _TERM_RULES:
            terms += 1
            if rule == "listing":
                values += sum(1 for child in node.children if isinstance(child, Tree) and child.data == "val")
        elif rule == "select":
            SELECT_PROPS.check(len(node.children) - 1)  # children: the keyword, then the props
        elif rule == "ordering":
            ORDERING_KEYS.check(len(node.children) - 1)
        elif rule == "prop":
            _check_prop(node)
            continue
        elif rule == "val" and isinstance(node.children[0], Token):
            VALUE_LENGTH.check(len(node.children[0]))
            continue
        stack.extend(child for child in node.children if isinstance(child, Tree))
    TERMS.check(terms)
    LIST_VALUES.check(values)


# --- statement timeout ---------------------------------------------------------------------

# Sets the request's timeout for the current transaction only (`is_local`) and returns the
# value it replaces (read first: the CTE is scanned before the outer select list runs).
_SET_TIMEOUT = (
    "WITH previous AS MATERIALIZED (SELECT current_setting('statement_timeout') AS value) "
    "SELECT value, set_config('statement_timeout', %s, true) FROM previous"
)
_RESTORE_TIMEOUT = "SELECT set_config('statement_timeout', %s, true)"


@contextmanager
def statement_timeout(using: str = DEFAULT_DB_ALIAS) -> Iterator[bool]:
    """Run the block in a transaction whose statements PostgreSQL cancels after
    `API_STATEMENT_TIMEOUT_MS` (0: no timeout; other databases: nothing to do). Yields
    whether it did (whether the block is a transaction of its own).

    The timeout is `SET LOCAL`-scoped, so it ends with the transaction and never stays on a
    persistent connection. Inside someone else's transaction (a test's, ATOMIC_REQUESTS) the
    block is a savepoint: rolled back, the savepoint undoes the setting; released, the
    previous value is put back. A caller that catches a database error inside the block
    must `transaction.set_rollback(True)` (the API's viewsets do).
    """
    connection = connections[using]
    ms = settings.API_STATEMENT_TIMEOUT_MS
    if connection.vendor != "postgresql" or not ms:
        yield False
        return
    nested = connection.in_atomic_block
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute(_SET_TIMEOUT, [f"{int(ms)}ms"])
            previous = cursor.fetchone()[0]
        yield True
        if nested and not connection.needs_rollback:
            with connection.cursor() as cursor:
                cursor.execute(_RESTORE_TIMEOUT, [previous])
