#!/usr/bin/env python
"""Usage workbook benchmark: build, validate and write a 100,000-record usage workbook.

    .venv/bin/python bench/usage.py [--rows 100000] [--db sqlite|postgres|both] [--repeat 2]

Machines here are shared and noisy, so every figure is a ratio against a baseline measured
in the same process, interleaved (baseline, ours, baseline, ours, ...), best of `--repeat`:

(a) validate + write: `validate_report` (every row checked against the mirror: 1,000
    recurring assets with items and parameters, the listing) then `report_workbook` (the
    rows read from the database, written with openpyxl write-only) vs a bare openpyxl
    write-only loop writing the same cells (prepared in memory, untimed) to the same two
    sheets. Goal >= 0.7 (ours rows/s over the bare loop's).
(b) build: `import_usage` of the 100,000-row staff workbook (openpyxl read-only, cells
    parsed, grouped, bulk-created, validated) vs a bare openpyxl read-only loop over the
    same file. Informational: there is no goal for it.

The pull half of the usage figures (pulling 100,000 records into the mirror against the raw
upsert, goal >= 0.8) is the sync helper's `bench/usage_pull.py`: when that file is there,
it is run after these and its output printed (`--no-pull` skips it).
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import django
from django.conf import settings
from django.core.management import call_command
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import fresh_database_env  # noqa: E402 - from ROOT, put on the path above

VAR = ROOT / "var" / "bench"
PG_BENCH_DB = "channelhub_bench_usage"
PULL = ROOT / "bench" / "usage_pull.py"
CONTRACT, PRODUCT = "CRD-00000-00000-00001", "PRD-100-200-300"
ASSETS = 1000
ITEMS = 5


def main() -> int:
    """Run one child process per database, print the table, then the pull half if present."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--no-pull", action="store_true", help="do not run bench/usage_pull.py")
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
        out = subprocess.run(cmd, capture_output=True, text=True, env=child_env(db))
        sys.stderr.write(out.stderr)
        sys.stderr.flush()
        if out.returncode:
            raise SystemExit(f"{db}: the benchmark failed (status {out.returncode}); see above")
        results[db] = json.loads(out.stdout.strip().splitlines()[-1])
    report(results)
    if not args.no_pull:
        pull(args)
    return 0


def child_env(db: str) -> dict:
    """The child's environment: a fresh, empty database of the kind `db` (bench/common.py)."""
    return fresh_database_env(db, sqlite_file="usage.sqlite3", pg_database=PG_BENCH_DB)


def report(results: dict) -> None:
    """Print the children's rates and ratios as a Markdown table."""
    print()
    print(
        "| database | rows | (a) validate + write: ours / bare openpyxl write | "
        "(b) build (import): ours / bare openpyxl read | invalid rows |"
    )
    print("| --- | --- | --- | --- | --- |")
    for db, r in results.items():
        print(
            f"| {db} | {r['rows']} | {r['a_ratio']:.2f} ({r['a_ours']:.0f} vs {r['a_bare']:.0f} rows/s; "
            f"validate {r['validate']:.0f}, write {r['write']:.0f} rows/s) "
            f"| {r['b_ratio']:.2f} ({r['b_ours']:.0f} vs {r['b_bare']:.0f} rows/s) | {r['invalid']} |"
        )


def pull(args) -> None:
    """The sync helper's pull half (bench/usage_pull.py), when it is there."""
    if not PULL.exists():
        print(f"\npull: {PULL.relative_to(ROOT)} is not here (the sync helper's part); not measured")
        return
    print(f"\npull: {PULL.relative_to(ROOT)}", flush=True)
    cmd = [sys.executable, str(PULL), "--rows", str(args.rows), "--repeat", str(args.repeat)]
    done = subprocess.run(cmd, check=False)
    if done.returncode:
        raise SystemExit(f"{PULL.name} failed (status {done.returncode})")


# --- the child: one database, everything measured in this one process --------------------


