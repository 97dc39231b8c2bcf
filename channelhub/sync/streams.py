"""What a stream is: one upstream collection, how to read it, and where it lands.

A stream yields `Batch`es; the engine writes each batch (one bulk upsert per model, and the
child-row replacements it carries) in one transaction together with the batch's cursor. The engine knows no upstream: a stream names
its upstream (`upstream`), whose client comes from the registry (`channelhub.registry`,
`register_upstream`). Connect's reading strategies (keyset by update time, full listing) are
in `channelhub.sync.connect_reading`, shared by the apps that mirror Connect collections.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models

from channelhub import registry

Row = tuple[str, dict, dict]  # (pk, mapped fields, raw payload)


@dataclass
class Children:
    """ "Replace the children of these parents": in the page's transaction, the rows of `model`
    whose `parent_field` is one of `parents` and that are not in `rows` are deleted, and `rows`
    are upserted (a change-only upsert, so `model` is a MirroredModel). Every row's parent must
    be one of `parents`; a parent listed with no rows loses all its children."""

    model: type[models.Model]
    parent_field: str  # the field name on `model` ("conversation"), a foreign key or a plain id
    parents: list[str]
    rows: list[Row]
    # Children made from their parent's payload (a resource's metadata): with the parents'
    # model here, the engine replaces only the children of parents its upsert of that model
    # in the same batch created or changed; an unchanged parent's children are unchanged too,
    # so a page where nothing changed reads and writes no child row.
    of_changed: type[models.Model] | None = None


@dataclass
class Batch:
    """What one page becomes: rows per model, child rows to replace, the cursor after it, and
    what is left upstream."""

    writes: list[tuple[type[models.Model], list[Row]]]
    cursor: dict | None = None
    fetched: int = 0
    remaining: int | None = None
    children: list[Children] = field(default_factory=list)


@dataclass
class RunContext:
    """Everything a stream needs for one run."""

    client: object
    cursor: dict
    page_size: int
    overlap: timedelta
    since: datetime | None = None  # backfill window
    until: datetime | None = None
    backfill: bool = False
    extra: dict = field(default_factory=dict)
    run_id: int | None = None  # the SyncRun's pk: reconcile's stamp (`ReconciledMirror.seen_run`)
    started_at: datetime | None = None  # when the run began: later writes by others are not judged


def dig(payload: dict, path: tuple[str, ...]):
    """payload['a']['b']... or None when any step is missing."""
    node = payload
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def parse_ts(value: str) -> datetime:
    """An upstream ISO 8601 time (`Z` for UTC accepted) as a datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class Stream:
    """Base of every stream. Subclasses set the attributes and implement `batches`."""

    name: str = ""
    upstream: str = ""  # a name in the registry's upstream clients ("connect", "channel", ...)
    # Capabilities the commands look at (instead of isinstance checks):
    supports_window = False  # backfill --since/--until reads only that window
    # The engine stamps the run on every row of a reconciled model its pages write (unchanged
    # rows too), for reconcile to find what a complete pass did not list (ReconcilingStream).
    stamps_seen = False
    model: type[models.Model]
    description: str = ""
    schedule_minutes: int = 60  # how often the scheduler runs it
    schedule_words: str = ""  # the same, in words, for the admin and README

    def is_configured(self) -> bool:
        """Whether the stream's upstream has the settings it needs to be read."""
        return registry.upstream(self.upstream).is_configured()

    def not_configured_reason(self) -> str:
        """What the stream's upstream lacks, for a message to the operator."""
        return registry.upstream(self.upstream).not_configured_reason

    def client(self):
        """A client for the stream's upstream, built from settings."""
        return registry.upstream(self.upstream).from_settings()

    def batches(self, ctx: RunContext) -> Iterator[Batch]:
        """Read the upstream from `ctx.cursor` and yield one `Batch` per page (each subclass's own)."""
        raise NotImplementedError

    def complete(self, ctx: RunContext) -> int | None:
        """Called once after every batch of a run was written, in its own transaction under
        the stream's lock; never after a failed run. Full-listing streams reconcile here
        (`channelhub.sync.reconcile.ReconcilingStream`), from the run's stamp on the rows.
        Returns how many rows it changed (added to the run's `updated`), or None."""
        return None

    def kept_listings(self) -> set[int]:
        """Runs whose listed keys (`channelhub.ListedKey`) must outlive the run: a pass a
        stream holds for someone's decision (an inventory source's mass-vanish hold). The
        engine drops every other run's keys once the run is over."""
        return set()

    def cursor_key(self, cursor: dict) -> tuple | None:
        """Where a cursor stands, to compare two: `(at, id)`; None when it has no `at` yet.
        Cursors of equal standing (a pass moving from customer to customer) compare equal."""
        at = (cursor or {}).get("at")
        if not at:
            return None
        return (parse_ts(at), str(cursor.get("id") or ""))

    def later_cursor(self, stored: dict, new: dict) -> dict:
        """The cursor to store after a page: `new`, unless it stands below `stored` (a page of
        the overlap window, read again behind the stored cursor)."""
        stored_key, new_key = self.cursor_key(stored), self.cursor_key(new)
        if stored_key is None:
            return new
        if new_key is None:
            return stored
        try:
            return new if new_key >= stored_key else stored
        except TypeError:  # a naive and an aware time: nothing to go by
            return new

    # payload -> model fields; set as `mapper = staticmethod(mappers.map_x)` in a subclass.
    mapper: Callable[[dict], dict]

    def map_rows(self, payloads: list[dict]) -> list[Row]:
        """Each payload as a `Row`: its id, its fields through `mapper`, and the payload itself."""
        mapper = self.mapper
        return [(p["id"], mapper(p), p) for p in payloads]

    def __repr__(self):
        return f"<{type(self).__name__} {self.name}>"


def default_page_size() -> int:
    """The configured number of rows a page asks for (`SYNC_PAGE_SIZE`)."""
    return settings.SYNC_PAGE_SIZE
