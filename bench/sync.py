#!/usr/bin/env python
"""Sync benchmark: backfill N fulfillment requests from the sandbox; rows/s as ratios.

    .venv/bin/python bench/sync.py [--rows 100000] [--db sqlite|postgres|both] [--repeat 2]

Machines here are shared and noisy, so every figure is a ratio against a baseline measured
in the same process, interleaved (baseline, ours, baseline, ours, ...), best of `--repeat`:

(a) write path: our `upsert_rows` vs a raw-driver upsert of the same mapped rows
    (SQLite: `executemany(INSERT ... ON CONFLICT DO UPDATE)`; PostgreSQL: COPY into a temp
    table, then `INSERT ... SELECT ... ON CONFLICT DO UPDATE`), into an empty table;
(b) end to end: `backfill requests` (our client, keyset paging, mapping, upsert, cursor and
    SyncRun bookkeeping) vs a minimal script that fetches the same pages with `requests`,
    maps them with the same mapper and raw-upserts them;
(c) re-backfill of unchanged data: ours (skips unchanged rows) vs the raw upsert rewriting them.

(d) reconcile memory: the tracemalloc peak of a full-listing run of a `ReconcilingStream`
    (every row listed but 1%, which reconcile marks gone) over 100k rows, divided by the
    same over 10k rows (`--reconcile-rows`). Stamping keeps it flat: about 1, not 10.

`--part reconcile` measures (d) alone, without a sandbox; `--part throughput` (a) to (c).

Goal: (a) and (b) >= 0.8 on both databases, (d) about 1. The sandbox (scale = --rows) is seeded once into
var/bench/ and reused by later runs with the same seed and scale.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import django
import requests
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import fresh_database_env  # noqa: E402 - from ROOT, put on the path above
from channelhub.sandbox.server import SandboxServer  # noqa: E402 - from ROOT, put on the path above
from channelhub.sync.streams import Batch  # noqa: E402
from channelhub.sync.upsert import upsert_rows  # noqa: E402
from fulfillment.connect.mappers import map_request  # noqa: E402

VAR = ROOT / "var" / "bench"
PG_BENCH_DB = "channelhub_bench"
PAGE = 1000


def main() -> int:
    """Seed (or reuse) the sandbox, run one child process per database, print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--part", choices=["all", "throughput", "reconcile"], default="all")
    parser.add_argument("--reconcile-rows", default="10000,100000", help="small,large")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--sandbox-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channelhub.settings")
    VAR.mkdir(parents=True, exist_ok=True)
    server = None
    if args.part != "reconcile":
        state = VAR / f"sandbox-{args.seed}-{args.rows}.sqlite3"
        started = time.perf_counter()
        server = SandboxServer(state_path=state, seed=args.seed, scale=args.rows, port=0).start()
        print(
            f"sandbox ready in {time.perf_counter() - started:.1f}s at {server.url} (scale {args.rows})",
            flush=True,
        )
    results = {}
    try:
        for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
            url = server.connect_url if server else ""
            cmd = [sys.executable, __file__, "--child", db, "--sandbox-url", url, "--part", args.part]
            cmd += ["--rows", str(args.rows), "--repeat", str(args.repeat)]
            cmd += ["--reconcile-rows", args.reconcile_rows]
            out = subprocess.run(cmd, capture_output=True, text=True, env=child_env(db))
            sys.stderr.write(out.stderr)
            if out.returncode:
                raise SystemExit(f"{db}: the benchmark failed (status {out.returncode}); see above")
            results[db] = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        if server:
            server.stop()
    report(results)
    return 0


def child_env(db: str) -> dict:
    """The child's environment: a fresh, empty database of the kind `db` (bench/common.py)."""
    return fresh_database_env(db, sqlite_file="bench.sqlite3", pg_database=PG_BENCH_DB)


