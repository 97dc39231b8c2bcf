"""Bulk upsert of mirrored rows that writes only what changed.

Each row arrives as (pk, mapped fields, raw payload). The payload is serialised once, in
canonical form (sorted keys, compact); its digest is compared with the stored
`payload_hash`, so an unchanged row costs one indexed read and no write. New and changed
rows are written in one statement per page:

- SQLite: `executemany(INSERT ... ON CONFLICT(id) DO UPDATE ...)`;
- PostgreSQL: `COPY` into a temporary table, then `INSERT ... SELECT ... ON CONFLICT DO UPDATE`,
  several times faster than row-by-row inserts or `bulk_create` on big pages.

Reconciled models (`ReconciledMirror`) carry `seen_run`, the run that last listed a row. A
reconciling run passes its id (`seen_run=`): written rows get it with the upsert, unchanged
ones by one UPDATE of their keys. Other writers (the outbox writing back a result) leave the
stamp as it is.

A model may name columns an update never rewrites (`upsert_keeps = ("first_seen_at",)`): they
keep the value of the insert.

`replace_children` is the child-row write: the children of some parents become exactly the
rows given (stale ones deleted, the rest upserted).

Callers run it inside a transaction (the engine writes the cursor in the same one).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar

import orjson
from django.db import connections, models, router, transaction
from django.utils import timezone

STAMP = "seen_run"  # ReconciledMirror's column: the run that last listed the row
CHUNK = 900  # keys per statement (SQLite's variable limit is far above it)


@dataclass
class UpsertCounts:
    """What one write did, row by row."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0  # child rows no longer listed under their parent (`replace_children`)
    created_ids: list[str] = field(default_factory=list)
    updated_ids: list[str] = field(default_factory=list)

    def add(self, other: UpsertCounts) -> None:
        """Add another write's counts to these."""
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.deleted += other.deleted


def canonical_json(payload) -> str:
    """Sorted keys, no whitespace: equal payloads give equal text, so equal digests.
    orjson is about four times faster than the standard library here, which is most of
    the cost of a page of unchanged rows."""
    return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str).decode()


def digest(text: str) -> str:
    """The MD5 hex digest of a canonical payload: a change check (`payload_hash`), not security."""
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


class _Plan:
    """Per-model, per-vendor column list and value converters, computed once."""

    _cache: ClassVar[dict] = {}

    def __init__(self, model: type[models.Model], vendor: str):
        self.model = model
        self.vendor = vendor
        meta = model._meta
        self.table = meta.db_table
        self.fields = [f for f in meta.concrete_fields]
        self.columns = [f.column for f in self.fields]
        self.attnames = [f.attname for f in self.fields]
        self.pk_column = meta.pk.column
        self.converters = [self._converter(f) for f in self.fields]
        self.defaults = {f.attname: f for f in self.fields}
        self.stamped = STAMP in self.columns
        # What ON CONFLICT rewrites: every column but the key; the stamp only when stamping,
        # so a writer that does not list (the outbox) keeps the last listing's stamp.
        # Columns a model keeps from the insert (`upsert_keeps`: a resource's first sighting).
        kept = {model._meta.get_field(name).column for name in getattr(model, "upsert_keeps", ())}
        self.updated_columns = [c for c in self.columns if c != self.pk_column and c not in kept]
        self.unstamped_columns = [c for c in self.updated_columns if c != STAMP]

    @classmethod
    def get(cls, model, vendor):
        key = (model, vendor)
        plan = cls._cache.get(key)
        if plan is None:
            plan = cls._cache[key] = cls(model, vendor)
        return plan

    def _converter(self, f):
        if f.attname == "payload":
            return None  # already canonical text
        if isinstance(f, models.JSONField):
            return lambda v: None if v is None else orjson.dumps(v, default=str).decode()
        if self.vendor == "sqlite" and isinstance(f, models.DateTimeField):
            # Django stores naive UTC text on SQLite.
            return lambda v: (
                None if v is None else str(v.astimezone(UTC).replace(tzinfo=None) if v.tzinfo else v)
            )
        if self.vendor == "sqlite" and isinstance(f, models.DecimalField):
            return lambda v: None if v is None else str(v)
        return None

    def default_for(self, attname):
        """The model's default for a column the mapper did not set."""
        f = self.defaults[attname]
        return f.get_default()

    def values(self, fields: dict, ours: dict) -> list:
        """One row's column values, converted: `ours` (key, payload, digest, sync time, stamp),
        then the mapped `fields`, then the model's defaults."""
        values = []
        for attname, convert in zip(self.attnames, self.converters, strict=True):
            if attname in ours:
                v = ours[attname]
            elif attname in fields:
                v = fields[attname]
            else:
                v = self.default_for(attname)
            values.append(convert(v) if convert is not None and v is not None else v)
        return values


