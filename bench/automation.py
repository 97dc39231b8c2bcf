#!/usr/bin/env python
"""Automation benchmark: the purchase-rules processor deciding N pending requests, and the
time from a request arriving upstream to its decision applied, with the worker running.

    .venv/bin/python bench/automation.py [--rows 10000] [--repeat 2]
    .venv/bin/python bench/automation.py --latency 12 [--tick-every 10]

N pending purchases of one product (an email, an edition and a tenant parameter, one item)
are bulk-inserted into a temporary SQLite database with the product's fulfillment template and
purchase rules (every parameter rule holds, so every decision is an approval). Then, interleaved
(baseline, ours, baseline, ours, ...), best of `--repeat`, outbox and tasks emptied between:

- baseline: `services.request_approve` called N times as the system actor (what a script of
  plain service calls costs: each check, the outbox action, the audit event);
- ours: the processor enabled, its N tasks queued, then `runner.run_due` running them (each
  task claimed, the request read afresh, the view built, the rules applied, the same service
  called inside `deciding(...)`, the task recorded with its action).

The figure is ours decisions/s over the baseline's calls/s (goal >= 0.8). Machines here are
shared and noisy: only the ratio, measured in the same process, means anything.

`--latency N`: the sandbox (not live) and a real `manage.py qcluster` on a temporary SQLite
database with the schedules of the path a new request takes (the requests stream every
minute, the processors' and the outbox's sweeps); purchase rules approving every product's
purchases, the processor on. N times, every `--tick-every` seconds, one tick of upstream life
brings new purchase requests; each is followed to its approval applied upstream by our action.
Printed: per request, arrival -> queued for the processor (the sync's lag), -> decided,
-> applied upstream, and the whole, as median / 95th percentile / worst (bench/automation_latency.py).
Requests a portal colleague of the sandbox processed first are counted, not timed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PRODUCT, TEMPLATE = "PRD-100-100-100", "TL-100-100-100"
RULES = "connect.purchase_rules"


def main() -> int:
    """Set up the database, measure, print the figure."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--latency", type=int, default=0, help="ticks of new requests to follow")
    parser.add_argument("--tick-every", type=float, default=10.0)
    args = parser.parse_args()
    if args.latency:
        from bench.automation_latency import measure  # noqa: PLC0415 - only for this part

        return measure(ticks=args.latency, tick_every=args.tick_every)
    path = Path(tempfile.mkdtemp(prefix="bench-automation-")) / "db.sqlite3"
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
    generate(args.rows)
    base, ours = [], []
    for _ in range(args.repeat):
        base.append(baseline())
        ours.append(processor())
    best_base, best_ours = min(base), min(ours)
    print(f"\n{args.rows:,} pending purchases, best of {args.repeat} (SQLite)")
    print(f"  plain service calls   {best_base:7.2f} s  {args.rows / best_base:8.0f} calls/s")
    print(f"  rules processor       {best_ours:7.2f} s  {args.rows / best_ours:8.0f} decisions/s")
    print(f"  ratio (goal >= 0.8)   {best_base / best_ours:7.2f}")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return 0


def generate(rows: int) -> None:
    """The product, its template and rules, and `rows` pending purchases."""
    from fulfillment.models import (  # noqa: PLC0415 - models: after django.setup()
        FulfillmentRequest,
        ParameterRule,
        Product,
        PurchaseRules,
        Template,
    )

    now = datetime.now(UTC)
    Product.objects.create(id=PRODUCT, name="Bench product", payload={})
    Template.objects.create(
        id=TEMPLATE, product_id=PRODUCT, name="Activation", type="fulfillment", scope="asset", payload={}
    )
    rules = PurchaseRules.objects.create(product_id=PRODUCT, template_id=TEMPLATE, max_quantity=100)
    ParameterRule.objects.create(rules=rules, parameter_id="admin_email", required=True, pattern=r".+@.+")
    ParameterRule.objects.create(
        rules=rules, parameter_id="edition", allowed_values="standard\nbusiness\nenterprise"
    )
    params = [
        {"id": "admin_email", "name": "admin_email", "type": "email", "value": "admin@example.com"},
        {"id": "edition", "name": "edition", "type": "choice", "value": "business"},
        {"id": "tenant_id", "name": "tenant_id", "type": "text", "value": ""},
    ]
    items = [{"id": "PRD-100-100-100-0001", "mpn": "SEAT", "quantity": "5"}]
    FulfillmentRequest.objects.bulk_create(
        [
            FulfillmentRequest(
                id=f"PR-1000-{n // 10**4:04d}-{n % 10**4:04d}-001",
                status="pending",
                type="purchase",
                product_id=PRODUCT,
                asset_id=f"AS-1000-{n // 10**4:04d}-{n % 10**4:04d}",
                params=params,
                items=items,
                payload={},
                created=now - timedelta(minutes=n),
                updated=now - timedelta(minutes=n),
            )
            for n in range(rows)
        ],
        batch_size=2000,
    )


def _reset() -> None:
    from channelhub.models import AuditEvent, AutomationTask, ProcessorSetting, UpstreamAction  # noqa: PLC0415

    AutomationTask.objects.all().delete()
    ProcessorSetting.objects.all().delete()
    UpstreamAction.objects.all().delete()
    AuditEvent.objects.all().delete()


def baseline() -> float:
    """N plain `request_approve` calls as the system actor: seconds."""
    from channelhub.actors import system_actor  # noqa: PLC0415 - after django.setup()
    from fulfillment.connect import services  # noqa: PLC0415 - after django.setup()
    from fulfillment.models import FulfillmentRequest  # noqa: PLC0415 - a model: after django.setup()

    _reset()
    actor = system_actor()
    started = time.perf_counter()
    for request in list(FulfillmentRequest.objects.filter(status="pending").order_by("pk")):
        services.request_approve(request=request, template_id=TEMPLATE, actor=actor)
    return time.perf_counter() - started


def processor() -> float:
    """The rules processor enabled and its tasks run: seconds (queueing included)."""
    from channelhub.actors import system_actor  # noqa: PLC0415 - after django.setup()
    from channelhub.automation import runner, services  # noqa: PLC0415 - after django.setup()
    from channelhub.models import AutomationTask, TaskStatus  # noqa: PLC0415 - a model: after django.setup()
    from fulfillment.models import FulfillmentRequest  # noqa: PLC0415 - a model: after django.setup()

    _reset()
    rows = FulfillmentRequest.objects.filter(status="pending").count()
    started = time.perf_counter()
    services.processor_enable(name=RULES, actor=system_actor(), product_id=PRODUCT)
    runner.run_due(limit=rows)
    seconds = time.perf_counter() - started
    decided = AutomationTask.objects.filter(status=TaskStatus.DECIDED, decision="approve").count()
    if decided != rows:
        raise SystemExit(f"the processor decided {decided} of {rows} (expected every one approved)")
    return seconds


if __name__ == "__main__":
    sys.exit(main())
