"""The sync engine: runs one stream, page by page, resumably, under the stream's lock.

Each page (a `Batch`) is written in one transaction together with the stream's cursor and
the run's counters, after renewing the lock lease: its rows (one change-only upsert per
model), its child-row replacements, and for a reconciling stream the run's stamp on every
reconciled row it listed (`channelhub.sync.reconcile`). So a crash at any point leaves the
mirror and the cursor consistent at the last committed page, and the next run resumes from
there (minus the overlap window); the stored cursor never moves back. Once every page is in,
`stream.complete(ctx)` runs in its own transaction, still under the lock: where full-listing
streams reconcile (mark what they did not list as gone). Every run leaves a `SyncRun` row, a
skipped one too; a run whose worker died is closed as failed ("worker lost") by the next run
(see `lock`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from channelhub.automation import triggers
from channelhub.models import ListedAsideMirror, StreamState, SyncRun, SyncRunStatus, SyncTrigger
from channelhub.observability.logs import log_context
from channelhub.upstream.errors import UpstreamError

from . import listing, lock, registry
from .streams import RunContext
from .upsert import STAMP, UpsertCounts, replace_children, upsert_rows

logger = logging.getLogger(__name__)


@dataclass
class Progress:
    """What a progress callback is told after each page."""

    run: SyncRun
    fetched: int
    remaining: int | None


ProgressCallback = Callable[[Progress], None]


def run_stream(
    name: str,
    *,
    trigger: str = SyncTrigger.COMMAND,
    since: datetime | None = None,
    until: datetime | None = None,
    backfill: bool = False,
    page_size: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> SyncRun:
    """Run one stream once and return its SyncRun (succeeded, failed or skipped).

    Never raises for upstream or data errors: they are recorded on the SyncRun, which the
    caller inspects. Raises `registry.UnknownStream` for a name that is not a stream.
    """
    stream = registry.get(name)
    if backfill:
        trigger = SyncTrigger.BACKFILL
    if not stream.is_configured():
        return _skipped(name, trigger, stream.not_configured_reason())

    lock.close_lost_runs()  # runs of dead workers, of any stream, stop showing as running
    owner = lock.new_owner()
    if not lock.acquire(name, owner):
        held = lock.holder(name)
        if held:
            who = f"lock held by {lock.describe(held[0])} until {held[1]:%Y-%m-%d %H:%M:%S %Z}"
        else:
            who = "the lock was released just now; try again"
        logger.info("sync %s: already running (%s); skipped", name, who)
        # Saved, so a busy stream shows in the run list (one row per skipped tick at most).
        return _skipped(name, trigger, f"already running: {who}")

    run = SyncRun.objects.create(
        stream=name, trigger=trigger, window_since=since, window_until=until, owner=owner
    )
    with log_context(sync_run=run.pk):  # every line of the run carries its id (JSON logs)
        try:
            listing.drop_stale(name, keep=stream.kept_listings())  # a dead worker's run left its keys
            state = StreamState.objects.get(stream=name)
            ctx = RunContext(
                client=stream.client(),
                cursor=dict(state.cursor or {}),
                page_size=page_size or settings.SYNC_PAGE_SIZE,
                overlap=timedelta(seconds=settings.SYNC_OVERLAP_SECONDS),
                since=since,
                until=until,
                backfill=backfill,
                run_id=run.pk,
                started_at=run.started_at,
            )
            if not backfill and run.window_since is None and ctx.cursor.get("at"):
                run.window_since = datetime.fromisoformat(ctx.cursor["at"]) - ctx.overlap
            fetched = 0
            for batch in stream.batches(ctx):
                fetched += batch.fetched
                _write_batch(stream, run, batch, owner, fetched=fetched, backfill=backfill)
                if on_progress:
                    on_progress(Progress(run=run, fetched=fetched, remaining=batch.remaining))
            # Every page is in: the pass was complete, so the stream may conclude from what it did
            # not see (reconcile). Never after a failure: a partial pass proves nothing is gone.
            with transaction.atomic():
                lock.renew(name, owner)
                changed = stream.complete(ctx)
                if changed:
                    run.updated += changed
                    run.save(update_fields=["updated"])
                if run.pk not in stream.kept_listings():
                    listing.drop(run.pk)
            run.status = SyncRunStatus.SUCCEEDED
            run.progress = 100
            StreamState.objects.filter(stream=name).update(last_success_at=timezone.now())
        except UpstreamError as exc:
            logger.warning("sync %s run %s failed: %s", name, run.pk, exc)
            run.status = SyncRunStatus.FAILED
            run.error = str(exc)
            run.error_detail = exc.as_detail()
        except Exception as exc:
            logger.exception("sync %s run %s crashed", name, run.pk)
            run.status = SyncRunStatus.FAILED
            run.error = f"{exc.__class__.__name__}: {exc}"
            run.error_detail = {"exception": exc.__class__.__name__}
        finally:
            if run.status == SyncRunStatus.FAILED:
                listing.drop(run.pk)  # a partial listing proves nothing
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "progress", "error", "error_detail", "finished_at"])
            lock.release(name, owner)
    return run


def _skipped(name: str, trigger: str, reason: str) -> SyncRun:
    return SyncRun.objects.create(
        stream=name, trigger=trigger, status=SyncRunStatus.SKIPPED, finished_at=timezone.now(), error=reason
    )


def _write_batch(stream, run: SyncRun, batch, owner: str, *, fetched: int, backfill: bool) -> None:
    """One page in one transaction: the rows, the cursor (never moving back) and the run's
    counters, after renewing the lease so that only the current holder ever commits a page."""
    name = stream.name
    now = timezone.now()
    with transaction.atomic():
        lock.renew(name, owner)
        changed: dict[type, set[str]] = {}
        created: dict[type, set[str]] = {}
        for model, rows in batch.writes:
            counts = upsert_rows(model, rows, now=now, seen_run=_stamp_for(stream, model, run))
            changed.setdefault(model, set()).update(counts.created_ids, counts.updated_ids)
            created.setdefault(model, set()).update(counts.created_ids)
            _count(run, stream, model, counts)
            if stream.stamps_seen and issubclass(model, ListedAsideMirror):
                listing.write(name, run.pk, model, [pk for pk, _, _ in rows])
        for children in batch.children:
            if children.of_changed is not None:
                children = listing.of_changed_parents(children, changed.get(children.of_changed, set()))
            model = children.model
            counts = replace_children(
                model,
                children.parent_field,
                children.parents,
                children.rows,
                now=now,
                seen_run=_stamp_for(stream, model, run),
                fresh=created.get(children.of_changed, set()) if children.of_changed is not None else set(),
            )
            _count(run, stream, model, counts, deleted=True)
        for model, ids in changed.items():
            triggers.note_changes(model, ids)  # processors subscribed to these rows, same commit
        if batch.cursor is not None and not backfill:
            # Pages of the overlap window lie behind the stored cursor: a run that dies
            # there must not leave the stream further back than where it started.
            stored = StreamState.objects.filter(stream=name).values_list("cursor", flat=True).get()
            cursor = stream.later_cursor(stored or {}, batch.cursor)
            if cursor != stored:
                StreamState.objects.filter(stream=name).update(cursor=cursor)
        run.pages += 1
        run.fetched = fetched
        if batch.remaining is not None:
            run.total_estimate = fetched + batch.remaining
            run.progress = min(100, int(fetched * 100 / max(run.total_estimate, 1)))
        run.save(
            update_fields=[
                "pages", "fetched", "created", "updated", "unchanged",
                "total_estimate", "progress", "window_since", "model_counts",
            ]
        )  # fmt: skip


def _stamp_for(stream, model, run: SyncRun) -> int | None:
    """The run's id when its rows of `model` are stamped as listed (a reconciling stream and a
    reconciled model), else None."""
    if stream.stamps_seen and any(f.attname == STAMP for f in model._meta.concrete_fields):
        return run.pk
    return None


def _count(run: SyncRun, stream, model, counts: UpsertCounts, *, deleted: bool = False) -> None:
    """Add a write's counts to the run's per-model counts (and to its own, for the stream's model)."""
    zero = {"created": 0, "updated": 0, "unchanged": 0}
    per_model = run.model_counts.setdefault(model._meta.label_lower, zero)
    per_model["created"] += counts.created
    per_model["updated"] += counts.updated
    per_model["unchanged"] += counts.unchanged
    if deleted:
        per_model["deleted"] = per_model.get("deleted", 0) + counts.deleted
    if model is stream.model:
        run.created += counts.created
        run.updated += counts.updated
        run.unchanged += counts.unchanged