def upsert_rows(
    model: type[models.Model],
    rows: list[tuple[str, dict, dict]],
    *,
    now: datetime | None = None,
    seen_run: int | None = None,
    new: bool = False,
) -> UpsertCounts:
    """Insert or update mirrored rows of `model` (a MirroredModel); returns the counts.

    With `seen_run` (a reconciling run's id; `model` must be a ReconciledMirror) every row
    given is stamped with it, the unchanged ones included. `new=True` says none of the rows
    can exist yet (the children of a parent created in the same transaction): their hashes
    are not read first (the write is still an upsert, so a mistake costs only the counts)."""
    counts = UpsertCounts()
    if not rows:
        return counts
    # The last occurrence of an id in one batch wins (a page can't really repeat one, but be safe).
    by_pk: dict[str, tuple[dict, str, str]] = {}
    for pk, fields, payload in rows:
        text = canonical_json(payload)
        by_pk[pk] = (fields, text, digest(text))

    alias = router.db_for_write(model)
    connection = connections[alias]
    plan = _Plan.get(model, connection.vendor)
    if seen_run is not None and not plan.stamped:
        raise TypeError(f"{model._meta.label} has no {STAMP} column: it is not a ReconciledMirror")
    existing = {} if new else _existing_hashes(connection, plan, list(by_pk))

    now = now or timezone.now()
    to_write = []
    unchanged: list[str] = []
    for pk, (fields, text, hash_) in by_pk.items():
        old = existing.get(pk)
        if old == hash_:
            counts.unchanged += 1
            unchanged.append(pk)
            continue
        if old is None:
            counts.created += 1
            counts.created_ids.append(pk)
        else:
            counts.updated += 1
            counts.updated_ids.append(pk)
        ours = {"id": pk, "payload": text, "payload_hash": hash_, "synced_at": now, STAMP: seen_run}
        to_write.append(plan.values(fields, ours))

    if to_write:
        updated = plan.updated_columns if seen_run is not None else plan.unstamped_columns
        if connection.vendor == "postgresql":
            _write_postgresql(connection, plan, to_write, updated)
        else:
            _write_generic(connection, plan, to_write, updated)
    if seen_run is not None and unchanged:
        _stamp(connection, plan, unchanged, seen_run)
    return counts


def _existing_hashes(connection, plan: _Plan, pks: list[str]) -> dict[str, str]:
    """{pk: payload_hash} of the rows among `pks` that exist."""
    existing: dict[str, str] = {}
    pk, table = plan.pk_column, plan.table
    with connection.cursor() as cursor:
        for start in range(0, len(pks), CHUNK):
            chunk = pks[start : start + CHUNK]
            marks = ",".join(["%s"] * len(chunk))
            cursor.execute(f'SELECT "{pk}", "payload_hash" FROM "{table}" WHERE "{pk}" IN ({marks})', chunk)
            existing.update(cursor.fetchall())
    return existing


def _stamp(connection, plan: _Plan, pks: list[str], seen_run: int) -> None:
    """Stamp rows the upsert did not write (their payload is unchanged) with the run."""
    with connection.cursor() as cursor:
        for start in range(0, len(pks), CHUNK):
            chunk = pks[start : start + CHUNK]
            marks = ",".join(["%s"] * len(chunk))
            cursor.execute(
                f'UPDATE "{plan.table}" SET "{STAMP}" = %s WHERE "{plan.pk_column}" IN ({marks})',
                [seen_run, *chunk],
            )