def report(results: dict) -> None:
    """Print the children's rates and ratios as Markdown tables."""
    print()
    if any("d_ratio" in r for r in results.values()):
        print("| database | (d) reconcile peak memory: large / small | small | large |")
        print("| --- | --- | --- | --- |")
        for db, r in results.items():
            small, large = r["d_small"], r["d_large"]
            print(
                f"| {db} | {r['d_ratio']:.2f} | {small['rows']} rows: {small['peak'] / 1024:.0f} KiB "
                f"| {large['rows']} rows: {large['peak'] / 1024:.0f} KiB |"
            )
        print()
    if not any("a_ratio" in r for r in results.values()):
        return
    print(
        "| database | (a) write: ours / raw upsert | (b) backfill: ours / minimal script "
        "| (c) unchanged re-backfill: ours / raw rewrite | ours rows/s (b) |"
    )
    print("| --- | --- | --- | --- | --- |")
    for db, r in results.items():
        print(
            f"| {db} | {r['a_ratio']:.2f} ({r['a_ours']:.0f} vs {r['a_raw']:.0f} rows/s) "
            f"| {r['b_ratio']:.2f} ({r['b_ours']:.0f} vs {r['b_raw']:.0f} rows/s) "
            f"| {r['c_ratio']:.2f} ({r['c_ours']:.0f} vs {r['c_raw']:.0f} rows/s) | {r['b_ours']:.0f} |"
        )


# --- the child: one database, everything measured in this one process --------------------


class RawScript:
    """The minimal script (b) and (c) are measured against: keyset pages straight from
    `requests`, mapped with our mapper, upserted with the raw driver (no ORM, no bookkeeping)."""

    def __init__(self, sandbox_url: str, api_key: str, model, mapper):
        self.sandbox_url = sandbox_url
        self.model = model
        self.mapper = mapper
        self.vendor = connection.vendor
        self.table = model._meta.db_table
        self.fields = list(model._meta.concrete_fields)
        self.columns = [f.column for f in self.fields]
        self.cols = ",".join(f'"{c}"' for c in self.columns)
        self.updates = ",".join(f'"{c}"=excluded."{c}"' for c in self.columns if c != "id")
        self.session = requests.Session()
        self.session.headers["Authorization"] = api_key

    def fetch_pages(self):
        """Yield the requests in keyset pages of PAGE, ordered by (updated, id)."""
        last_at = last_id = None
        while True:
            q = "ordering(updated,id)"
            if last_at:
                at = quote(last_at, safe="")
                q = f"or(gt(updated,{at}),and(eq(updated,{at}),gt(id,{quote(last_id, safe='')})))&{q}"
            r = self.session.get(f"{self.sandbox_url}/requests?{q}&limit={PAGE}&offset=0", timeout=60)
            r.raise_for_status()
            items = r.json()
            if not items:
                return
            yield items
            last_at, last_id = items[-1]["updated"], items[-1]["id"]
            if len(items) < PAGE:
                return

    def mapped(self, items: list[dict]) -> list[tuple]:
        """(pk, mapped fields, payload) for each upstream request of a page."""
        return [(p["id"], self.mapper(p), p) for p in items]

    def raw_values(self, pk, fields_: dict, payload: dict, stamp) -> list:
        """One row's column values as the raw driver takes them (JSON as text; on SQLite, naive
        UTC datetimes), synced_at stamped as our writer does (the column is NOT NULL)."""
        out = []
        for f in self.fields:
            a = f.attname
            if a == "id":
                v = pk
            elif a == "payload":
                v = json.dumps(payload)
            elif a == "payload_hash":
                v = ""
            elif a == "synced_at":
                out.append(stamp)
                continue
            else:
                v = fields_.get(a, f.get_default())
            if v is not None:
                if f.get_internal_type() == "JSONField" and a != "payload":
                    v = json.dumps(v)
                elif self.vendor == "sqlite" and f.get_internal_type() == "DateTimeField":
                    v = str(v.astimezone(UTC).replace(tzinfo=None))
            out.append(v)
        return out

    def upsert(self, rows) -> None:
        """Insert or overwrite `rows` (SQLite: executemany; PostgreSQL: COPY, then INSERT ... SELECT)."""
        stamp = datetime.now(UTC)
        stamp = str(stamp.replace(tzinfo=None)) if self.vendor == "sqlite" else stamp
        vals = [self.raw_values(pk, f_, p, stamp) for pk, f_, p in rows]
        cols, updates, table = self.cols, self.updates, self.table
        raw = connection.connection
        if self.vendor == "sqlite":
            marks = ",".join("?" * len(self.columns))
            raw.executemany(
                f'INSERT INTO "{table}" ({cols}) VALUES ({marks}) ON CONFLICT(id) DO UPDATE SET {updates}',
                vals,
            )
            return
        with raw.cursor() as cur:
            cur.execute(f'CREATE TEMP TABLE IF NOT EXISTS "_raw_{table}" (LIKE "{table}" INCLUDING DEFAULTS)')
            with cur.copy(f'COPY "_raw_{table}" ({cols}) FROM STDIN') as copy:
                for v in vals:
                    copy.write_row(v)
            cur.execute(
                f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM "_raw_{table}" '
                f"ON CONFLICT (id) DO UPDATE SET {updates}"
            )
            cur.execute(f'TRUNCATE "_raw_{table}"')

    def backfill(self) -> float:
        """(b)'s baseline: fetch, map and raw-upsert every page; seconds spent."""
        t0 = time.perf_counter()
        for items in self.fetch_pages():
            with transaction.atomic():
                self.upsert(self.mapped(items))
        return time.perf_counter() - t0


