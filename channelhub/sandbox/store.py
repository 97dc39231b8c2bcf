"""The sandbox's own state: one SQLite file (never the back office's database).

Each collection is a table `(id TEXT PRIMARY KEY, <extracted columns>, doc TEXT)`: `doc` is the
upstream JSON exactly as served, the extracted columns (created, updated, status, a few foreign
ids) exist for indexes and fast filters. Lists are compiled from RQL to SQL (rql.py).

Concurrency: every HTTP request opens its own connection (the server is threaded). Readers run
concurrently (WAL); writers are serialised by one lock so a read-modify-write action is atomic
(20 threads approving one request: one wins, the others see the new status). `reset` swaps the
whole file under an exclusive lock, which waits for in-flight requests.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import sqlite3
import threading
import zlib
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .common import dumps
from .rql import Compiler, Query


@dataclass
class Collection:
    """One upstream collection. `columns` maps a document property (dotted path) to the column it
    is extracted into; `extra_columns` are set by the caller on write (e.g. the product a template
    belongs to). `aliases` rename filter properties (e.g. `updated` -> `events.updated.at`)."""

    name: str
    columns: dict[str, str]
    extra_columns: tuple[str, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict)
    search_fields: tuple[str, ...] = ("id",)
    default_ordering: tuple[str, ...] = ("-created",)
    indexes: tuple[tuple[str, ...], ...] = ()
    range_columns: frozenset[str] = frozenset({"created", "updated"})
    special: Callable | None = None  # (compiler, op, prop, value) -> SQL or None

    def special_filter(self, compiler, op, prop, value):
        """SQL for a filter the generic compiler cannot express (the collection's `special` hook), or None."""
        return self.special(compiler, op, prop, value) if self.special else None

    @property
    def column_names(self) -> list[str]:
        """The table's columns besides id and doc: extracted ones, then extra ones, without duplicates."""
        return list(dict.fromkeys([*self.columns.values(), *self.extra_columns]))

    def extract(self, doc: dict, extra: dict) -> list:
        """The column values of `doc` (dotted paths; nested objects as JSON text) plus the caller's `extra`,
        in `column_names` order."""
        values = {}
        for path, column in self.columns.items():
            node = doc
            for part in path.split("."):
                node = node.get(part) if isinstance(node, dict) else None
            if isinstance(node, dict | list):
                node = dumps(node)
            values[column] = node
        values.update(extra)
        return [values.get(column) for column in self.column_names]


class RWLock:
    """Shared/exclusive lock; shared is re-entrant per thread, writers are preferred."""

    def __init__(self):
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._waiting = 0
        self._local = threading.local()

    @contextmanager
    def shared(self):
        """Hold the lock shared (requests); waits while a writer holds or waits for it."""
        depth = getattr(self._local, "depth", 0)
        if depth == 0:
            with self._cond:
                while self._writer or self._waiting:
                    self._cond.wait()
                self._readers += 1
        self._local.depth = depth + 1
        try:
            yield
        finally:
            self._local.depth = depth
            if depth == 0:
                with self._cond:
                    self._readers -= 1
                    self._cond.notify_all()

    @contextmanager
    def exclusive(self):
        """Hold the lock alone (reset swapping the file); waits for every shared holder to leave."""
        with self._cond:
            self._waiting += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


def _connect(path: Path, *, fast: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=30, check_same_thread=False)
    if fast:
        conn.execute("PRAGMA page_size=16384")
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-200000")
    else:
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA cache_size=-32000")
        conn.execute("PRAGMA mmap_size=268435456")
    conn.execute("PRAGMA temp_store=MEMORY")
    return conn


class Store:
    """The state file and its collections: sessions for requests, building and installing whole files for
    resets."""

    def __init__(self, path: str | os.PathLike, collections: Iterable[Collection]):
        self.path = Path(path)
        self.collections = {c.name: c for c in collections}
        self.lock = RWLock()
        self.write_lock = threading.RLock()

    def layout(self) -> str:
        """A fingerprint of the tables (collections, columns, indexes): a state file or a seeded
        copy made with another layout (an older version of a module) is not used."""
        shape = [
            (c.name, tuple(c.column_names), tuple(map(tuple, c.indexes))) for c in self.collections.values()
        ]
        return f"{zlib.crc32(repr(sorted(shape)).encode()):08x}"

    def exists(self) -> bool:
        """True once a state file of this layout has been installed."""
        if not self.path.exists():
            return False
        try:
            conn = _connect(self.path)
            try:
                row = conn.execute("SELECT value FROM meta WHERE key = 'layout'").fetchone()
            finally:
                conn.close()
        except sqlite3.Error:
            return False
        return row is not None and json.loads(row[0]) == self.layout()

    @contextmanager
    def session(self):
        """A Session on its own connection, holding the store's lock shared so a reset waits for it."""
        with self.lock.shared():
            conn = _connect(self.path)
            try:
                yield Session(self, conn)
            finally:
                conn.close()

    # -- building and swapping whole files
    def create_schema(self, conn: sqlite3.Connection, *, indexes: bool = True) -> None:
        """The meta table and one table per collection; indexes too unless a bulk load adds them later."""
        conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        for c in self.collections.values():
            cols = "".join(f", {name}" for name in c.column_names)
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {c.name} (id TEXT PRIMARY KEY{cols}, doc TEXT NOT NULL)"
            )
        if indexes:
            self.create_indexes(conn)

    def create_indexes(self, conn: sqlite3.Connection) -> None:
        """(updated, id) and (created, id) where the collection has those columns, plus its own `indexes`."""
        for c in self.collections.values():
            names = c.column_names
            wanted = [("updated", "id"), ("created", "id"), *c.indexes]
            for cols in wanted:
                if all(col in names or col == "id" for col in cols):
                    conn.execute(
                        f"CREATE INDEX IF NOT EXISTS ix_{c.name}_{'_'.join(cols)} ON {c.name} ({', '.join(cols)})"
                    )

    @contextmanager
    def building(self, target: Path):
        """A fresh database file at `target`, opened for a fast bulk load; finished with indexes,
        statistics and WAL mode."""
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        conn = _connect(target, fast=True)
        try:
            self.create_schema(conn, indexes=False)
            session = Session(self, conn)
            session.start_background_writer()
            try:
                yield session
            finally:
                session.stop_background_writer()
            self.create_indexes(conn)
            conn.execute("ANALYZE")
            conn.execute("PRAGMA journal_mode=WAL")
        finally:
            conn.close()

    def install(self, source: Path) -> None:
        """Replace the live state with a copy of `source` (waits for in-flight requests)."""
        with self.lock.exclusive():
            tmp = Path(str(self.path) + ".installing")
            shutil.copyfile(source, tmp)
            for suffix in ("-wal", "-shm"):
                Path(str(self.path) + suffix).unlink(missing_ok=True)
            os.replace(tmp, self.path)


