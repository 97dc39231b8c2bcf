"""Reconcile: what a complete full listing did not show is gone upstream (DESIGN.md §2).

Sources without an update cursor (Cloud Channel customers and entitlements, CMP inventory)
are read whole every run. An object that disappeared upstream simply stops being listed, so
after a *complete* pass (the engine calls `Stream.complete` only then) the stream marks the
rows it did not see: `gone_at` = now and a `gone_reason`, never a delete, so history and the
audit trail keep their target. A row that is listed again is revived (`gone_at` cleared):
the bulk upsert does that by itself for a row whose payload changed, this does it for one
that came back unchanged.

Nothing is held in memory while paging: the engine stamps the run's id on every row of a
reconciled model that a page of a `ReconcilingStream` lists (`ReconciledMirror.seen_run`,
unchanged rows too), in the page's transaction. Completing a scope is then one UPDATE over
it: live rows not stamped with this run are marked gone, gone rows stamped with it are
revived. A failed run stamps some rows and completes nothing; the next run has its own id, so
its stamps mean nothing to it. Run ids are never reused (SQLite AUTOINCREMENT, PostgreSQL
sequences), so a stamp can only equal the run that wrote it.

Works on any model with `gone_at`, `gone_reason` and `seen_run` columns (a `ReconciledMirror`),
and on a `ListedAsideMirror`, whose listed keys are kept in `channelhub.ListedKey` instead of
a stamp on the row (`channelhub.sync.listing`): there an unchanged row is never written.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from channelhub.models import GoneReason, ListedAsideMirror

from . import listing
from .streams import RunContext, Stream

logger = logging.getLogger(__name__)

CHUNK = 500


def listed_by(model: type[models.Model], run: int) -> Q:
    """The condition "`run` listed this row": its stamp (`ReconciledMirror.seen_run`), or its
    key kept aside (`ListedAsideMirror`, `channelhub.sync.listing`)."""
    if issubclass(model, ListedAsideMirror):
        return Q(listing.listed_here(run, model))
    return Q(seen_run=run)


def vanished(scope: models.QuerySet, *, run: int) -> models.QuerySet:
    """The rows of `scope` that are live but were not listed by `run` (what completing the
    scope would mark gone), as a query."""
    return scope.filter(Q(gone_at__isnull=True) & ~listed_by(scope.model, run))


def reconcile(
    scope: models.QuerySet,
    *,
    run: int,
    reason: str = GoneReason.UNKNOWN,
    reasons: Mapping[str, str] | None = None,
    now=None,
) -> int:
    """Complete `scope` for `run`: mark its live rows that `run` did not stamp as gone (with
    `reason`) and revive its gone rows that `run` stamped. One UPDATE whatever the row count;
    `reasons` ({pk: gone_reason}, for vanished rows whose reason is known, e.g. from their
    history) adds one UPDATE per reason and 500 such rows. Returns how many rows changed."""
    now = now or timezone.now()
    changed = 0
    by_reason: dict[str, list[str]] = {}
    for pk, why in (reasons or {}).items():
        if why and why != reason:
            by_reason.setdefault(why, []).append(pk)
    for why, pks in sorted(by_reason.items()):
        for start in range(0, len(pks), CHUNK):
            rows = vanished(scope, run=run).filter(pk__in=pks[start : start + CHUNK])
            changed += rows.update(gone_at=now, gone_reason=why)
    listed = listed_by(scope.model, run)
    changed += scope.filter((Q(gone_at__isnull=True) & ~listed) | (Q(gone_at__isnull=False) & listed)).update(
        gone_at=Case(When(listed, then=Value(None, output_field=models.DateTimeField())), default=Value(now)),
        gone_reason=Case(When(listed, then=Value("")), default=Value(reason)),
    )
    return changed


@dataclass(frozen=True)
class Scope:
    """What one complete listing covered (`rows`; rows outside it were not looked for, so they
    are never marked), and the gone reason of what it did not show."""

    rows: models.QuerySet
    reason: str = GoneReason.DELETED
    reasons: Mapping[str, str] = field(default_factory=dict)  # {pk: reason} known per row


class ReconcilingStream(Stream):
    """A collection read whole every run and reconciled per scope once the pass is complete.

    The engine stamps the run on every listed row of a reconciled model (`stamps_seen`);
    `complete` reconciles each of `scopes(ctx)` (by default the whole of `model`), judging
    only rows written before the run began: a row the outbox wrote back meanwhile was not
    expected in the listing. Subclasses implement `batches` and, for a narrower or several
    scopes, `scopes`.
    """

    stamps_seen = True
    gone_reason: str = GoneReason.DELETED

    def scopes(self, ctx: RunContext) -> Iterable[Scope]:
        """The scopes this run listed whole; may be a generator (a scope can depend on the
        outcome of the one before, completed by then)."""
        return [Scope(self.model._default_manager.all(), self.gone_reason)]

    @staticmethod
    def judged(ctx: RunContext, rows: models.QuerySet) -> models.QuerySet:
        """The rows a run may judge: those not written since it began."""
        return rows.filter(synced_at__lt=ctx.started_at)

    def vanished(self, ctx: RunContext, rows: models.QuerySet) -> models.QuerySet:
        """The live rows of `rows` this run has not listed (so far), as a query."""
        return vanished(self.judged(ctx, rows), run=ctx.run_id)

    @staticmethod
    def listed(ctx: RunContext, rows: models.QuerySet) -> models.QuerySet:
        """The rows of `rows` this run has listed so far (pages are committed as they come)."""
        return rows.filter(listed_by(rows.model, ctx.run_id))

    def complete(self, ctx: RunContext) -> int:
        """Reconcile every scope of the pass; returns how many rows were marked gone or revived."""
        if ctx.run_id is None:
            raise ValueError(f"{self.name}: reconcile needs the run's id (RunContext.run_id)")
        changed = 0
        for scope in self.scopes(ctx):
            changed += reconcile(
                self.judged(ctx, scope.rows), run=ctx.run_id, reason=scope.reason, reasons=scope.reasons
            )
        if changed:
            logger.info("sync %s run %s: %d rows marked gone or back", self.name, ctx.run_id, changed)
        return changed
