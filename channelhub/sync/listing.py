"""Listings kept aside: the keys a reconciling run listed, for `ListedAsideMirror` models.

A `ReconciledMirror` row carries the run that last listed it (`seen_run`), stamped even when
the row is unchanged: one UPDATE per page of keys. For a big collection where almost nothing
changes between passes (CMP inventory, 200,000 resources) that is a write of every row every
pass. A `ListedAsideMirror` is reconciled from narrow `ListedKey` rows instead, written in the
page's transaction and dropped once the pass is reconciled, so an unchanged row is only read.
"""

from __future__ import annotations

from dataclasses import replace

from django.db import connections, models, router

from channelhub.models import ListedKey

from .streams import Children

BATCH = 2000


def write(stream: str, run: int, model: type[models.Model], keys: list[str]) -> None:
    """Record that `run` of `stream` listed `keys` of `model` (a repeat is ignored).

    One plain multi-row INSERT (no model instances: at 200,000 keys a pass, bulk_create's
    objects cost as much as the rows); `ON CONFLICT DO NOTHING` is SQLite's and PostgreSQL's."""
    label = model._meta.label_lower
    table = ListedKey._meta.db_table
    rows = [(stream, run, label, key) for key in dict.fromkeys(keys)]
    sql = (
        f'INSERT INTO "{table}" ("stream", "run", "model", "key") VALUES (%s, %s, %s, %s) '
        "ON CONFLICT DO NOTHING"
    )
    with connections[router.db_for_write(ListedKey)].cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])


def listed(run: int, model: type[models.Model]) -> models.QuerySet:
    """The keys `run` listed of `model`, as a query (for `Exists`/`__in`)."""
    return ListedKey.objects.filter(run=run, model=model._meta.label_lower)


def listed_here(run: int, model: type[models.Model]) -> models.Exists:
    """An `Exists` over `model`'s rows: true where `run` listed the row."""
    return models.Exists(listed(run, model).filter(key=models.OuterRef("pk")))


def drop(run: int) -> int:
    """Forget what `run` listed (its pass is reconciled, discarded or failed)."""
    deleted, _ = ListedKey.objects.filter(run=run).delete()
    return deleted


def drop_stale(stream: str, *, keep: set[int]) -> int:
    """Forget the listings of `stream`'s earlier runs but those in `keep` (a dead worker's run
    left its keys; the engine calls this under the stream's lock as a run starts)."""
    deleted, _ = ListedKey.objects.filter(stream=stream).exclude(run__in=keep).delete()
    return deleted


def of_changed_parents(children: Children, changed: set[str]) -> Children:
    """`children` narrowed to the parents in `changed` (and their rows)."""
    attname = children.model._meta.get_field(children.parent_field).attname
    parents = [p for p in children.parents if p in changed]
    rows = [row for row in children.rows if row[1].get(attname) in changed]
    return replace(children, parents=parents, rows=rows, of_changed=None)