class Session:
    """One connection to the state: reads, writes in serialised transactions, RQL lists and the meta values."""

    def __init__(self, store: Store, conn: sqlite3.Connection):
        self.store = store
        self.conn = conn
        self._depth = 0
        self._queue = None
        self._writer = None
        self._writer_error = None

    # -- bulk loading: inserts run in a thread (sqlite releases the GIL) while Python builds more
    def start_background_writer(self) -> None:
        """While seeding: run inserts in a thread (sqlite releases the GIL) while Python builds the next
        batch."""
        self._queue = queue.Queue(maxsize=4)

        def run():
            while True:
                item = self._queue.get()
                if item is None:
                    return
                if self._writer_error is None:
                    try:
                        self.conn.execute("BEGIN")
                        self.conn.executemany(*item)
                        self.conn.execute("COMMIT")
                    except Exception as exc:  # noqa: BLE001 - re-raised in the building thread
                        self._writer_error = exc

        self._writer = threading.Thread(target=run, name="sandbox-seed-writer", daemon=True)
        self._writer.start()

    def stop_background_writer(self) -> None:
        """Wait for the queued inserts; re-raise the first error the writer thread met."""
        if self._writer is not None:
            self._queue.put(None)
            self._writer.join()
            self._writer = self._queue = None
        if self._writer_error is not None:
            raise self._writer_error

    def _executemany(self, sql: str, rows) -> None:
        if self._queue is not None:
            self._queue.put((sql, list(rows)))
        else:
            self.conn.executemany(sql, rows)

    @contextmanager
    def write(self):
        """An atomic read-modify-write: serialised with every other writer."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        with self.store.write_lock:
            self.conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")
            finally:
                self._depth = 0

    @contextmanager
    def snapshot(self):
        """A consistent read (one read transaction)."""
        if self._depth:
            yield self
            return
        self.conn.execute("BEGIN")
        self._depth = 1
        try:
            yield self
        finally:
            self._depth = 0
            self.conn.execute("COMMIT")

    def coll(self, name: str) -> Collection:
        """The collection named `name`."""
        return self.store.collections[name]

    # -- single objects
    def get_raw(self, name: str, ident: str) -> str | None:
        """The stored JSON text of one object, or None."""
        row = self.conn.execute(f"SELECT doc FROM {name} WHERE id = ?", (ident,)).fetchone()
        return row[0] if row else None

    def get(self, name: str, ident: str) -> dict | None:
        """One object, parsed, or None."""
        raw = self.get_raw(name, ident)
        return json.loads(raw) if raw is not None else None

    def put(self, name: str, doc: dict, **extra) -> None:
        """Insert or replace one object; `extra` sets the collection's extra columns."""
        self.put_many(name, [(doc, extra)])

    def put_many(self, name: str, rows: Iterable[tuple[dict, dict]]) -> None:
        """Insert or replace objects given as (doc, extra) pairs; extra columns not given keep their stored
        value."""
        c = self.coll(name)
        cols = c.column_names
        sql = (
            f"INSERT OR REPLACE INTO {name} (id, {', '.join([*cols, 'doc'])}) "
            f"VALUES ({', '.join('?' * (len(cols) + 2))})"
        )
        if c.extra_columns:
            # keep extra columns that the caller did not pass (e.g. a template's product)
            prepared = []
            for doc, extra in rows:
                if any(col not in extra for col in c.extra_columns):
                    row = self.conn.execute(
                        f"SELECT {', '.join(c.extra_columns)} FROM {name} WHERE id = ?", (doc["id"],)
                    ).fetchone()
                    if row:
                        extra = {**dict(zip(c.extra_columns, row, strict=True)), **extra}
                prepared.append((doc, extra))
            rows = prepared
        self._executemany(sql, ((doc["id"], *c.extract(doc, extra), dumps(doc)) for doc, extra in rows))

    def insert_raw(self, name: str, rows: Iterable[tuple]) -> None:
        """Bulk insert of prepared rows: (id, *column values, doc text)."""
        c = self.coll(name)
        cols = c.column_names
        sql = f"INSERT INTO {name} (id, {', '.join([*cols, 'doc'])}) VALUES ({', '.join('?' * (len(cols) + 2))})"
        self._executemany(sql, rows)

    def delete(self, name: str, ident: str) -> None:
        """Remove one object (nothing if it is not there)."""
        self.conn.execute(f"DELETE FROM {name} WHERE id = ?", (ident,))

    def ids(self, name: str, where: str = "1", params: tuple = (), limit: int | None = None, random=None):
        """Ids matching a SQL condition, in id order (optionally a seeded random sample)."""
        rows = [r[0] for r in self.conn.execute(f"SELECT id FROM {name} WHERE {where} ORDER BY id", params)]
        if random is not None and limit is not None:
            return random.sample(rows, min(limit, len(rows)))
        return rows[:limit] if limit is not None else rows

    def scalar(self, sql: str, params: tuple = ()):
        """The first column of the first row of `sql`, or None."""
        row = self.conn.execute(sql, params).fetchone()
        return row[0] if row else None

    # -- lists
    def list(
        self, name: str, query: Query, where: str | None = None, params: tuple = ()
    ) -> tuple[int, list[str]]:
        """(total, raw docs of the page) for an RQL query plus an optional SQL scope."""
        c = self.coll(name)
        compiler = Compiler(c)
        condition = compiler.where(query)
        args = list(compiler.params)
        if where:
            condition = f"({where}) AND {condition}"
            args = [*params, *args]
        order = compiler.order_by(query)
        with self.snapshot():
            total = self.conn.execute(f"SELECT COUNT(*) FROM {name} WHERE {condition}", args).fetchone()[0]
            if query.limit <= 0 or query.offset >= total:
                return total, []
            rows = self.conn.execute(
                f"SELECT doc FROM {name} WHERE {condition} ORDER BY {order} LIMIT ? OFFSET ?",
                [*args, query.limit, query.offset],
            ).fetchall()
        return total, [r[0] for r in rows]

    def explain(self, name: str, query: Query) -> list[str]:
        """SQLite's query plan for an RQL query on a collection (to check the indexes are used)."""
        c = self.coll(name)
        compiler = Compiler(c)
        condition = compiler.where(query)
        sql = f"SELECT doc FROM {name} WHERE {condition} ORDER BY {compiler.order_by(query)} LIMIT 10"
        return [str(r) for r in self.conn.execute("EXPLAIN QUERY PLAN " + sql, compiler.params)]

    # -- meta
    def meta(self, key: str, default=None):
        """A JSON value of the meta table (the seed, scale, tick count, ...), or `default`."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set_meta(self, key: str, value) -> None:
        """Store a JSON value in the meta table."""
        self._executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [(key, dumps(value))])

    def counts(self, name: str, column: str = "status") -> dict:
        """The collection's total and, if it has the column, its counts by `column` (status by default)."""
        c = self.coll(name)
        total = self.scalar(f"SELECT COUNT(*) FROM {name}")
        out = {"total": total}
        if column in c.column_names:
            out[f"by_{column}"] = dict(
                self.conn.execute(
                    f"SELECT {column}, COUNT(*) FROM {name} GROUP BY {column} ORDER BY {column}"
                )
            )
        return out