class Measures:
    """The six timed runs of one database, over the same fetched pages."""

    def __init__(self, raw: RawScript, run_stream, log):
        self.raw = raw
        self.model = raw.model
        self.run_stream = run_stream
        self.log = log
        # Fetch once for (a) and (c): the same pages for both writers, kept as JSON text (100k
        # parsed payloads would not fit comfortably in memory); parsing and mapping happen
        # outside the timed part, so (a) and (c) time the writers alone.
        t = time.perf_counter()
        self.pages = [json.dumps(items) for items in raw.fetch_pages()]
        self.n = sum(len(json.loads(p)) for p in self.pages)
        log(f"fetched {self.n} requests in {time.perf_counter() - t:.1f}s")

    def empty_table(self) -> None:
        """Start a fresh-table run: delete every row, and drop the connection's caches."""
        with transaction.atomic():
            self.model.objects.all().delete()
        connection.close()

    def write_each(self, writer) -> float:
        """Seconds `writer` spends on every fetched page, one transaction a page, mapping untimed."""
        spent = 0.0
        for page in self.pages:
            rows = self.raw.mapped(json.loads(page))
            t0 = time.perf_counter()
            with transaction.atomic():
                writer(rows)
            spent += time.perf_counter() - t0
        return spent

    def write_ours(self) -> float:
        """(a) and (c): our upsert_rows."""
        return self.write_each(lambda rows: upsert_rows(self.model, rows))

    def write_raw(self) -> float:
        """(a) and (c)'s baseline: the raw driver's upsert."""
        return self.write_each(self.raw.upsert)

    def backfill_ours(self) -> float:
        """(b): `backfill connect.requests` through the engine; checks it created every row."""
        t0 = time.perf_counter()
        run = self.run_stream("connect.requests", backfill=True, page_size=PAGE)
        spent = time.perf_counter() - t0
        assert run.status == "succeeded", run.error
        assert run.created == self.n, (run.created, run.updated, run.unchanged, self.n)
        return spent

    def best_of(self, repeat: int) -> dict[str, float]:
        """Best seconds of each run over `repeat` interleaved rounds."""
        best = {k: float("inf") for k in ("a_raw", "a_ours", "b_raw", "b_ours", "c_raw", "c_ours")}
        for i in range(repeat):
            for key, fn, fresh in (
                ("a_raw", self.write_raw, True),
                ("a_ours", self.write_ours, True),
                ("b_raw", self.raw.backfill, True),
                ("b_ours", self.backfill_ours, True),
                ("c_ours", self.write_ours, False),  # the table holds what b_ours wrote: every row unchanged
                ("c_raw", self.write_raw, False),  # the raw script rewrites every row regardless
            ):
                if fresh:
                    self.empty_table()
                seconds = fn()
                best[key] = min(best[key], seconds)
                self.log(f"round {i + 1}: {key} {seconds:.2f}s ({self.n / seconds:.0f} rows/s)")
        return best


