#!/usr/bin/env python
"""Read API benchmark: N fulfillment requests, RQL queries through the API vs their bare SQL.

    .venv/bin/python bench/api.py [--rows 1000000] [--db sqlite|postgres|both] [--repeat 25] [--regen]

N requests are generated straight into a dedicated database (SQLite var/bench/api-N.sqlite3,
PostgreSQL `channelhub_bench_api`), kept for later runs of the same N (`--regen` rebuilds).
Then each query below (after three untimed warm-up rounds) goes through the whole API
in-process (token authentication, view permission, throttling, django-rql, pagination,
rendering: Django's test client, no socket), interleaved with its bare SQL: the very
statements the API ran for the page and the count, re-run on a raw cursor and fetched.
Figures are p50/p95 of `--repeat` runs and the ratio API / bare SQL (goal <= 2.5), the API's
overhead in ms (API p50 - SQL p50), plus the absolute page time at three depths (goal:
constant in page depth). The floor printed at the end is a plain Django view (/healthz: no
auth, no query) through the same client: no API request can cost less. (API = SQL + overhead,
so a query whose SQL costs less than two thirds of the overhead cannot be within 2.5x.)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import django
import orjson
import psycopg
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.test.utils import CaptureQueriesContext

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from channelhub.roles import READONLY, ensure_roles  # noqa: E402 - from ROOT, put on the path above
from channelhub.sync.upsert import canonical_json, digest  # noqa: E402
from fulfillment.connect.mappers import map_request  # noqa: E402

VAR = ROOT / "var" / "bench"
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "channelhub_bench_api"
START = datetime(2023, 1, 1, tzinfo=UTC)
PRODUCTS = 20
CUSTOMERS = 5000
STATUSES = ["approved"] * 14 + ["failed"] * 2 + ["pending", "inquiring", "revoked", "draft"]


def main() -> int:
    """Run one child process per database (generating its data if needed), print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=25)
    parser.add_argument("--regen", action="store_true", help="rebuild the data even if it is there")
    parser.add_argument(
        "--only", action="append", default=[], help="run the queries whose name contains this"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    VAR.mkdir(parents=True, exist_ok=True)
    results = {}
    for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        cmd = [
            sys.executable,
            __file__,
            "--child",
            db,
            "--rows",
            str(args.rows),
            "--repeat",
            str(args.repeat),
        ]
        cmd += ["--regen"] if args.regen else []
        cmd += [x for name in args.only for x in ("--only", name)]
        out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=child_env(db, args.rows))
        if out.returncode:
            raise SystemExit(f"{db}: the benchmark failed (status {out.returncode}); see above")
        results[db] = json.loads(out.stdout.strip().splitlines()[-1])
    report(results, args.rows)
    return 0


def child_env(db: str, rows: int) -> dict:
    """The child's environment: the kept database for `rows` requests of the kind `db`, no throttle."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="channelhub.settings", LOG_LEVEL="WARNING", DEBUG="false")
    env["API_THROTTLE_RATE"] = "1000000/min"
    if db == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{VAR / f'api-{rows}.sqlite3'}"
    else:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_BENCH_DB]).fetchone():
                conn.execute(f"CREATE DATABASE {PG_BENCH_DB}")
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_BENCH_DB}"
    return env


def report(results: dict, rows: int) -> None:
    """Print every query's p50/p95 times, ratio and overhead per database as a Markdown table."""
    print(f"\n{rows:,} fulfillment requests; times in ms, p50 / p95; ratio = API / bare SQL (page + count);")
    print("overhead = API p50 - SQL p50 (ms)\n")
    print(
        "| query | "
        + " | ".join(f"{db} API | {db} SQL | {db} ratio | {db} overhead" for db in results)
        + " |"
    )
    print("| --- |" + " --- | --- | --- | --- |" * len(results))
    names = list(next(iter(results.values()))["queries"])
    for name in names:
        cells = []
        for r in results.values():
            q = r["queries"][name]
            cells.append(
                f"{q['api_p50']:.1f} / {q['api_p95']:.1f} | {q['sql_p50']:.1f} / {q['sql_p95']:.1f} "
                f"| {q['ratio_p50']:.2f} / {q['ratio_p95']:.2f} | {q['api_p50'] - q['sql_p50']:.1f}"
            )
        print(f"| {name} | " + " | ".join(cells) + " |")
    for db, r in results.items():
        print(
            f"\n{db}: generated in {r['generated_s']:.0f}s (0 = reused); worst p50 ratio {r['worst_ratio']:.2f}; "
            f"floor (a plain Django view, /healthz, same client) {r['floor_ms']:.2f} ms"
        )


