"""Reconcile: what a complete full listing did not show is gone upstream (DESIGN.md §2).

Sources without an update cursor (Cloud Channel customers and entitlements, CMP inventory)
are read whole every run. An object that disappeared upstream simply stops being listed, so
after a *complete* pass (the engine calls `Stream.complete` only then) the stream marks the
rows it did not see: `gone_at` = now and a `gone_reason`, never a delete, so history and the
audit trail keep their target. A row that is listed again is revived (`gone_at` cleared):
the bulk upsert does that by itself for a row whose payload changed, this does it for one
that came back unchanged.

Works on any model with `gone_at` and `gone_reason` columns; `scope` is the queryset the
listing covered (rows outside it were not looked for, so they are never marked).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import models
from django.utils import timezone

CHUNK = 500


def reconcile(
    scope: models.QuerySet,
    seen: Iterable[str],
    *,
    reason: str | Callable[[list[str]], dict[str, str]],
    now=None,
) -> tuple[int, int]:
    """Mark the rows of `scope` whose pk is not in `seen` as gone and revive gone rows that
    were seen. `reason` is a gone_reason, or a function of the vanished pks returning
    {pk: reason} (pks it leaves out get "unknown"). Returns (marked gone, revived)."""
    now = now or timezone.now()
    seen = set(seen)
    vanished = sorted(set(scope.filter(gone_at__isnull=True).values_list("pk", flat=True)) - seen)
    reasons = reason(vanished) if callable(reason) else dict.fromkeys(vanished, reason)
    by_reason: dict[str, list[str]] = {}
    for pk in vanished:
        by_reason.setdefault(reasons.get(pk) or "unknown", []).append(pk)
    gone = 0
    for why, pks in by_reason.items():
        for start in range(0, len(pks), CHUNK):
            gone += scope.filter(pk__in=pks[start : start + CHUNK], gone_at__isnull=True).update(
                gone_at=now, gone_reason=why
            )
    back = sorted(set(scope.filter(gone_at__isnull=False).values_list("pk", flat=True)) & seen)
    revived = 0
    for start in range(0, len(back), CHUNK):
        revived += scope.filter(pk__in=back[start : start + CHUNK]).update(gone_at=None, gone_reason="")
    return gone, revived


def vanished(scope: models.QuerySet, seen: Iterable[str]) -> list[str]:
    """The pks of `scope` (not already gone) that a complete listing did not show."""
    seen = set(seen)
    return sorted(set(scope.filter(gone_at__isnull=True).values_list("pk", flat=True)) - seen)
