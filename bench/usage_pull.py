#!/usr/bin/env python
"""Usage records pull benchmark: N records of one usage file into the mirror, as a ratio.

    .venv/bin/python bench/usage_pull.py [--rows 100000] [--db sqlite|postgres|both] [--repeat 2]
        [--profile 40]

The sandbox (small world, scale 40) gets one usage file whose uploaded workbook holds `--rows`
records (processed by the sandbox like any upload, then `ready`). In a child process per
database, the same run measures, interleaved and best of `--repeat`, into an empty table:

(a) ours: `connect.usage-records` through the engine (keyset pages of 1000 over HTTP, exact
    Decimal parsing, mapping, change-only upsert, cursor and SyncRun bookkeeping, the marker);
(b) the raw upsert: `channelhub.sync.upsert.upsert_rows` of the same mapped rows, one
    transaction a page, pages fetched and mapped beforehand (untimed).

The figure is (b)'s time / (a)'s time: the share of the bare write speed a real pull keeps.
Goal >= 0.8. Also printed: (c) a second pull with nothing changed (no request, no write).
`--profile N` adds one more, untimed pull of (a) under cProfile and prints its N costliest
functions (cumulative) to stderr; the sandbox's side shows there as the time spent waiting
in the client's socket reads.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import django
import requests
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from openpyxl import Workbook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import fresh_database_env  # noqa: E402 - from ROOT, put on the path above
from channelhub.sandbox.server import SandboxServer  # noqa: E402 - from ROOT, put on the path above

VAR = ROOT / "var" / "bench"
PG_BENCH_DB = "channelhub_bench_usage"
PAGE = 1000
KEY = "ApiKey SU-000-000-000:bench"
COLUMNS = (
    "record_id", "record_note", "item_search_criteria", "item_search_value", "asset_search_criteria",
    "asset_search_value", "start_time_utc", "end_time_utc", "category_id", "quantity", "amount", "tier",
)  # fmt: skip


def main() -> int:
    """Start the sandbox, make the big file, run one child per database, print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--sandbox-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channelhub.settings")
    django.setup()
    from channelhub.management.commands.sandbox import server_modules  # noqa: PLC0415 - after django.setup()

    VAR.mkdir(parents=True, exist_ok=True)
    state = VAR / f"usage-pull-{args.rows}.sqlite3"
    for stale in [
        state,
        *VAR.glob(f"{state.name}.*"),
    ]:  # the pristine copy too: it has the schema it was built with
        stale.unlink(missing_ok=True)
    server = SandboxServer(state_path=state, seed=1, scale=40, port=0, modules=server_modules()).start()
    results = {}
    try:
        started = time.perf_counter()
        file_id = big_file(server, args.rows)
        print(
            f"file {file_id} with {args.rows} records ready in {time.perf_counter() - started:.1f}s",
            flush=True,
        )
        for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
            cmd = [sys.executable, __file__, "--child", db, "--sandbox-url", server.connect_url]
            cmd += ["--rows", str(args.rows), "--repeat", str(args.repeat), "--profile", str(args.profile)]
            out = subprocess.run(cmd, capture_output=True, text=True, env=child_env(db))
            sys.stderr.write(out.stderr)
            if out.returncode:
                raise SystemExit(f"{db}: the benchmark failed (status {out.returncode}); see above")
            results[db] = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        server.stop()
    report(results)
    return 0


