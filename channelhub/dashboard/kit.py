"""The dashboard's building blocks: `Widget`, bounded counts in one statement, figures and links.

Every figure on the dashboard is a *bounded* count: `COUNT(*)` over a `LIMIT cap + 1`
subquery, so a queue of a million rows costs at most `cap + 1` index entries and shows as
"1,000+". A widget hands all its counts to `bounded_counts` at once: one SQL statement of
scalar subqueries, whatever the number of figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.db import connections
from django.db.models import QuerySet, Value
from django.urls import reverse

#: A figure counts at most this many rows; more shows as "1,000+".
CAP = 1000


class Widget:
    """One box on the back office's first page, declared by an app (or the core).

    A widget is an object with:

    - `key`: a stable id, unique on the page (its HTML id is `ch-w-<key>`);
    - `title`: the box's heading;
    - `perm`: the permission (`app_label.codename`) a user needs to see it; "" for any staff;
    - `template`: the template that draws it; it is given `widget` (the widget) and
      everything `context(user)` returns;
    - `context(user) -> dict`: the figures, for that user. It must stay cheap on big tables:
      bounded counts (`bounded_counts`), indexed columns, a handful of statements.

    Register an instance from the app's dashboard module (`WIDGETS`, through
    `channelhub.registry.register_dashboard_module`).
    """

    key = ""
    title = ""
    perm = ""
    template = ""

    def visible_to(self, user) -> bool:
        """Whether `user` may see the widget (its `perm`)."""
        return not self.perm or user.has_perm(self.perm)

    def context(self, user) -> dict:
        """What the template needs; a subclass defines it."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.key}>"


@dataclass(frozen=True)
class NavGroup:
    """A group of the admin's navigation (the index's app list and the sidebar).

    `models` are `app_label.model_name` in the order shown (queues first); `apps` takes every
    model of those app labels not placed by a `models` entry elsewhere. Groups show in `order`.
    """

    title: str
    order: int
    models: tuple[str, ...] = ()
    apps: tuple[str, ...] = ()


@dataclass(frozen=True)
class Figure:
    """A bounded count and where its rows are listed."""

    count: int
    url: str = ""

    @property
    def capped(self) -> bool:
        """Whether there are more rows than the cap (the figure shows "N+")."""
        return self.count > CAP

    @property
    def text(self) -> str:
        """The count as staff read it: "12", "1,000+"."""
        return f"{CAP:,}+" if self.capped else f"{self.count:,}"

    def __str__(self) -> str:
        return self.text


def bounded_counts(querysets: dict[str, QuerySet], cap: int | None = None) -> dict[str, int]:
    """Count each queryset's rows up to `cap + 1` (`CAP` + 1 by default), all in one SQL statement.

    Each count is `(SELECT COUNT(*) FROM (<its query> LIMIT cap + 1))`: the database stops
    at `cap + 1` rows, whatever the table's size. Querysets known to be empty cost nothing.
    """
    cap = CAP if cap is None else cap
    counts: dict[str, int] = {}
    parts: list[str] = []
    params: list = []
    names: list[str] = []
    alias = None
    for name, queryset in querysets.items():
        # `SELECT 1`: no column of the row, so an index holding the filtered columns covers it.
        bounded = queryset.order_by().annotate(bounded_one=Value(1)).values("bounded_one")[: cap + 1]
        if bounded.query.is_empty():
            counts[name] = 0
            continue
        alias = queryset.db
        sql, query_params = bounded.query.get_compiler(using=alias).as_sql()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) bounded_{len(parts)})")
        params.extend(query_params)
        names.append(name)
    if parts:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(parts), params)
            counts.update(zip(names, cursor.fetchone(), strict=True))
    return {name: counts[name] for name in querysets}


def changelist_url(url_name: str, query: str = "", **lookups) -> str:
    """The admin list `url_name` with the queue's `query` and extra lookups (datetimes in ISO)."""
    extra = urlencode(
        {k: v.isoformat(timespec="seconds") if isinstance(v, datetime) else v for k, v in lookups.items()}
    )
    joined = "&".join(part for part in (query, extra) if part)
    return f"{reverse(url_name)}?{joined}" if joined else reverse(url_name)


def duration_words(delta: timedelta | None) -> str:
    """A duration as staff read it: "45 s", "12 min", "3 h 05 min", "4 days 2 h"; "—" for none."""
    if delta is None:
        return "—"
    seconds = max(int(delta.total_seconds()), 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} day{'s' if days != 1 else ''} {hours} h"
