#!/usr/bin/env python
"""Dashboard benchmark: the back office's first page at N fulfillment requests (1M by default).

    .venv/bin/python bench/dashboard.py [--rows 1000000] [--repeat 10] [--keep PATH]

N requests (typed columns as a sync writes them, a small payload: the dashboard never reads
it) are bulk-inserted into a temporary SQLite database (`--keep PATH` keeps and reuses one),
with 20,000 upstream actions over the last two days, 100,000 automation tasks and a few
hundred sync runs. A share of the requests is pending (5 %) or inquiring (2 %), spread over
two years, 1 % are migrations;
queue targets are set for the pending queue (all products, and one product's own).

Then each widget's `context(user)` (all its queries) is timed, p50 / p95 of `--repeat` runs
after a warm-up, and the whole page through Django's test client. Every statement a widget
ran is printed with SQLite's EXPLAIN QUERY PLAN: a big table must be searched through an
index (`SEARCH ... USING INDEX` / `COVERING INDEX`), never `SCAN`ned.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PRODUCTS = 20
BIG_TABLES = (
    "fulfillment_fulfillmentrequest",
    "channelhub_upstreamaction",
    "channelhub_syncrun",
    "channelhub_automationtask",
)


def main() -> int:
    """Set up the database (made once), then measure and print the report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--keep", help="SQLite file to keep (reused when it has --rows requests)")
    args = parser.parse_args()
    path = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-dashboard-")) / "db.sqlite3"
    os.environ.update(
        DJANGO_SETTINGS_MODULE="channelhub.settings",
        DATABASE_URL=f"sqlite:///{path}",
        LOG_LEVEL="WARNING",
        DEBUG="false",
    )
    import django  # noqa: PLC0415 - settings come from the environment set just above

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415 - after django.setup()

    call_command("migrate", verbosity=0)
    generated = generate(args.rows)
    print(f"\n{args.rows:,} fulfillment requests in {path} (generated in {generated:.0f} s; 0 = reused)\n")
    measure(args.repeat)
    if not args.keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return 0


