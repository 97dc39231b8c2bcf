"""One sync stream per enabled source, made from the rows (`source_streams`, a stream
provider): `cmp.resources.<source>` reads the source's full listing and reconciles it,
`cmp.metrics.<source>` reads its metrics for the poll window.

A resources pass is a full listing (`ReconcilingStream`) of a `ListedAsideMirror`: the engine
keeps the keys it listed aside, upserts only what changed (and the child rows of what
changed), and once every page is in, `complete` marks what the pass did not list as gone,
revives what came back, unless that would mark more than the source's `hold_share` of its
live resources gone: then nothing is marked and the pass is held for a supervisor
(`inventory.services.passes`). A failed or cut-short pass never reaches `complete`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.conf import settings
from django.utils import timezone

from channelhub.models import GoneReason, SyncRun
from channelhub.sync import listing as listed_keys
from channelhub.sync.reconcile import ReconcilingStream, Scope
from channelhub.sync.streams import Batch, Children, RunContext, Stream

from . import mappers, metrics
from .models import (
    InventorySource,
    Resource,
    ResourceAddress,
    ResourceConnection,
    ResourceMetadata,
    SourceStatus,
)
from .readers import OfSource, SourceFailed, open_listing

logger = logging.getLogger(__name__)


def page_batch(source: InventorySource, page: list[dict], *, now) -> Batch:
    """One page of a listing as a Batch: the resources, and the child rows of those that
    changed (the engine skips the rest: `Children.of_changed`)."""
    params = source.parameters or {}
    account = str(params.get("account_id") or (params.get("parameters") or {}).get("account") or "")
    rows = [mappers.map_resource(item, source_id=source.pk, account=account, now=now) for item in page]
    parents = [pk for pk, _, _ in rows]
    metadata, addresses, connections = [], [], []
    for pk, _, payload in rows:
        metadata += mappers.metadata_rows(pk, payload)
        addresses += mappers.address_rows(pk, payload)
        connections += mappers.connection_rows(pk, payload, source_id=source.pk)
    children = [
        Children(ResourceMetadata, "resource", parents, metadata, of_changed=Resource),
        Children(ResourceAddress, "resource", parents, addresses, of_changed=Resource),
        Children(ResourceConnection, "resource", parents, connections, of_changed=Resource),
    ]
    return Batch(writes=[(Resource, rows)], children=children, fetched=len(page))


class SourceResourcesStream(OfSource, ReconcilingStream):
    """A source's resources: one full listing per pass, reconciled."""

    model = Resource
    gone_reason = GoneReason.DELETED
    description = "The source's full listing of resources (nflex), reconciled per complete pass"

    def source(self) -> InventorySource:
        """The source's row, fresh."""
        return InventorySource.objects.get(pk=self.source_id)

    def kept_listings(self) -> set[int]:
        """A held pass's listing stays until a supervisor confirms or discards it."""
        held = InventorySource.objects.filter(pk=self.source_id).values_list("held_run", flat=True).first()
        return {held} if held else set()

    def batches(self, ctx: RunContext) -> Iterator[Batch]:
        """Read the source whole, page by page."""
        source = self.source()
        InventorySource.objects.filter(pk=source.pk).update(last_run_at=timezone.now())
        try:
            with open_listing(source) as listing:
                for page in listing.pages(settings.INVENTORY_PAGE_SIZE):
                    yield page_batch(source, page, now=ctx.started_at)
                ctx.extra["listing"] = {
                    "state": listing.state,
                    "logs": listing.logs[-200:],
                    "count": listing.count,
                }
        except SourceFailed as exc:
            record_failure(source, exc)
            raise
        except Exception as exc:  # our bug or the database: the run fails, the source says so
            record_failure(source, SourceFailed("error", f"The pass failed: {type(exc).__name__}: {exc}"))
            raise

    def scopes(self, ctx: RunContext):
        """The source's resources: a pass lists them all."""
        return [Scope(Resource.objects.filter(source_id=self.source_id), self.gone_reason)]

    def complete(self, ctx: RunContext) -> int:
        """Reconcile the pass, or hold it when too many would vanish."""
        source = self.source()
        scope = self.judged(ctx, Resource.objects.filter(source_id=source.pk))
        live = scope.filter(gone_at__isnull=True).count()
        vanishing = self.vanished(ctx, scope).count()
        revived = self.listed(ctx, scope.filter(gone_at__isnull=False)).count()
        info = ctx.extra.get("listing", {})
        counts = _run_counts(ctx.run_id) | {
            "gone": vanishing,
            "revived": revived,
            "listed": info.get("count", 0),
        }
        fields = {
            "state": info.get("state", source.state),
            "last_logs": info.get("logs", []),
            "last_counts": counts,
        }
        if live and vanishing and source.hold_share < 1 and vanishing > source.hold_share * live:
            InventorySource.objects.filter(pk=source.pk).update(
                status=SourceStatus.HELD,
                held_run=ctx.run_id,
                held_at=timezone.now(),
                held_count=vanishing,
                held_live=live,
                last_error=f"Held: {vanishing} of {live} live resources would vanish; nothing was marked gone.",
                last_traceback="",
                **fields,
            )
            if source.held_run and source.held_run != ctx.run_id:
                listed_keys.drop(source.held_run)  # the older held pass is superseded
            logger.warning(
                "inventory %s: pass %s held (%d of %d would vanish)", source.name, ctx.run_id, vanishing, live
            )
            return 0
        changed = apply_pass(source, ctx.run_id, started_at=ctx.started_at)
        InventorySource.objects.filter(pk=source.pk).update(last_error="", last_traceback="", **fields)
        return changed