def seed(rows: int) -> bytes:
    """The mirror (a listing, ASSETS recurring assets of ITEMS items each) and the staff
    workbook of `rows` good QT records for March 2024 (half by asset id, half by parameter)."""
    from openpyxl import Workbook  # noqa: PLC0415 - the child imports after django.setup(), like the rest

    from usage.models import Listing, RecurringAsset  # noqa: PLC0415 - a model: after django.setup()
    from usage.workbook import RECORD_COLUMNS  # noqa: PLC0415 - the same

    created = datetime(2024, 1, 10, tzinfo=UTC)
    Listing.objects.create(
        id="LST-1",
        status="listed",
        product_id=PRODUCT,
        contract_id=CONTRACT,
        usage_schema="qt",
        currency="USD",
    )
    assets = []
    for n in range(ASSETS):
        items = [
            {"id": f"{PRODUCT}-{i:04d}", "global_id": f"{PRODUCT}-{i:04d}", "mpn": f"MPN-{i}"}
            for i in range(ITEMS)
        ]
        params = [{"id": "subscription_id", "value": f"SUB-{n:05d}"}]
        assets.append(
            RecurringAsset(
                id=f"AS-{n:05d}", status="active", product_id=PRODUCT, contract_id=CONTRACT, created=created,
                updated=created, items=items, payload={"id": f"AS-{n:05d}", "items": items, "params": params},
            )
        )  # fmt: skip
    RecurringAsset.objects.bulk_create(assets, batch_size=500)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("records")
    sheet.append(RECORD_COLUMNS)
    start = datetime(2024, 3, 1, tzinfo=UTC)
    for n in range(rows):
        at = start + timedelta(seconds=n * 20)
        by_param = n % 2
        sheet.append(
            [
                f"rec-{n:07d}", "", "item.mpn", f"MPN-{n % ITEMS}",
                "parameter.subscription_id" if by_param else "asset.id",
                f"SUB-{n % ASSETS:05d}" if by_param else f"AS-{n % ASSETS:05d}",
                f"{at:%Y-%m-%d %H:%M:%S}", f"{at + timedelta(seconds=10):%Y-%m-%d %H:%M:%S}",
                None, Decimal(n % 1000) / 8, None, None,
            ]
        )  # fmt: skip
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def bare_write(cells: list[tuple]) -> bytes:
    """(a)'s baseline: the same two sheets and cells, openpyxl write-only, nothing else."""
    from openpyxl import Workbook  # noqa: PLC0415 - after django.setup(), like the rest

    from usage.workbook import CATEGORY_COLUMNS, DEFAULT_CATEGORY, RECORD_COLUMNS  # noqa: PLC0415 - the same

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("categories")
    sheet.append(CATEGORY_COLUMNS)
    sheet.append(DEFAULT_CATEGORY)
    sheet = workbook.create_sheet("records")
    sheet.append(RECORD_COLUMNS)
    for row in cells:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def bare_read(content: bytes) -> int:
    """(b)'s baseline: every row of the staff workbook read with openpyxl read-only."""
    from openpyxl import load_workbook  # noqa: PLC0415 - after django.setup(), like the rest

    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    count = sum(1 for _ in workbook["records"].iter_rows(values_only=True))
    workbook.close()
    return count


def child(args) -> int:
    """Measure one database (set by the parent's DATABASE_URL); print the figures as one JSON line."""
    django.setup()
    call_command("migrate", verbosity=0)
    from usage.importing import import_usage  # noqa: PLC0415 - imports models: after django.setup()
    from usage.models import UsageReport  # noqa: PLC0415 - the same
    from usage.validation import validate_report  # noqa: PLC0415 - the same
    from usage.workbook import ROW_FIELDS, report_workbook, row_cells  # noqa: PLC0415 - the same

    settings.DEBUG = False
    log = lambda *a: print(f"[{connection.vendor}]", *a, file=sys.stderr, flush=True)  # noqa: E731
    t = time.perf_counter()
    content = seed(args.rows)
    log(
        f"seeded {ASSETS} assets and a {args.rows}-row staff workbook ({len(content) // 1024} KiB) in {time.perf_counter() - t:.1f}s"
    )
    best = {k: float("inf") for k in ("a_bare", "a_ours", "validate", "write", "b_bare", "b_ours")}
    report = None
    for i in range(args.repeat):
        t = time.perf_counter()
        assert bare_read(content) == args.rows + 1
        best["b_bare"] = min(best["b_bare"], time.perf_counter() - t)
        t = time.perf_counter()
        usage_import = import_usage(filename="bench.xlsx", content=content)
        best["b_ours"] = min(best["b_ours"], time.perf_counter() - t)
        assert usage_import.rows == args.rows and not usage_import.problems, usage_import.problems
        report = UsageReport.objects.get(usage_import=usage_import)
        invalid = report.invalid_rows
        cells = [row_cells(v) for v in report.report_rows.order_by("row_number").values_list(*ROW_FIELDS)]
        t = time.perf_counter()
        bare = bare_write(cells)
        best["a_bare"] = min(best["a_bare"], time.perf_counter() - t)
        del cells
        t = time.perf_counter()
        assert validate_report(report) == invalid == 0
        v = time.perf_counter()
        ours = report_workbook(report)
        w = time.perf_counter()
        best["a_ours"] = min(best["a_ours"], w - t)
        best["validate"], best["write"] = min(best["validate"], v - t), min(best["write"], w - v)
        log(
            f"round {i + 1}: import {best['b_ours']:.2f}s (bare read {best['b_bare']:.2f}s); "
            f"validate {v - t:.2f}s + write {w - v:.2f}s (bare write {best['a_bare']:.2f}s); "
            f"{len(ours) // 1024} vs {len(bare) // 1024} KiB"
        )
    rate = {k: args.rows / s for k, s in best.items()}
    result = {"rows": args.rows, "invalid": report.invalid_rows, **rate}
    result["a_ratio"] = rate["a_ours"] / rate["a_bare"]
    result["b_ratio"] = rate["b_ours"] / rate["b_bare"]
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
