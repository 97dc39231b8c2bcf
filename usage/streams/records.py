"""Usage records: pulled per file, only when the file has records and changed since its last pull.

A file's records change only with the file: an upload replaces them, submit/accept/reject move
their statuses, closing one moves the file's `records.closed` counter. So each run pulls the
records of the files that are in a status with records (`FILE_STATUSES_WITH_RECORDS`) and whose
state (`pull_digest`: status, stats, record counters and upload time, from the mirror the files
stream just refreshed) differs from `UsageFile.records_pulled_for`, the state their records were
last pulled for. Files that did not change cost nothing, not even a request.

A file's records are read in bulk, by keyset on the id within `usagefile.id` (`gt(id,last)`,
offset 0), through the engine: each page is one `Batch` written with the cursor
`{"file", "for", "upload", "after"}` in one transaction, so a run that dies mid-file resumes
after the last committed record. The file's last page carries the cursor `{..., "done": true}`:
the marker is committed in the same transaction as that page. It is then copied onto the file
row (`records_pulled_for`, `records_pulled_upload`) in the next transaction, and again by the next
run if the process died in between, so a file is never marked pulled before its last page is in.

Records of a re-uploaded file are new upstream: when the file's upload (`events.uploaded.at`)
differs from the one its records were pulled for, the first page replaces the file's records
(`Children`: the mirror's records of the file not on it are deleted), the next pages add theirs.
Otherwise records are upserted: unchanged ones cost no write; and if, once the file is read, the
mirror holds more of its records than upstream listed (records replaced within the same second of
upload time), the file is read once more with its first page replacing them.

Numbers are read exact (`exact.exact_page`): `usage` and `amount` are Decimal from the JSON text.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from channelhub.sync.connect_reading import ConnectStream
from channelhub.sync.streams import Batch, Children, RunContext, dig
from channelhub.sync.upsert import canonical_json, digest
from channelhub.upstream import rql
from usage import mappers
from usage.choices import FILE_STATUSES_WITH_RECORDS
from usage.models import UsageFile, UsageRecord

from .exact import page_bytes, parse_page

_FILE_STATE = ("pk", "status", "stats", "records_valid", "records_invalid", "records_closed", "payload")


def pull_digest(status: str, stats: dict, valid: int, invalid: int, closed: int, upload: str) -> str:
    """The state of a file its records depend on, as a digest (`UsageFile.records_pulled_for`)."""
    return digest(canonical_json([status, stats or {}, valid, invalid, closed, upload]))


def upload_of(payload: dict) -> str:
    """The file's upload time as Connect wrote it (`events.uploaded.at`), "" if never uploaded."""
    return str(dig(payload or {}, ("events", "uploaded", "at")) or "")


def file_state(usage_file: UsageFile) -> tuple[str, str]:
    """(pull digest, upload) of a mirrored file."""
    upload = upload_of(usage_file.payload)
    state = pull_digest(
        usage_file.status,
        usage_file.stats,
        usage_file.records_valid,
        usage_file.records_invalid,
        usage_file.records_closed,
        upload,
    )
    return state, upload