def apply_pass(source: InventorySource, run: int, *, started_at) -> int:
    """Mark what pass `run` did not list as gone (last seen at the source's previous complete
    pass) and revive what it listed; the source is then read completely. Under the stream's
    lock (the engine's `complete`, or a supervisor confirming a held pass)."""
    stream = SourceResourcesStream(source)
    scope = Resource.objects.filter(source_id=source.pk, synced_at__lt=started_at)
    previous = source.last_complete_at
    if previous is not None:
        from channelhub.sync.reconcile import vanished  # noqa: PLC0415 - beside its one use

        vanished(scope, run=run).update(last_seen_at=previous)
    changed = ReconcilingStream.complete(stream, _Ctx(run, started_at))
    now = timezone.now()
    old_held = source.held_run
    InventorySource.objects.filter(pk=source.pk).update(
        status=SourceStatus.OK,
        last_success_at=now,
        last_complete_at=started_at,
        held_run=None,
        held_at=None,
        held_count=0,
        held_live=0,
    )
    if old_held and old_held != run:
        listed_keys.drop(old_held)
    return changed


class _Ctx:
    """The two things reconcile reads of a run's context."""

    def __init__(self, run_id: int, started_at):
        self.run_id = run_id
        self.started_at = started_at


def _run_counts(run_id: int | None) -> dict:
    row = SyncRun.objects.filter(pk=run_id).values("created", "updated", "unchanged", "fetched").first()
    return dict(row or {})


def record_failure(source: InventorySource, exc: SourceFailed) -> None:
    """A pass that could not read the source: its status and words, traceback, logs."""
    InventorySource.objects.filter(pk=source.pk).update(
        status=exc.source_status,
        last_error=exc.words[:2000],
        last_traceback=exc.traceback[:8000],
        last_logs=exc.logs[-200:],
    )


def source_streams() -> list[Stream]:
    """The stream provider: a resources stream per source (a disabled one is listed but not
    configured, so its runs and state stay visible), and a metrics stream per source that
    reports metrics."""
    streams: list[Stream] = []
    for source in InventorySource.objects.all():
        streams.append(SourceResourcesStream(source))
        if metrics.reports_metrics(source):
            streams.append(metrics.SourceMetricsStream(source))
    return streams
