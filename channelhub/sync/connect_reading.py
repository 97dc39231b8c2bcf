"""Connect's reading strategies: how a Connect collection is paged into `Batch`es.

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

from collections.abc import Iterator

from django.db import models

from channelhub.sync.streams import Batch, Row, RunContext, Stream, dig, parse_ts
from channelhub.upstream import rql


class ConnectStream(Stream):
    """A stream of a Connect collection (the registry's "connect" client)."""

    upstream = "connect"


class KeysetStream(ConnectStream):
    """An incremental stream over one Connect collection, keyed by its update time."""

    supports_window = True  # a backfill reads (since, until] of the update time
    path: str = ""
    cursor_field: str = "events.updated.at"  # RQL property of the update time

    @property
    def _cursor_path(self) -> tuple[str, ...]:
        return tuple(self.cursor_field.split("."))

    def scope_filter(self) -> str:
        """Extra RQL restricting the collection (e.g. the CONNECT_PRODUCTS scope)."""
        return ""

    def cursor_of(self, payload: dict) -> str | None:
        """The object's update time (its `cursor_field` property), or None if it has none."""
        return dig(payload, self._cursor_path)

    def start(self, ctx: RunContext) -> str | None:
        """Where a run starts: a backfill's `since`, else the cursor less the overlap (None: the start)."""
        if ctx.backfill:
            return ctx.since.isoformat() if ctx.since else None
        at = ctx.cursor.get("at")
        if not at:
            return None
        return (parse_ts(at) - ctx.overlap).isoformat()

    def batches(self, ctx: RunContext) -> Iterator[Batch]:
        """Pages by keyset on (update time, id) at offset 0, each with the cursor after it (see above)."""
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
        """What a page writes: the stream's model's mapped rows (a stream with child rows adds them)."""
        return [(self.model, self.map_rows(items))]


class FullListingStream(ConnectStream):
    """A small collection read whole every run, paged by keyset on the id."""

    path: str = ""

    def scope_filter(self) -> str:
        """Extra RQL restricting the collection; none unless a subclass says."""
        return ""

    def batches(self, ctx: RunContext) -> Iterator[Batch]:
        """The whole collection, page by page in id order, each page starting after the last id read."""
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
