"""Usage files: no update time upstream, so two reads per run (docs/sync.md, "Usage").

(a) New files, by keyset on `(created.at, id)` from the stored cursor (less the overlap), as
    `KeysetStream` pages any collection: files created since the last run, and only those.
(b) Every file the mirror holds in a status that can still change (anything but `closed` and
    `deleted`), re-read by id, `in(id,(...))` pages of `IDS_PER_PAGE`: a file whose payload is
    unchanged costs a hash comparison and no write; one that moved is written.

Nothing is missed: a file is either created after the cursor (a), or already in the mirror; if
its mirrored status can change, (b) reads it every run; if not, it never changes again. The
records stream's markers (`records_pulled_for`, `records_pulled_upload`) are not in the
payload: a file written here keeps them (read for the page's ids and written back unchanged).
"""

from __future__ import annotations

from collections.abc import Iterator

from channelhub.sync.connect_reading import KeysetStream
from channelhub.sync.streams import Batch, RunContext, dig
from channelhub.upstream import rql
from usage import mappers
from usage.choices import TERMINAL_FILE_STATUSES
from usage.models import UsageFile

IDS_PER_PAGE = 100  # ids per `in(id,(...))` page: ~2.5 kB of URL
MARKERS = ("records_pulled_for", "records_pulled_upload", "categories")


class UsageFileStream(KeysetStream):
    """Usage files: new ones by creation time, then every file that can still change, by id."""

    name = "connect.usage-files"
    description = "Connect usage files (new by creation time; open ones re-read every run)"
    model = UsageFile
    path = "/usage/files"
    cursor_field = "created.at"  # the RQL property; the payload has it as events.created.at
    schedule_minutes = 5
    schedule_words = "every 5 minutes"

    mapper = staticmethod(mappers.map_usage_file)

    def cursor_of(self, payload: dict) -> str | None:
        """The file's creation time (`events.created.at`; `created_at` in older payloads)."""
        return dig(payload, ("events", "created", "at")) or payload.get("created_at")

    def batches(self, ctx: RunContext) -> Iterator[Batch]:
        """(a) the new files by keyset, then (b) the open ones by id (see the module)."""
        yield from super().batches(ctx)
        if ctx.backfill:
            return  # a backfill re-reads a window of creation times, nothing else
        yield from self.open_files(ctx)

    def open_files(self, ctx: RunContext) -> Iterator[Batch]:
        """Every mirrored file not closed or deleted, re-read by id; no cursor (nothing to resume:
        the next run reads them all again)."""
        ids = list(
            UsageFile.objects.exclude(status__in=TERMINAL_FILE_STATUSES)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for start in range(0, len(ids), IDS_PER_PAGE):
            chunk = ids[start : start + IDS_PER_PAGE]
            page = ctx.client.list_page(
                self.path, filters=rql.in_("id", chunk), ordering=("id",), limit=len(chunk)
            )
            yield Batch(
                writes=self.writes_for(page.items, ctx),
                fetched=len(page.items),
                remaining=len(ids) - start - len(chunk),
            )

    def writes_for(self, items: list[dict], ctx: RunContext):
        """The page's files, each keeping the records stream's markers (not in the payload)."""
        rows = self.map_rows(items)
        kept = {
            pk: dict(zip(MARKERS, values, strict=True))
            for pk, *values in UsageFile.objects.filter(pk__in=[pk for pk, _, _ in rows]).values_list(
                "pk", *MARKERS
            )
        }
        for pk, fields, _ in rows:
            fields.update(kept.get(pk, {}))
        return [(UsageFile, rows)]
