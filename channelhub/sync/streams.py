"""What a stream is: one upstream collection, how to read it, and where it lands.

A stream yields `Batch`es; the engine writes each batch (one bulk upsert per model) in one
transaction together with the batch's cursor. Two reading strategies cover Connect:

- `KeysetStream`: incremental by the upstream update time. Pages are read by keyset,
  `(updated, id) > (last seen)`, ordered by `(updated, id)`, always at offset 0: an object
  that changes while we page moves *behind* the position and is read later in the same run,
  and inserts never shift what is left to read, so nothing is skipped or read twice
  (offset paging over a changing list does skip). An incremental run starts an overlap
  window (`SYNC_OVERLAP_SECONDS`) behind the stored cursor, because upstream clocks and
  late writes lie; re-reading the overlap is free since unchanged rows are not written.
- `FullListingStream`: small collections without a usable update time (marketplaces, hubs),
  read whole each run by keyset on the id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models

from channelhub.upstream import rql

Row = tuple[str, dict, dict]  # (pk, mapped fields, raw payload)


@dataclass
class Batch:
    """What one page becomes: rows per model, the cursor after it, and what is left upstream."""

    writes: list[tuple[type[models.Model], list[Row]]]
    cursor: dict | None = None
    fetched: int = 0
    remaining: int | None = None


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


def dig(payload: dict, path: tuple[str, ...]):
    """payload['a']['b']... or None when any step is missing."""
    node = payload
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def parse_ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class Stream:
    """Base of every stream. Subclasses set the attributes and implement `batches`."""

    name: str = ""
    upstream: str = "connect"
    model: type[models.Model]
    description: str = ""
    schedule_minutes: int = 60  # how often the scheduler runs it
    schedule_words: str = ""  # the same, in words, for the admin and README

    def is_configured(self) -> bool:
        from channelhub.upstream.connect import ConnectClient

        return ConnectClient.is_configured()

    def not_configured_reason(self) -> str:
        return "Connect is not configured (CONNECT_API_URL / CONNECT_API_KEY are empty)"

    def client(self):
        from channelhub.upstream.connect import ConnectClient

        return ConnectClient.from_settings()

    def batches(self, ctx: RunContext) -> Iterator[Batch]:
        raise NotImplementedError

    def complete(self, ctx: RunContext) -> int | None:
        """Called once after every batch of a run was written, in its own transaction under
        the stream's lock; never after a failed run. Full-listing streams reconcile here (see
        `channelhub.sync.reconcile`), from the keys they collected in `ctx.extra` while paging.
        Returns how many rows it changed (added to the run's `updated`), or None."""
        return None

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
        mapper = self.mapper
        return [(p["id"], mapper(p), p) for p in payloads]

    def __repr__(self):
        return f"<{type(self).__name__} {self.name}>"


class KeysetStream(Stream):
    """An incremental stream over one Connect collection, keyed by its update time."""

    path: str = ""
    cursor_field: str = "events.updated.at"  # RQL property of the update time

    @property
    def _cursor_path(self) -> tuple[str, ...]:
        return tuple(self.cursor_field.split("."))

    def scope_filter(self) -> str:
        """Extra RQL restricting the collection (e.g. the CONNECT_PRODUCTS scope)."""
        return ""

    def cursor_of(self, payload: dict) -> str | None:
        return dig(payload, self._cursor_path)

    def start(self, ctx: RunContext) -> str | None:
        if ctx.backfill:
            return ctx.since.isoformat() if ctx.since else None
        at = ctx.cursor.get("at")
        if not at:
            return None
        return (parse_ts(at) - ctx.overlap).isoformat()

    def batches(self, ctx: RunContext) -> Iterator[Batch]:
        field_ = self.cursor_field
        pos_at, pos_id = self.start(ctx), ""
        upper = rql.lt(field_, ctx.until.isoformat()) if ctx.until else ""
        scope = self.scope_filter()
        tail_read = False
        while True:
            if pos_at is None:
                position = ""
            elif not pos_id:
                position = rql.ge(field_, pos_at)
            else:
                position = rql.or_(
                    rql.gt(field_, pos_at), rql.and_(rql.eq(field_, pos_at), rql.gt("id", pos_id))
                )
            page = ctx.client.list_page(
                self.path,
                filters=rql.and_(scope, position, upper),
                ordering=(field_, "id"),
                limit=ctx.page_size,
            )
            items = page.items
            remaining = max(page.total - len(items), 0)
            if items:
                last = items[-1]
                last_at = self.cursor_of(last)
                if last_at is None:
                    raise ValueError(f"{self.name}: upstream object {last.get('id')} has no {field_}")
                pos_at, pos_id = last_at, last["id"]
                yield Batch(
                    writes=self.writes_for(items, ctx),
                    cursor={"at": pos_at, "id": pos_id},
                    fetched=len(items),
                    remaining=remaining,
                )
            if not items or remaining == 0:
                if tail_read or pos_at is None:
                    return
                # Update times have second precision: an object changed while we paged may now
                # share the last position's second yet sort before it by id. Re-read that
                # second once (unchanged rows cost no write) so a run misses nothing it raced.
                tail_read, pos_id = True, ""

    def writes_for(self, items: list[dict], ctx: RunContext) -> list[tuple[type[models.Model], list[Row]]]:
        return [(self.model, self.map_rows(items))]


class FullListingStream(Stream):
    """A small collection read whole every run, paged by keyset on the id."""

    path: str = ""

    def scope_filter(self) -> str:
        return ""

    def batches(self, ctx: RunContext) -> Iterator[Batch]:
        last_id = ""
        while True:
            page = ctx.client.list_page(
                self.path,
                filters=rql.and_(self.scope_filter(), rql.gt("id", last_id) if last_id else ""),
                ordering=("id",),
                limit=ctx.page_size,
            )
            if not page.items:
                return
            last_id = page.items[-1]["id"]
            remaining = max(page.total - len(page.items), 0)
            yield Batch(
                writes=[(self.model, self.map_rows(page.items))], fetched=len(page.items), remaining=remaining
            )
            if remaining == 0:
                return


def default_page_size() -> int:
    return settings.SYNC_PAGE_SIZE
