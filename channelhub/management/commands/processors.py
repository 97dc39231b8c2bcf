"""python manage.py processors list | enable NAME [--product ID] [--dry-run] | disable NAME
[--product ID] | run NAME [--dry-run]: automation processors from the shell.

Enabling and disabling go through the audited services as the system actor, as the admin's
buttons do. `run` is one pass now: the objects already in the processor's statuses are queued
and run, each decision printed; with `--dry-run` the decisions are printed and nothing is written.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from channelhub.actors import system_actor
from channelhub.automation import runner, services, triggers
from channelhub.automation.processors import Settings, all_processors, processor_named
from channelhub.automation.selectors import dry_run_summary, summary_in_words
from channelhub.models.automation import ProcessorSetting
from channelhub.services import ServiceError


class Command(BaseCommand):
    """Lists, enables, disables and runs automation processors."""

    help = "Automation processors: list, enable NAME, disable NAME, run NAME (one pass now)."

    def add_arguments(self, parser):
        """The four subcommands and their options."""
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("list", help="Every processor, what it handles and where it runs")
        enable = sub.add_parser("enable", help="Switch a processor on (or to dry run)")
        enable.add_argument("name")
        enable.add_argument("--product", default="", help="Only for this product (PRD-...)")
        enable.add_argument("--dry-run", action="store_true", help="Record decisions without doing them")
        disable = sub.add_parser("disable", help="Switch a processor off")
        disable.add_argument("name")
        disable.add_argument("--product", default="", help="Only for this product (PRD-...)")
        run = sub.add_parser("run", help="One pass now over the objects in its statuses")
        run.add_argument("name")
        run.add_argument("--dry-run", action="store_true", help="Print the decisions, write nothing")
        run.add_argument("--limit", type=int, default=1000, help="At most this many objects (default 1000)")

    def handle(self, *args, verb, **options):
        """Dispatch to the subcommand; refusals become CommandError with the service's words."""
        try:
            getattr(self, f"_{verb}")(**options)
        except (ServiceError, LookupError) as refused:
            raise CommandError(str(refused)) from refused

    def _list(self, **options):
        rows = list(ProcessorSetting.objects.order_by("processor", "product_id"))
        for processor in all_processors():
            self.stdout.write(f"{processor.name} {processor.version}: {processor.description}")
            for event, statuses in processor.events.items():
                self.stdout.write(f"  handles {event} in {', '.join(statuses)}")
            mine = [row for row in rows if row.processor == processor.name]
            if not mine:
                self.stdout.write("  off everywhere (enable it to start)")
            for row in mine:
                mode = Settings([row]).mode(row.processor, row.product_id)
                self.stdout.write(f"  {mode} for {row.product_id or 'every product'}")
            summary = dry_run_summary(processor=processor.name)
            if summary:
                self.stdout.write(f"  dry-run decisions: {summary_in_words(summary)}")

    def _enable(self, *, name, product, dry_run, **options):
        queued = services.processor_enable(
            name=name, actor=system_actor(), product_id=product, dry_run=dry_run
        )
        mode = "dry run" if dry_run else "on"
        self.stdout.write(f"{name} {mode} for {product or 'every product'}; {queued} object(s) queued")

    def _disable(self, *, name, product, **options):
        dropped = services.processor_disable(name=name, actor=system_actor(), product_id=product)
        self.stdout.write(f"{name} off for {product or 'every product'}; {dropped} open task(s) dropped")

    def _run(self, *, name, dry_run, limit, **options):
        processor = processor_named(name)
        if dry_run:
            counts: dict[str, int] = {}
            for target_id, decision, error in runner.preview(processor, limit=limit):
                words = decision.in_words() if decision is not None else f"failed: {error}"
                kind = decision.kind if decision is not None else "failed"
                counts[kind] = counts.get(kind, 0) + 1
                self.stdout.write(f"{target_id}: would {words}")
            self.stdout.write(f"dry run, nothing written: {summary_in_words(counts)}")
            return
        modes = Settings()
        if not modes.maybe_on(processor.name):
            raise CommandError(
                f"{name} is off everywhere: enable it first, or pass --dry-run to see what it would do."
            )
        triggers.queue_backlog(processor, modes=modes)
        counts = {}
        for task in runner.run_due(limit=limit, processor=processor.name):
            counts[task.status] = counts.get(task.status, 0) + 1
            what = task.decision.replace("_", " ") or "-"
            why = task.reason or task.error.splitlines()[0] if (task.reason or task.error) else ""
            self.stdout.write(
                f"{task.target_id}: {task.get_status_display().lower()} {what}" + (f": {why}" if why else "")
            )
        self.stdout.write(f"one pass: {summary_in_words(counts)}")
