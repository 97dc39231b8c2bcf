"""Query plans of the searches: what the database does with the SQL a search sends.

- `searches_of(call, markers)`: the (sql, params) the call sent whose parameters carry one of
  `markers` (the typed term, or a form of it): the search's own queries, not the page's others.
- `assert_no_full_scan(queries, table)` (SQLite): EXPLAIN QUERY PLAN of each shows no
  `SCAN <table>` (a full walk, of the table or of an unrelated index): every branch of the
  search's OR is a `SEARCH ... USING INDEX`.
- `assert_index_serves(queryset, column)`: the planner finds an index condition on `column`
  for the lookup alone (SQLite `SEARCH ... (column...)`; PostgreSQL, with sequential and
  index-only scans off so that any usable index shows up, an `Index Cond` on `column`).
"""

from __future__ import annotations

import pytest
from django.db import connection

# The plan checks read SQLite's EXPLAIN QUERY PLAN, whose output PostgreSQL does not have. On
# PostgreSQL the same searches are covered by `test_each_search_lookup_is_served_by_an_index`
# (in each search test module), which runs on both databases.
SQLITE_PLANS_ONLY = pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="reads SQLite's EXPLAIN QUERY PLAN; on PostgreSQL index use is checked by "
    "test_each_search_lookup_is_served_by_an_index, which runs on both databases",
)


def searches_of(call, markers) -> list[tuple[str, tuple]]:
    """The queries `call()` sent whose parameters contain one of `markers` (case-insensitive)."""
    seen = []

    def record(execute, sql, params, many, context):
        seen.append((sql, tuple(params or ())))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        call()
    wanted = [m.lower() for m in markers]
    return [(sql, params) for sql, params in seen if any(w in str(p).lower() for p in params for w in wanted)]


def sqlite_plan(sql: str, params) -> list[str]:
    """SQLite's EXPLAIN QUERY PLAN lines of one statement."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return [row[-1] for row in cursor.fetchall()]


def assert_no_full_scan(queries, table: str) -> None:
    """No query of `queries` walks the whole of `table` (SQLite plans)."""
    assert queries, "the search sent no query with the term: the markers are wrong"
    for sql, params in queries:
        plan = sqlite_plan(sql, params)
        scans = [line for line in plan if line.startswith(f"SCAN {table}")]
        assert not scans, f"full scan of {table}: {plan}\n{sql}"
        assert any(f"SEARCH {table} USING" in line for line in plan), plan


def assert_index_serves(queryset, column: str) -> None:
    """The filter of `queryset` alone is answered through an index on `column`."""
    queryset = queryset.order_by().only("pk")
    if connection.vendor == "sqlite":
        plan = sqlite_plan(*queryset.query.sql_with_params())
        assert any(line.startswith("SEARCH") and f"({column}" in line for line in plan), plan
        return
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_indexonlyscan = off")
        try:
            plan = queryset.explain()
        finally:
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_indexonlyscan")
    conditions = [line for line in plan.splitlines() if "Index Cond" in line]
    assert any(column in line for line in conditions), plan