def reconcile_memory(small: int, large: int) -> dict:
    """(d): tracemalloc's peak over one full-listing run of `small` and of `large` rows."""
    from channelhub.sync import registry  # noqa: PLC0415 - imports models: after django.setup()
    from channelhub.sync.engine import run_stream  # noqa: PLC0415 - imports models: after django.setup()
    from channelhub.sync.reconcile import ReconcilingStream  # noqa: PLC0415 - the same
    from fulfillment.models import ChannelProduct  # noqa: PLC0415 - a model: after django.setup()

    class Listing(ReconcilingStream):
        """`rows` products listed from memory, the last `vanished` of them left out."""

        name = "bench.reconcile"
        upstream = "bench"
        model = ChannelProduct
        rows = vanished = 0

        def is_configured(self):
            return True

        def client(self):
            return None

        def batches(self, ctx):
            listed = self.rows - self.vanished
            for start in range(0, listed, PAGE):
                keys = [f"products/p{i:08}" for i in range(start, min(start + PAGE, listed))]
                yield Batch(writes=[(ChannelProduct, [(k, {"display_name": k}, {"name": k}) for k in keys])])

    stream = Listing()
    registry.declared_streams()[stream.name] = stream
    settings.DEBUG = False  # Django keeps the last 9000 queries in DEBUG: not what production holds
    out = {}
    for key, rows in (("d_small", small), ("d_large", large)):
        ChannelProduct.objects.all()._raw_delete(ChannelProduct.objects.db)
        stream.rows, stream.vanished = rows, 0
        assert run_stream(stream.name).status == "succeeded"  # the mirror holds every row
        stream.vanished = rows // 100
        tracemalloc.start()
        t0 = time.perf_counter()
        run = run_stream(stream.name)
        seconds = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert run.status == "succeeded", run.error
        assert (run.updated, run.unchanged) == (rows // 100, rows - rows // 100), (run.updated, run.unchanged)
        print(
            f"reconcile of {rows} rows: peak {peak / 1024:.0f} KiB, {seconds:.1f}s",
            file=sys.stderr,
            flush=True,
        )
        out[key] = {"rows": rows, "peak": peak, "seconds": seconds}
    out["d_ratio"] = out["d_large"]["peak"] / out["d_small"]["peak"]
    return out


def child(args) -> int:
    """Measure one database (set by the parent's DATABASE_URL); print the figures as one JSON line."""
    django.setup()
    call_command("migrate", verbosity=0)
    result = {}
    if args.part != "throughput":
        small, large = (int(n) for n in args.reconcile_rows.split(","))
        result.update(reconcile_memory(small, large))
    if args.part != "reconcile":
        result.update(throughput(args))
    print(json.dumps(result))
    return 0


def throughput(args) -> dict:
    """(a), (b) and (c) against the sandbox: rates and ratios."""
    from channelhub.sync.engine import run_stream  # noqa: PLC0415 - imports models: after django.setup()
    from fulfillment.models import FulfillmentRequest  # noqa: PLC0415 - a model: after django.setup()

    settings.CONNECT_API_URL = args.sandbox_url
    settings.CONNECT_API_KEY = "ApiKey SU-000-000-000:bench"
    vendor = connection.vendor
    log = lambda *a: print(f"[{vendor}]", *a, file=sys.stderr, flush=True)  # noqa: E731
    raw = RawScript(args.sandbox_url, settings.CONNECT_API_KEY, FulfillmentRequest, map_request)
    measures = Measures(raw, run_stream, log)
    n = measures.n
    best = measures.best_of(args.repeat)
    assert FulfillmentRequest.objects.count() == n
    rate = {k: n / v for k, v in best.items()}
    return {
        "rows": n,
        **{k: rate[k] for k in rate},
        "a_ratio": rate["a_ours"] / rate["a_raw"],
        "b_ratio": rate["b_ours"] / rate["b_raw"],
        "c_ratio": rate["c_ours"] / rate["c_raw"],
    }


if __name__ == "__main__":
    sys.exit(main())