class UsageRecordStream(ConnectStream):
    """The records of every file that has records and changed since they were last pulled."""

    name = "connect.usage-records"
    description = "Connect usage records (of files that changed since their last pull)"
    model = UsageRecord
    path = "/usage/records"
    schedule_minutes = 5
    schedule_words = "every 5 minutes"

    mapper = staticmethod(mappers.map_usage_record)

    def cursor_key(self, cursor: dict) -> tuple | None:
        """No time in this stream's cursor: every page's cursor is stored as it comes."""
        return None

    def due(self) -> list[tuple[str, str, str, int]]:
        """(file id, pull digest, upload, expected records) of each file whose records are to be
        pulled, in id order."""
        out = []
        files = UsageFile.objects.filter(status__in=FILE_STATUSES_WITH_RECORDS).order_by("pk")
        for usage_file in files.only(*_FILE_STATE, "records_pulled_for").iterator():
            state, upload = file_state(usage_file)
            if state != usage_file.records_pulled_for:
                expected = usage_file.records_valid + usage_file.records_invalid
                out.append((usage_file.pk, state, upload, expected))
        return out

    @staticmethod
    def mark_pulled(cursor: dict) -> None:
        """Copy a finished pull's marker (a `done` cursor) onto its file row."""
        if cursor.get("done") and cursor.get("file"):
            UsageFile.objects.filter(pk=cursor["file"]).update(
                records_pulled_for=cursor.get("for", ""), records_pulled_upload=cursor.get("upload", "")
            )

    def batches(self, ctx: RunContext) -> Iterator[Batch]:
        """Each due file's records, page by page (see the module); resumes a file a failed run left."""
        self.mark_pulled(ctx.cursor)  # the last run may have died between its last page and this
        due = self.due()
        if not due:
            return
        pulled = dict(
            UsageFile.objects.filter(pk__in=[d[0] for d in due]).values_list("pk", "records_pulled_upload")
        )
        left = sum(d[3] for d in due)
        for file_id, state, upload, expected in due:
            resume = ""
            cursor = ctx.cursor
            if not cursor.get("done") and cursor.get("file") == file_id and cursor.get("for") == state:
                resume = cursor.get("after") or ""
            replace = not resume and pulled.get(file_id, "") != upload
            listed = 0
            for batch in self.pages(ctx, file_id, state, upload, after=resume, replace=replace):
                listed += batch.fetched
                left = max(left - batch.fetched, 0)
                batch.remaining = left
                yield batch  # the engine has committed it (and its cursor) when this returns
            self.mark_pulled({"done": True, "file": file_id, "for": state, "upload": upload})
            self.pull_categories(ctx, file_id)
            if not replace and self.has_stale(file_id, expected if resume else listed):
                # Records replaced upstream without a new upload time (a re-upload in the same
                # second): read the file again, its first page replacing what the mirror holds.
                yield from self.pages(ctx, file_id, state, upload, after="", replace=True)
                self.mark_pulled({"done": True, "file": file_id, "for": state, "upload": upload})

    @staticmethod
    def pull_categories(ctx: RunContext, file_id: str) -> None:
        """The file's categories (`/usage/files/{id}/categories`), read with its records: they
        come with an upload, like the records, and Connect's list of files does not carry them."""
        page = ctx.client.list_page(f"/usage/files/{file_id}/categories", limit=1000)
        categories = [
            {k: str(c.get(k) or "") for k in ("id", "name", "description")}
            for c in page.items
            if isinstance(c, dict)
        ]
        UsageFile.objects.filter(pk=file_id).update(categories=categories)

    @staticmethod
    def has_stale(file_id: str, upstream_count: int) -> bool:
        """Whether the mirror holds more records of the file than upstream has (some are stale)."""
        return UsageRecord.objects.filter(usage_file_id=file_id).count() > upstream_count

    def pages(self, ctx: RunContext, file_id: str, state: str, upload: str, *, after: str, replace: bool):
        """The pages of one file's records after record id `after`; the last one's cursor is `done`.

        One page is read ahead: as soon as a page is parsed (the keyset needs only its last id),
        the next one is requested by a worker thread, which waits for the sandbox or Connect
        while this thread maps the page and the engine writes it. Only the HTTP read runs in the
        worker (it holds the GIL little; parsing there would hold it while the writes want it
        back after each SQLite step). Nothing but reads runs ahead: a run that fails has
        committed exactly the pages before the failure, and the worker touches no database."""
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="usage-records")
        try:
            ahead = pool.submit(self.page_bytes, ctx, file_id, after)
            first = True
            while True:
                items = parse_page(ahead.result(), url=self.path)  # the worker's error is raised here
                done = len(items) < ctx.page_size
                if items:
                    after = items[-1]["id"]
                if not done:
                    ahead = pool.submit(self.page_bytes, ctx, file_id, after)
                rows = self.map_rows(items)
                cursor = {"file": file_id, "for": state, "upload": upload, "after": after}
                if done:
                    cursor["done"] = True
                if first and replace:
                    batch = Batch(writes=[], children=[Children(UsageRecord, "usage_file", [file_id], rows)])
                else:
                    batch = Batch(writes=[(UsageRecord, rows)])
                batch.cursor, batch.fetched = cursor, len(items)
                yield batch
                first = False
                if done:
                    return
        finally:  # also when the engine stops early: the page read ahead is waited for, not written
            pool.shutdown(wait=True, cancel_futures=True)

    def page_bytes(self, ctx: RunContext, file_id: str, after: str) -> bytes:
        """The body of one page of the file's records after record id `after` (in id order)."""
        return page_bytes(
            ctx.client,
            self.path,
            filters=rql.and_(rql.eq("usagefile.id", file_id), rql.gt("id", after) if after else ""),
            ordering=("id",),
            limit=ctx.page_size,
        )