# --- the child: one database ---------------------------------------------------------------


def generate(rows: int) -> float:
    """Insert `rows` requests (typed columns + payload, as a sync writes them) unless there."""
    from fulfillment.models import FulfillmentRequest  # noqa: PLC0415 - a model: after django.setup()

    if FulfillmentRequest.objects.count() == rows:
        return 0.0
    started = time.perf_counter()
    FulfillmentRequest.objects.all().delete()
    base = json.loads((ROOT / "tests/fixtures/connect/fulfillment_request_pending_purchase.json").read_text())
    mapped = dict(map_request(base), id="", payload={}, payload_hash="", synced_at=START)
    fields = list(FulfillmentRequest._meta.concrete_fields)
    varying = ["id", "payload", "payload_hash", "status", "asset_id", "asset_external_id", "product_id"]
    varying += ["customer_id", "created", "updated"]
    # Constant columns are prepared for the database once; only the varying ones per row.
    constant = {f.attname: f.get_db_prep_save(mapped[f.attname], connection) for f in fields}
    by_name = {f.attname: f for f in fields}
    table = connection.ops.quote_name(FulfillmentRequest._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    batch = []
    for n in range(rows):
        p = orjson.loads(orjson.dumps(base))
        created = START + timedelta(seconds=30 * n)
        rid, aid = f"PR-{n // 10**8:04d}-{n // 10**4 % 10**4:04d}-{n % 10**4:04d}-001", f"AS-{n:012d}"
        product, customer = f"PRD-{n % PRODUCTS:03d}-000-000", f"TA-{n % CUSTOMERS:04d}-0000-0000"
        status = STATUSES[(n * 7) % len(STATUSES)]
        p.update(id=rid, status=status, created=created.isoformat(), updated=created.isoformat())
        p["asset"].update(id=aid, external_id=str(n))
        p["asset"]["product"]["id"] = product
        p["asset"]["tiers"]["customer"]["id"] = customer
        values = dict(id=rid, payload=p, payload_hash=digest(canonical_json(p)), status=status, asset_id=aid)
        values.update(asset_external_id=str(n), product_id=product, customer_id=customer)
        values.update(created=created, updated=created)
        row = dict(constant)
        for name in varying:
            row[name] = by_name[name].get_db_prep_save(values[name], connection)
        batch.append([row[f.attname] for f in fields])
        if len(batch) == 5000 or n == rows - 1:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(sql, batch)
            batch = []
            if (n + 1) % 50_000 == 0:
                print(f"  {n + 1:,} rows", file=sys.stderr, flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


def queries(rows: int) -> dict[str, str]:
    """The measured queries by name: the query string of /api/v1/connect/requests."""
    deep_keyset = (START + timedelta(seconds=30 * int(rows * 0.1))).isoformat()
    return {
        "first page (ordering -created)": "limit=100",
        "eq(status,pending) ordering(-created)": "eq(status,pending)&ordering(-created)&limit=100",
        "in(status,...) ordering(created)": "in(status,(pending,inquiring))&ordering(created)&limit=100",
        "eq(asset.product.id) and status": "and(eq(asset.product.id,PRD-003-000-000),eq(status,approved))&limit=100",
        "eq(asset.tiers.customer.id)": "eq(asset.tiers.customer.id,TA-0042-0000-0000)&limit=100",
        "ordering(-updated)": "ordering(-updated)&limit=100",
        "select(-asset.params,-asset.items)": "select(-asset.params,-asset.items)&limit=100",
        "page at offset 100": "ordering(-created)&limit=100&offset=100",
        "page at offset 9,900 (bounded max)": "ordering(-created)&limit=100&offset=9900",
        "keyset page 90% deep": f"lt(created,{deep_keyset})&ordering(-created)&limit=100",
        "count only (limit=0, filtered)": "eq(status,approved)&limit=0",
        "search=0000-0042": "search=0000-0042&limit=100",
        # An SDK filter every row matches (one provider serves them all): the planner must
        # still walk the ordering's index, not the filter's.
        "eq(asset.connection.provider.id) (all rows)": "eq(asset.connection.provider.id,PA-855-748)&limit=100",
    }


def own(sql: str) -> bool:
    """True for the page and count statements of a list call (not auth or permission lookups)."""
    return "fulfillment_fulfillmentrequest" in sql or "pg_class" in sql or sql.startswith("EXPLAIN")


def percentile(values: list[float], q: int) -> float:
    """p95 (the 19th of 20 quantiles) or, for any other `q`, the median."""
    return statistics.quantiles(values, n=20)[18] if q == 95 else statistics.median(values)


def run_sql(statements: list[str]) -> None:
    """Re-run the API's own statements on a raw cursor, fetching every row."""
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
            cursor.fetchall()


def floor_ms(client, repeat: int) -> list[float]:
    """Times of a plain Django view (/healthz: no auth, no query) through the same client."""
    for _ in range(20):
        client.get("/healthz")
    floor = []
    for _ in range(max(repeat, 50)):
        t0 = time.perf_counter()
        client.get("/healthz")
        floor.append((time.perf_counter() - t0) * 1000)
    return floor


def measure(client, name: str, query: str, repeat: int) -> dict:
    """One query through the API, interleaved `repeat` times with its bare SQL: p50/p95 and ratios."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/api/v1/connect/requests?{query}")
    assert response.status_code == 200, (name, response.content[:300])
    statements = [q["sql"] for q in ctx.captured_queries if own(q["sql"])]
    for _ in range(3):  # warm-up, untimed: caches of the database, the OS and Python
        _ = client.get(f"/api/v1/connect/requests?{query}").content
        run_sql(statements)
    api_t, sql_t = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = client.get(f"/api/v1/connect/requests?{query}")
        _ = r.content
        api_t.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        run_sql(statements)
        sql_t.append((time.perf_counter() - t0) * 1000)
    ratios = [a / s for a, s in zip(api_t, sql_t, strict=True)]
    return {
        "api_p50": percentile(api_t, 50),
        "api_p95": percentile(api_t, 95),
        "sql_p50": percentile(sql_t, 50),
        "sql_p95": percentile(sql_t, 95),
        "ratio_p50": statistics.median(ratios),
        "ratio_p95": percentile(ratios, 95),
        "content_range": response["Content-Range"],
        "statements": len(statements),
    }


def child(args) -> int:
    """Measure one database (set by the parent's DATABASE_URL); print the results as one JSON line."""
    django.setup()
    from django.contrib.auth.models import Group  # noqa: PLC0415 - a model: after django.setup()
    from rest_framework.test import APIClient  # noqa: PLC0415 - reads settings on import: after django.setup()

    from channelhub.models.tokens import ApiToken  # noqa: PLC0415 - a model: after django.setup()
    from fulfillment.models import FulfillmentRequest  # noqa: PLC0415 - a model: after django.setup()

    applied = MigrationRecorder(connection).applied_migrations()
    call_command("migrate", verbosity=0)
    if set(MigrationRecorder(connection).applied_migrations()) != set(applied):
        with connection.cursor() as cursor:  # statistics for the indexes a migration added
            cursor.execute("ANALYZE")
    if args.regen:
        FulfillmentRequest.objects.all().delete()
    generated = generate(args.rows)
    ensure_roles()
    user, _ = get_user_model().objects.get_or_create(username="bench-reader")
    user.groups.add(Group.objects.get(name=READONLY))
    ApiToken.objects.filter(user=user).delete()
    _, plain = ApiToken.issue(user=user, name="bench")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    floor = floor_ms(client, args.repeat)
    out = {}
    for name, query in queries(args.rows).items():
        if args.only and not any(part in name for part in args.only):
            continue
        out[name] = measure(client, name, query, args.repeat)
        print(f"  {name}: {out[name]}", file=sys.stderr, flush=True)
    worst = max(q["ratio_p50"] for q in out.values())
    result = {
        "queries": out,
        "generated_s": generated,
        "worst_ratio": worst,
        "floor_ms": statistics.median(floor),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