def generate(rows: int) -> float:
    """Insert `rows` requests, the actions, runs and targets (unless the database has them)."""
    from django.db import connection, transaction  # noqa: PLC0415 - after django.setup()

    from channelhub.models import QueueTarget  # noqa: PLC0415 - a model: after django.setup()
    from fulfillment.models import FulfillmentRequest  # noqa: PLC0415 - a model: after django.setup()

    if FulfillmentRequest.objects.count() == rows:
        return 0.0
    started = time.perf_counter()
    now = datetime.now(UTC)
    fields = list(FulfillmentRequest._meta.concrete_fields)
    defaults = {f.attname: f.get_default() for f in fields}
    defaults.update(payload={}, payload_hash="", synced_at=now)
    table = connection.ops.quote_name(FulfillmentRequest._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    span = timedelta(days=730).total_seconds()
    batch = []
    for n in range(rows):
        share = (n * 7919) % 100  # spread statuses evenly over time
        status = (
            "pending" if share < 5 else "inquiring" if share < 7 else "failed" if share < 9 else "approved"
        )
        values = dict(
            defaults,
            id=f"PR-{n // 10**8:04d}-{n // 10**4 % 10**4:04d}-{n % 10**4:04d}-001",
            status=status,
            type="purchase",
            product_id=f"PRD-{n % PRODUCTS:03d}-000-000",
            is_migration=share == 99,
            created=now - timedelta(seconds=span * (1 - n / rows)),
        )
        values["updated"] = values["created"]
        batch.append([f.get_db_prep_save(values[f.attname], connection) for f in fields])
        if len(batch) == 10_000 or n == rows - 1:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(sql, batch)
            batch = []
            if (n + 1) % 100_000 == 0:
                print(f"  {n + 1:,} requests", file=sys.stderr, flush=True)
    _outbox_and_runs(now)
    QueueTarget.objects.get_or_create(
        queue="connect.requests.pending", product_id="", defaults={"minutes": 24 * 60}
    )
    QueueTarget.objects.get_or_create(
        queue="connect.requests.pending", product_id="PRD-003-000-000", defaults={"minutes": 4 * 60}
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


def _outbox_and_runs(now: datetime) -> None:
    from channelhub.models import StreamState, SyncRun, UpstreamAction  # noqa: PLC0415 - after django.setup()
    from channelhub.sync import registry  # noqa: PLC0415 - reads the app registry

    statuses = ["succeeded"] * 16 + ["failed", "cancelled", "queued", "sending"]
    actions = [
        UpstreamAction(
            kind="connect.request.approve",
            target_type="fulfillment.fulfillmentrequest",
            target_id=f"PR-9999-{n:09d}",
            status=statuses[n % len(statuses)],
            created_at=now - timedelta(seconds=n * 8.64),  # two days
            next_attempt_at=now - timedelta(seconds=n * 8.64),
            sending_since=now - timedelta(minutes=n % 60),
            last_error="Request is not in pending status" if n % 20 == 16 else "",
        )
        for n in range(20_000)
    ]
    # One open action per target is the rule; the targets above are all different.
    UpstreamAction.objects.bulk_create(actions, batch_size=2000)
    runs = []
    for name in registry.declared_streams():
        StreamState.objects.get_or_create(
            stream=name, defaults={"last_success_at": now - timedelta(minutes=20)}
        )
        for n in range(30):
            started = now - timedelta(minutes=15 * n)
            runs.append(SyncRun(stream=name, status="failed" if n < 3 else "succeeded", started_at=started))
    SyncRun.objects.bulk_create(runs, batch_size=2000)
    _automation_tasks(now)


def _automation_tasks(now: datetime, count: int = 100_000) -> None:
    """Processors' tasks over two days: mostly decided, some skipped, failed, refused, in dry
    run, and a few hundred still due (each target once: one open task per processor and object)."""
    from channelhub.models import AutomationTask  # noqa: PLC0415 - after django.setup()

    statuses = ["decided"] * 12 + ["skipped"] * 4 + ["failed", "refused", "dry_run", "due"]
    tasks = []
    for n in range(count):
        status = statuses[n % len(statuses)]
        when = now - timedelta(seconds=n * 1.728)  # two days
        tasks.append(
            AutomationTask(
                processor="connect.purchase_rules",
                event_type="asset_purchase_request_processing",
                target_type="fulfillment.fulfillmentrequest",
                target_id=f"PR-8888-{n:09d}",
                status=status,
                decision="approve" if status in ("decided", "dry_run") else "",
                created_at=when,
                next_run_at=when,
                finished_at=None if status == "due" else when,
                error="ValueError: bench" if status == "failed" else "",
            )
        )
    AutomationTask.objects.bulk_create(tasks, batch_size=2000)


def percentile(values: list[float], q: int) -> float:
    """The q-th percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def measure(repeat: int) -> None:
    """Time each widget's context and the whole page; print every statement's query plan."""
    from django.contrib.auth import get_user_model  # noqa: PLC0415 - after django.setup()
    from django.db import connection  # noqa: PLC0415 - after django.setup()
    from django.test import Client  # noqa: PLC0415 - after django.setup()
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415 - after django.setup()

    from channelhub.dashboard import all_widgets  # noqa: PLC0415 - reads the app registry

    user, _ = get_user_model().objects.get_or_create(
        username="bench-boss", defaults={"is_staff": True, "is_superuser": True}
    )
    plans: dict[str, list[tuple[str, list[str]]]] = {}
    print("| widget | queries | p50 ms | p95 ms |\n| --- | --- | --- | --- |")
    for widget in all_widgets():
        widget.context(user)  # warm-up
        times = []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                widget.context(user)
                times.append((time.perf_counter() - started) * 1000)
        statements = [q["sql"] for q in captured.captured_queries]
        plans[widget.key] = [
            (f"[{q['time']} s] {q['sql']}", explain(connection, q["sql"])) for q in captured.captured_queries
        ]
        print(
            f"| {widget.key} | {len(statements)} | {percentile(times, 50):.1f} | {percentile(times, 95):.1f} |"
        )
    client = Client()
    client.force_login(user)
    client.get("/admin/")
    page = []
    for _ in range(repeat):
        started = time.perf_counter()
        assert client.get("/admin/").status_code == 200
        page.append((time.perf_counter() - started) * 1000)
    print(
        f"| whole page (/admin/, test client) | | {statistics.median(page):.1f} | {percentile(page, 95):.1f} |"
    )
    print("\nQuery plans (SQLite EXPLAIN QUERY PLAN):")
    scans = []
    for key, entries in plans.items():
        print(f"\n## {key}")
        for sql, plan in entries:
            print(f"\n{sql[:300]}{'…' if len(sql) > 300 else ''}")
            for line in plan:
                print(f"    {line}")
                if line.lstrip("-| `").startswith("SCAN") and any(t in line for t in BIG_TABLES):
                    scans.append((key, line))
    print("\nFull scans of a big table:", "none" if not scans else scans)


def explain(connection, sql: str) -> list[str]:
    """SQLite's query plan of `sql` (its parameters are inlined by the captured SQL already)."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return [row[-1] for row in cursor.fetchall()]


if __name__ == "__main__":
    sys.exit(main())