def big_file(server, rows: int) -> str:
    """Create a usage file for an active asset and upload `rows` good records; wait until ready."""
    headers = {"Authorization": KEY}
    base = server.connect_url
    requests.post(
        f"{server.url}/_sandbox/usage", json={"processing_seconds": 0}, timeout=10
    ).raise_for_status()
    asset = requests.get(
        f"{base}/assets?eq(status,active)&ordering(id)&limit=1", headers=headers, timeout=10
    ).json()[0]
    item = requests.get(
        f"{base}/products/{asset['product']['id']}/items", headers=headers, timeout=10
    ).json()[0]
    month = asset["events"]["created"]["at"][:7]
    year, mon = int(month[:4]), int(month[5:7])
    period_end = (date(year + mon // 12, mon % 12 + 1, 1) - timedelta(days=1)).isoformat()
    last_day = 28  # records on days 1..28: inside every month
    body = {
        "name": "Bench usage",
        "product": {"id": asset["product"]["id"]},
        "contract": {"id": asset["contract"]["id"]},
        "period": {"from": f"{month}-01", "to": period_end},  # the calendar month the asset began in
    }
    created = requests.post(f"{base}/usage/files", json=body, headers=headers, timeout=30)
    created.raise_for_status()
    file_id = created.json()["id"]
    book = Workbook(write_only=True)
    cats = book.create_sheet("categories")
    cats.append(("category_id", "category_name", "category_description"))
    cats.append(("generic_category", "Generic Category", "Generic autogenerated category"))
    sheet = book.create_sheet("records")
    sheet.append(COLUMNS)
    for i in range(rows):
        day, second = i % last_day + 1, i % 86000
        start = f"{month}-{day:02d} {second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
        end = f"{month}-{day:02d} 23:59:59"
        quantity = f"{i % 997}.{i % 100_000_000:08d}"  # 8 decimals: exactness is part of the work
        sheet.append(
            (f"r-{i}", "", "item.mpn", item["mpn"], "asset.id", asset["id"], start, end,
             "generic_category", quantity, f"{i % 89}.{i % 10_000:04d}", 1)
        )  # fmt: skip
    data = io.BytesIO()
    book.save(data)
    uploaded = requests.post(
        f"{base}/usage/files/{file_id}/upload",
        files={"usage_file": ("usage_file.xlsx", data.getvalue())},
        headers=headers,
        timeout=3600,
    )
    uploaded.raise_for_status()
    deadline = time.monotonic() + 3600
    while time.monotonic() < deadline:
        try:  # the sandbox answers once it has processed the workbook (it holds its store meanwhile)
            doc = requests.get(f"{base}/usage/files/{file_id}", headers=headers, timeout=600).json()
        except requests.exceptions.Timeout:
            continue
        if doc["status"] == "ready":
            return file_id
        if doc["status"] == "invalid":
            raise SystemExit(f"the bench file is invalid: {doc.get('error_detail')}")
        time.sleep(1)
    raise SystemExit("the bench file never became ready")


def child_env(db: str) -> dict:
    """The child's environment: a fresh, empty database of the kind `db` (bench/common.py)."""
    return fresh_database_env(db, sqlite_file="bench-usage.sqlite3", pg_database=PG_BENCH_DB)


def report(results: dict) -> None:
    """Print the children's rates and ratios as a Markdown table."""
    print()
    print(
        "| database | pull: raw upsert time / ours (goal >= 0.8) | ours rows/s | raw upsert rows/s | unchanged re-pull |"
    )
    print("| --- | --- | --- | --- | --- |")
    for db, r in results.items():
        print(
            f"| {db} | {r['ratio']:.2f} | {r['ours']:.0f} | {r['raw']:.0f} "
            f"| {r['unchanged_seconds']:.3f}s, {r['unchanged_fetched']} rows read |"
        )


# --- the child: one database, everything measured in this one process --------------------


def child(args) -> int:
    """Measure one database (the parent's DATABASE_URL); print the figures as one JSON line."""
    django.setup()
    call_command("migrate", verbosity=0)
    from channelhub.sync.engine import run_stream  # noqa: PLC0415 - imports models: after django.setup()
    from channelhub.sync.upsert import upsert_rows  # noqa: PLC0415 - the same
    from channelhub.upstream import rql  # noqa: PLC0415 - the same
    from channelhub.upstream.connect import ConnectClient  # noqa: PLC0415 - the same
    from usage.mappers import map_usage_record  # noqa: PLC0415 - the same
    from usage.models import UsageFile, UsageRecord  # noqa: PLC0415 - the same
    from usage.streams.exact import exact_page  # noqa: PLC0415 - the same

    settings.CONNECT_API_URL = args.sandbox_url
    settings.CONNECT_API_KEY = KEY
    settings.DEBUG = False
    vendor = connection.vendor
    log = lambda *a: print(f"[{vendor}]", *a, file=sys.stderr, flush=True)  # noqa: E731
    assert run_stream("connect.usage-files").status == "succeeded"
    big = UsageFile.objects.filter(name="Bench usage").get()
    others = list(UsageFile.objects.exclude(pk=big.pk).values_list("pk", flat=True))

    # the raw baseline's pages, fetched and mapped once, outside the timing
    client = ConnectClient.from_settings()
    pages, after = [], ""
    while True:
        filters = rql.and_(rql.eq("usagefile.id", big.pk), rql.gt("id", after) if after else "")
        items = exact_page(client, "/usage/records", filters=filters, ordering=("id",), limit=PAGE)
        if items:
            pages.append([(p["id"], map_usage_record(p), p) for p in items])
            after = items[-1]["id"]
        if len(items) < PAGE:
            break
    n = sum(len(p) for p in pages)
    assert n == args.rows, (n, args.rows)
    log(f"fetched {n} records for the baseline")

    def empty():
        with transaction.atomic():
            UsageRecord.objects.all()._raw_delete(UsageRecord.objects.db)
            UsageFile.objects.update(records_pulled_for="", records_pulled_upload="")
            # only the big file is timed: the seeded files' few records are marked pulled
            UsageFile.objects.filter(pk__in=others).update(records_pulled_for="skip")
        from channelhub.models import StreamState  # noqa: PLC0415 - after django.setup()

        StreamState.objects.filter(stream="connect.usage-records").update(cursor={})

    def mark_others_pulled():
        from usage.streams.records import file_state  # noqa: PLC0415 - after django.setup()

        for usage_file in UsageFile.objects.filter(pk__in=others):
            UsageFile.objects.filter(pk=usage_file.pk).update(records_pulled_for=file_state(usage_file)[0])

    def ours() -> float:
        empty()
        mark_others_pulled()
        t0 = time.perf_counter()
        run = run_stream("connect.usage-records", page_size=PAGE)
        spent = time.perf_counter() - t0
        assert run.status == "succeeded", run.error
        assert run.created == n, (run.created, n)
        return spent

    def raw() -> float:
        empty()
        t0 = time.perf_counter()
        for rows in pages:
            with transaction.atomic():
                upsert_rows(UsageRecord, rows)
        return time.perf_counter() - t0

    best = {"raw": float("inf"), "ours": float("inf")}
    for i in range(args.repeat):
        for key, fn in (("raw", raw), ("ours", ours)):
            seconds = fn()
            best[key] = min(best[key], seconds)
            log(f"round {i + 1}: {key} {seconds:.2f}s ({n / seconds:.0f} rows/s)")
    if args.profile:
        profiler = cProfile.Profile()
        seconds = profiler.runcall(ours)
        log(f"profiled: ours {seconds:.2f}s under cProfile")
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(args.profile)
    # (c): the table holds what `ours` pulled; nothing changed upstream
    t0 = time.perf_counter()
    again = run_stream("connect.usage-records", page_size=PAGE)
    unchanged = time.perf_counter() - t0
    assert again.status == "succeeded" and again.created == again.updated == 0
    print(
        json.dumps(
            {
                "rows": n,
                "ours": n / best["ours"],
                "raw": n / best["raw"],
                "ratio": best["raw"] / best["ours"],
                "unchanged_seconds": unchanged,
                "unchanged_fetched": again.fetched,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
