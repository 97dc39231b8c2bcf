"""A queue's backlog on the dashboard: how many rows wait, by age band, and how many are past
their target (`QueueTarget`), each figure a link to the admin list that shows those rows.

An app declares its queues as `BacklogRow`s of a `BacklogWidget` in its dashboard module. A row
says which rows are in the queue (`rows`), which admin list shows them (`url_name` + `query`,
the list's own queue filter), and which column dates them (`field`). Every lookup the widget
adds to count a band, a window or a breach is added to the link too, so a figure and the list
it opens are the same rows by construction (the tests check each list really shows them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from channelhub.models import QueueTarget

from .kit import Figure, Widget, bounded_counts, changelist_url, duration_words

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Band:
    """The rows whose date lies in [now + start, now + end) (an open side is None); with
    `null`, the rows without a date (a source that never succeeded)."""

    label: str
    start: timedelta | None
    end: timedelta | None
    null: bool = False

    def lookups(self, field_name: str, now: datetime) -> dict:
        """The band as lookups on `field_name` (`created__gte`, `created__lt`, `__isnull`)."""
        if self.null:
            return {f"{field_name}__isnull": True}
        out = {}
        if self.start is not None:
            out[f"{field_name}__gte"] = now + self.start
        if self.end is not None:
            out[f"{field_name}__lt"] = now + self.end
        return out


#: How long rows have waited (the date is in the past).
AGE_BANDS = (
    Band("< 1 h", -HOUR, None),
    Band("1–24 h", -DAY, -HOUR),
    Band("1–7 days", -WEEK, -DAY),
    Band("> 7 days", None, -WEEK),
)
#: The same, and the rows that have no date at all.
AGE_BANDS_OR_NEVER = (*AGE_BANDS, Band("never", None, None, null=True))
#: How soon a deadline comes (the date is ahead: a trial's end).
DEADLINE_BANDS = (
    Band("ends < 24 h", None, DAY),
    Band("ends in 1–7 days", DAY, None),
)


@dataclass(frozen=True)
class BacklogRow:
    """One queue on the dashboard.

    - `key`: the queue's stable name, which `QueueTarget.queue` refers to;
    - `rows()`: the queue's rows (the app's queue selector, with the list's default filters);
    - `url_name` + `query`: the admin list (and its query string) that shows exactly `rows()`;
    - `field`: the date column the bands (and targets) are measured on, indexed with the status;
    - `window(now)`: extra lookups narrowing the queue to a time window (trials ending this
      week), applied to the count and the link alike;
    - `product_field` / `product_param`: the rows' product column and the list's product
      filter parameter, for per-product targets ("" when targets are per queue only);
    - `targets`: whether the row is measured against a target at all.
    """

    key: str
    label: str
    rows: Callable[[], QuerySet]
    url_name: str
    query: str = ""
    field: str = "created"
    bands: tuple[Band, ...] = AGE_BANDS
    window: Callable[[datetime], dict] | None = None
    product_field: str = ""
    product_param: str = ""
    targets: bool = True


def _narrowed(window: dict, lookups: dict) -> dict:
    """Both sets of lookups as one (for a link): on a bound both name, the narrower one."""
    out = dict(window)
    for key, value in lookups.items():
        if key in out and key.endswith(("__gte", "__gt")):
            value = max(out[key], value)
        elif key in out and key.endswith(("__lt", "__lte")):
            value = min(out[key], value)
        out[key] = value
    return out


@dataclass
class _Planned:
    """One figure to count: its queryset and its link."""

    queryset: QuerySet
    url: str


@dataclass(eq=False)
class BacklogWidget(Widget):
    """A box of queues (`BacklogRow`s): total, per age band, and breaches of their targets."""

    key: str
    title: str
    perm: str
    rows: tuple[BacklogRow, ...] = ()
    template: str = "admin/channelhub/dashboard/backlog.html"
    help: str = ""

    def queue_keys(self) -> list[str]:
        """The keys of its queues that are measured against targets."""
        return [row.key for row in self.rows if row.targets]

    def context(self, user) -> dict:
        """The figures of every queue: one query for the targets, one for every count."""
        now = timezone.now().replace(microsecond=0)  # links carry whole seconds: the same rows
        targets: dict[str, list[QueueTarget]] = {}
        keys = self.queue_keys()
        if keys:
            for target in QueueTarget.objects.filter(queue__in=keys):
                targets.setdefault(target.queue, []).append(target)
        plans: dict[str, _Planned] = {}
        shown = []
        for index, row in enumerate(self.rows):
            shown.append(self._plan_row(index, row, now, targets.get(row.key, []), plans))
        counts = bounded_counts({name: plan.queryset for name, plan in plans.items()})
        figures = {name: Figure(counts[name], plans[name].url) for name in plans}
        for entry in shown:
            entry["total"] = figures[entry.pop("total_name")]
            entry["bands"] = [(label, figures[name]) for label, name in entry.pop("band_names")]
            for breach in entry["breaches"]:
                breach["figure"] = figures[breach.pop("name")]
            entry["breached"] = sum(b["figure"].count for b in entry["breaches"])
        return {"rows": shown}

    def _plan_row(self, index: int, row: BacklogRow, now: datetime, targets, plans: dict) -> dict:
        """Plan the row's figures (in `plans`); return its entry, figures named, not counted yet."""
        window = row.window(now) if row.window else {}
        base = row.rows().filter(**window)

        def plan(name: str, **lookups) -> str:
            plans[name] = _Planned(
                base.filter(**lookups), changelist_url(row.url_name, row.query, **_narrowed(window, lookups))
            )
            return name

        entry = {
            "key": row.key,
            "label": row.label,
            "total_name": plan(f"{index}"),
            "band_names": [
                (band.label, plan(f"{index}.band{n}", **band.lookups(row.field, now)))
                for n, band in enumerate(row.bands)
            ],
            "breaches": [],
        }
        own = [t.product_id for t in targets if t.product_id and row.product_field]
        for target in sorted(targets, key=lambda t: (t.product_id == "", t.product_id)):
            if target.product_id and not row.product_field:
                continue  # a product target on a queue without products: nothing to measure
            lookups = {f"{row.field}__lt": now - timedelta(minutes=target.minutes)}
            name = f"{index}.target{target.pk}"
            if target.product_id:
                queryset = base.filter(**lookups, **{row.product_field: target.product_id})
                url = changelist_url(
                    row.url_name,
                    row.query,
                    **_narrowed(window, lookups),
                    **{row.product_param: target.product_id},
                )
            else:
                queryset = base.filter(**lookups)
                if own:  # products with a target of their own are measured against it, not this one
                    queryset = queryset.exclude(**{f"{row.product_field}__in": own})
                url = changelist_url(row.url_name, row.query, **_narrowed(window, lookups))
            plans[name] = _Planned(queryset, url)
            entry["breaches"].append(
                {
                    "name": name,
                    "scope": target.product_id or ("other products" if own else "all products"),
                    "target": duration_words(timedelta(minutes=target.minutes)),
                }
            )
        return entry