def replace_children(
    model: type[models.Model],
    parent_field: str,
    parents: list[str],
    rows: list[tuple[str, dict, dict]],
    *,
    now: datetime | None = None,
    seen_run: int | None = None,
    fresh: set[str] | frozenset[str] = frozenset(),
) -> UpsertCounts:
    """Make the children of `parents` exactly `rows`: delete the rows of `model` under those
    parents that are not among `rows`, then upsert `rows`. Returns the counts (`deleted` too).

    `fresh`: parents created in the caller's transaction. They have no children yet, so
    nothing is looked up for them (no stale children to find, no hashes to compare): on a
    first pass that is most of the reads.

    Raises ValueError, before writing anything, for a row whose parent is not in `parents`
    (nothing would ever replace it)."""
    attname = model._meta.get_field(parent_field).attname
    parents = list(dict.fromkeys(parents))
    wanted = set(parents)
    strays = sorted({pk for pk, fields, _ in rows if fields.get(attname) not in wanted})
    if strays:
        raise ValueError(
            f"{model._meta.label}: rows {strays[:5]} are not children of the parents given ({attname})"
        )
    keep = {pk for pk, _, _ in rows}
    manager = model._base_manager
    known = [p for p in parents if p not in fresh]
    stale: list[str] = []
    for start in range(0, len(known), CHUNK):
        under = manager.filter(**{f"{attname}__in": known[start : start + CHUNK]})
        stale += [pk for pk in under.values_list("pk", flat=True).iterator() if pk not in keep]
    deleted = 0
    for start in range(0, len(stale), CHUNK):
        _, per_model = manager.filter(pk__in=stale[start : start + CHUNK]).delete()
        deleted += per_model.get(model._meta.label, 0)
    newborn = [row for row in rows if row[1].get(attname) in fresh]
    counts = upsert_rows(
        model, [row for row in rows if row[1].get(attname) not in fresh], now=now, seen_run=seen_run
    )
    more = upsert_rows(model, newborn, now=now, seen_run=seen_run, new=True)
    counts.created += more.created
    counts.created_ids += more.created_ids
    counts.deleted = deleted
    return counts


def _write_generic(connection, plan: _Plan, values: list[list], updated: list[str]) -> None:
    cols = ",".join(f'"{c}"' for c in plan.columns)
    marks = ",".join(["%s"] * len(plan.columns))
    updates = ",".join(f'"{c}"=excluded."{c}"' for c in updated)
    sql = (
        f'INSERT INTO "{plan.table}" ({cols}) VALUES ({marks}) '
        f'ON CONFLICT("{plan.pk_column}") DO UPDATE SET {updates}'
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)


def _write_postgresql(connection, plan: _Plan, values: list[list], updated: list[str]) -> None:
    cols = ",".join(f'"{c}"' for c in plan.columns)
    tmp = f"_upsert_{plan.table}"
    updates = ",".join(f'"{c}"=EXCLUDED."{c}"' for c in updated)
    # One transaction (a savepoint inside the engine's): the staging table empties at each
    # commit, so in autocommit (a service writing back outside any transaction) the COPY's
    # rows would be gone before the INSERT read them.
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        # A session-local staging table, emptied at each commit; created once per connection.
        cursor.execute(
            f'CREATE TEMP TABLE IF NOT EXISTS "{tmp}" (LIKE "{plan.table}" INCLUDING DEFAULTS) '
            "ON COMMIT DELETE ROWS"
        )
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f'COPY "{tmp}" ({cols}) FROM STDIN') as copy:
            for row in values:
                copy.write_row(row)
        cursor.execute(
            f'INSERT INTO "{plan.table}" ({cols}) SELECT {cols} FROM "{tmp}" '
            f'ON CONFLICT ("{plan.pk_column}") DO UPDATE SET {updates}'
        )
        cursor.execute(f'TRUNCATE "{tmp}"')
