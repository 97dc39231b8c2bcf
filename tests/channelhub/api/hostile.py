"""A corpus of hostile queries: RQL that parses (or nearly) but asks for unbounded work.

Each shape is built for one endpoint from a filter name it really has (`name`), so a query
is refused for its size, never for an unknown filter. The shapes are those that reached
recursion limits, database limits (SQLite's expression depth and function-argument limits,
PostgreSQL's per-row JSON work) or minutes of SQL before the caps of
`channelhub.api.limits`.
"""

from __future__ import annotations

from collections.abc import Callable

from django.urls import resolve


def _nest(op: str, leaf: str, depth: int) -> str:
    query = leaf
    for _ in range(depth):
        query = f"{op}({leaf},{query})"
    return query


def _alternate(leaf: str, depth: int) -> str:
    query = leaf
    for level in range(depth):
        op = ("and", "or")[level % 2]
        query = f"{op}(not({leaf}),{query})"
    return query


def _values(n: int) -> str:
    return ",".join(f"V-{i}" for i in range(n))


# name -> builder(filter name) -> query string (unencoded RQL)
SHAPES: dict[str, Callable[[str], str]] = {
    "200-deep and()": lambda f: _nest("and", f"eq({f},x)", 200),
    "200-deep and(not())/or(not())": lambda f: _alternate(f"eq({f},x)", 200),
    "1000-deep parentheses": lambda f: "(" * 1000 + f"eq({f},x)" + ")" * 1000,
    "5000 eq terms joined by &": lambda f: "&".join([f"eq({f},x)"] * 5000),
    "5000 eq terms in one and()": lambda f: "and(" + ",".join([f"eq({f},x)"] * 5000) + ")",
    "5000 eq terms in one or (|)": lambda f: "(" + "|".join([f"eq({f},x)"] * 5000) + ")",
    "in() with 10k values": lambda f: f"in({f},({_values(10_000)}))",
    "out() with 10k values": lambda f: f"out({f},({_values(10_000)}))",
    "50 in() of 200 values each": lambda f: "&".join([f"in({f},({_values(200)}))"] * 50),
    "500 select(-a,-b,...) paths": lambda f: "select(" + ",".join(f"-p{i}.q{i}" for i in range(500)) + ")",
    "select() with limit=1000 and 60 paths": lambda f: (
        "select(" + ",".join(f"-asset.p{i}" for i in range(60)) + ")&limit=1000"
    ),
    "select() path of 1000 segments": lambda f: "select(-" + ".".join(["a"] * 1000) + ")",
    "select() name of 10k characters": lambda f: "select(-" + "a" * 10_000 + ")",
    "filter name of 10k characters": lambda f: f"eq({f}{'a' * 10_000},x)",
    "value of 100 kB": lambda f: f"eq({f},{'x' * 100_000})",
    "quoted value of 100 kB": lambda f: f'eq({f},"{"x y" * 33_000}")',
    "100 kB query string": lambda f: "&".join([f"ne({f},{'v' * 90})"] * 1000),
    "ordering() with 500 keys": lambda f: "ordering(" + ",".join([f, f"-{f}"] * 250) + ")",
    "ilike() with 1000 wildcards": lambda f: f"ilike({f},{'*a' * 1000}*)",
    "search of 50 kB": lambda f: "search=" + "s" * 50_000,
    # Under the length cap: each meets the cap of its own.
    "11-deep parentheses": lambda f: "(" * 10 + f"eq({f},x)" + ")" * 10,
    "51 terms": lambda f: "&".join([f"eq({f},x)"] * 51),
    "in() with 501 values": lambda f: f"in({f},({_values(501)}))",
    "21 select() paths": lambda f: "select(" + ",".join(f"-p{i}" for i in range(21)) + ")",
    "select() path of 9 segments": lambda f: "select(-" + ".".join(["a"] * 9) + ")",
    "name of 101 characters": lambda f: "select(-" + "a" * 101 + ")",
    "value of 1025 characters": lambda f: f"eq({f},{'x' * 1025})",
    "ordering() with 6 keys": lambda f: f"ordering({f},-{f},{f},-{f},{f},-{f})",
}


def filter_name(path: str) -> str:
    """A filter of the endpoint at `path` (its view's RQL filter class) that takes eq and in."""
    view = resolve(path).func.cls
    names = view.rql_filter_class(view.queryset.none()).filters
    return next(n for n in ("id", "name", "stream") if n in names)


def corpus(path: str) -> list[tuple[str, str]]:
    """(shape name, query) for the endpoint at `path`."""
    name = filter_name(path)
    return [(shape, build(name)) for shape, build in SHAPES.items()]
