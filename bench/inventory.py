#!/usr/bin/env python
"""Inventory pass benchmark: a 200,000-resource source into the mirror, as ratios.

    .venv/bin/python bench/inventory.py [--resources 200000] [--db sqlite|postgres|both]

The source is a connector module (bench/inventory_connector.py: servers with two IPs and two
connections, volumes, networks, three metadata values each), run in its child process as every
connector is. Each step runs in a process of its own (so each one's peak memory is its own):

(a) the first pass of `cmp.resources.bench` into an empty database: connector, validation,
    mapping, change-only upsert of the resources and their child rows, listed keys, reconcile;
(b) a raw upsert of the same rows: `channelhub.sync.upsert.upsert_rows` of the mapped resources
    and child rows, one transaction per page of 1000, mapped beforehand (untimed), into a
    fresh database. The figure is (b)'s time / (a)'s time, goal >= 0.8;
(c) a second pass where nothing changed: goal 0 resource rows written, time <= 0.3 x (a).

Peak memory is the process's maximum resident set (ru_maxrss) and the connector child's.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import fresh_database_env  # noqa: E402 - from ROOT, put on the path above

PG_DB = "channelhub_bench_inventory"
CONNECTOR = str(ROOT / "bench" / "inventory_connector.py")
PAGE = 1000


def main() -> int:
    """Run the steps in child processes, print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--resources", type=int, default=200_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        return step(args)
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    results = {}
    for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        results[db] = {}
        for name, fresh in (("raw", True), ("first", True), ("unchanged", False)):
            env = (
                fresh_database_env(
                    db,
                    sqlite_file=f"bench-inventory-{name if fresh else 'first'}.sqlite3",
                    pg_database=PG_DB + ("" if name != "raw" else "_raw"),
                )
                if fresh
                else results[db]["env"]
            )
            if name == "first":
                results[db]["env"] = env
            cmd = [sys.executable, __file__, "--step", name, "--resources", str(args.resources)]
            out = subprocess.run(cmd, capture_output=True, text=True, env=env)
            sys.stderr.write(out.stderr)
            if out.returncode:
                raise SystemExit(f"{db} {name}: failed (status {out.returncode})")
            results[db][name] = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{db} {name}: {results[db][name]}", file=sys.stderr, flush=True)
    report(args.resources, results)
    return 0


def report(n: int, results: dict) -> None:
    """The figures as a Markdown table."""
    print()
    print("| database | first pass rows/s | raw upsert rows/s | raw time / first pass (goal >= 0.8) "
          "| no-change pass: resource rows written, time / first (goal 0, <= 0.3) | peak memory first / no-change (worker; connector) |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- |")
    for db, r in results.items():
        first, raw, again = r["first"], r["raw"], r["unchanged"]
        print(
            f"| {db} | {n / first['seconds']:.0f} | {n / raw['seconds']:.0f} | {raw['seconds'] / first['seconds']:.2f} "
            f"| {again['written']}, {again['seconds'] / first['seconds']:.2f} ({again['seconds']:.1f} s vs {first['seconds']:.1f} s) "
            f"| {first['rss_mb']:.0f} MB / {again['rss_mb']:.0f} MB; {first['child_rss_mb']:.0f} MB / {again['child_rss_mb']:.0f} MB |"
        )


def _rss() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, child


def step(args) -> int:
    """One step in this process; one JSON line of figures."""
    import django  # noqa: PLC0415 - the parent never sets Django up

    django.setup()
    from django.conf import settings  # noqa: PLC0415 - after django.setup()
    from django.core.management import call_command  # noqa: PLC0415 - the same
    from django.db import transaction  # noqa: PLC0415 - the same

    settings.DEBUG = False
    if args.step != "unchanged":
        call_command("migrate", verbosity=0)
    from channelhub.sync.engine import run_stream  # noqa: PLC0415 - imports models: after django.setup()
    from inventory.models import InventorySource, Resource, SourceKind  # noqa: PLC0415 - the same

    n = args.resources
    source, _ = InventorySource.objects.get_or_create(
        name="bench",
        defaults={
            "kind": SourceKind.CONNECTOR,
            "parameters": {"module": CONNECTOR, "parameters": {"count": n}},
            "time_limit": 3600,
            "memory_mb": 8192,
        },  # fmt: skip
    )
    if args.step == "raw":
        seconds = raw(source, n, transaction)
        print(json.dumps({"seconds": seconds, "rss_mb": _rss()[0], "child_rss_mb": 0}))
        return 0
    before = Resource.objects.order_by("-synced_at").values_list("synced_at", flat=True).first()
    t0 = time.perf_counter()
    run = run_stream(source.stream_name)
    seconds = time.perf_counter() - t0
    assert run.status == "succeeded", run.error
    after = Resource.objects.order_by("-synced_at").values_list("synced_at", flat=True).first()
    written = run.created + run.updated
    if args.step == "unchanged":
        assert after == before, "a resource row was rewritten"
    own, child = _rss()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "written": written,
                "unchanged": run.unchanged,
                "rss_mb": own,
                "child_rss_mb": child,
            }
        )
    )
    return 0


def raw(source, n: int, transaction) -> float:
    """upsert_rows of the same mapped rows (resources and children), a transaction a page."""
    sys.path.insert(0, str(ROOT / "bench"))
    import inventory_connector  # noqa: PLC0415 - the bench's module, from its folder

    from channelhub.sync.upsert import upsert_rows  # noqa: PLC0415 - after django.setup()
    from inventory import mappers  # noqa: PLC0415 - the same
    from inventory.models import Resource, ResourceAddress, ResourceConnection, ResourceMetadata  # noqa: PLC0415 - the same

    pages = []
    for start in range(0, n, PAGE):
        rows, children = [], {ResourceMetadata: [], ResourceAddress: [], ResourceConnection: []}
        for i in range(start, min(start + PAGE, n)):
            row = mappers.map_resource(inventory_connector.make(i, 1), source_id=source.pk)
            rows.append(row)
            children[ResourceMetadata] += mappers.metadata_rows(row[0], row[2])
            children[ResourceAddress] += mappers.address_rows(row[0], row[2])
            children[ResourceConnection] += mappers.connection_rows(row[0], row[2], source_id=source.pk)
        pages.append((rows, children))
    t0 = time.perf_counter()
    for rows, children in pages:
        with transaction.atomic():
            upsert_rows(Resource, rows)
            for model, child_rows in children.items():
                upsert_rows(model, child_rows)
    return time.perf_counter() - t0


if __name__ == "__main__":
    sys.exit(main())
