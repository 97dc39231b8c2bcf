"""python manage.py inventory_source add|list|remove|run|confirm|discard: manage inventory sources.

Acts as the system actor (`channelhub-system`), through the same services as supervisors,
so every change is audited (parameters censored) and refused the same way.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from channelhub.actors import system_actor
from channelhub.models import SyncRunStatus
from channelhub.services import ServiceError
from inventory.models import InventorySource, SourceKind
from inventory.secrets import censored
from inventory.services import passes, sources


def _pairs(values: list[str], what: str) -> dict:
    out = {}
    for value in values or []:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise CommandError(f"{what} {value!r}: expected KEY=VALUE")
        out[key] = rest
    return out


class Command(BaseCommand):
    """`inventory_source`: add, list, remove and run inventory sources."""

    help = (
        "Manage inventory sources. add NAME --kind connector|http|sandbox [--module M] [--url U] "
        "[--param K=V ...] [--credential K=V ...] [--parameters JSON] [--poll-minutes N] "
        "[--hold-share F] [--time-limit S] [--memory-mb N] [--disabled]; list; remove NAME --yes; "
        "run NAME [--dry-run]; confirm NAME / discard NAME (a held pass). Exits 1 on a refusal "
        "or a failed pass."
    )

    def add_arguments(self, parser):
        """One subcommand per verb."""
        sub = parser.add_subparsers(dest="verb", required=True)
        add = sub.add_parser("add", help="add a source")
        add.add_argument("name")
        add.add_argument("--kind", required=True, choices=SourceKind.values)
        add.add_argument("--module", help="connector: a dotted module path or a .py file")
        add.add_argument("--url", help="http: the feed's URL; sandbox: the feed's /cmp/api URL")
        add.add_argument("--param", action="append", default=[], help="a connector parameter, KEY=VALUE")
        add.add_argument("--credential", action="append", default=[], help="a credential, KEY=VALUE (secret)")
        add.add_argument("--parameters", help="all parameters as a JSON object (merged under the options)")
        add.add_argument("--description", default="")
        add.add_argument("--poll-minutes", type=int, default=15)
        add.add_argument("--hold-share", type=float, default=0.5)
        add.add_argument("--time-limit", type=int, default=300)
        add.add_argument("--memory-mb", type=int, default=1024)
        add.add_argument("--disabled", action="store_true")
        sub.add_parser("list", help="list the sources")
        remove = sub.add_parser("remove", help="remove a source and its resources")
        remove.add_argument("name")
        remove.add_argument("--yes", action="store_true", help="really (its resources go with it)")
        run = sub.add_parser("run", help="run a pass now, here")
        run.add_argument("name")
        run.add_argument("--dry-run", action="store_true", help="show what a pass would do; write nothing")
        for verb in ("confirm", "discard"):
            held = sub.add_parser(verb, help=f"{verb} the source's held pass")
            held.add_argument("name")

    def handle(self, *args, verb, **options):
        """Dispatch to the verb; a refusal is a CommandError with the service's words."""
        try:
            getattr(self, f"do_{verb}")(**options)
        except ServiceError as exc:
            raise CommandError(exc.message) from None

    def _source(self, name: str) -> InventorySource:
        try:
            return InventorySource.objects.get(name=name)
        except InventorySource.DoesNotExist:
            known = ", ".join(InventorySource.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"no source {name!r} (sources: {known})") from None

    def do_add(self, *, name, kind, module, url, param, credential, parameters, description, **o):
        """Add a source; its parameters are printed censored."""
        try:
            params = json.loads(parameters) if parameters else {}
        except json.JSONDecodeError as exc:
            raise CommandError(f"--parameters is not JSON: {exc}") from None
        if not isinstance(params, dict):
            raise CommandError("--parameters must be a JSON object")
        if module:
            params["module"] = module
        if param:
            params["parameters"] = {**params.get("parameters", {}), **_pairs(param, "--param")}
        if credential:
            params["credentials"] = {**params.get("credentials", {}), **_pairs(credential, "--credential")}
        if url:
            if kind == SourceKind.SANDBOX:
                params.setdefault("credentials", {})["url"] = url
            else:
                params["url"] = url
        source = sources.source_add(
            actor=system_actor(),
            name=name,
            kind=kind,
            parameters=params,
            description=description,
            enabled=not o["disabled"],
            poll_minutes=o["poll_minutes"],
            hold_share=o["hold_share"],
            time_limit=o["time_limit"],
            memory_mb=o["memory_mb"],
        )
        self.stdout.write(f"added {source.name} ({source.kind}): {json.dumps(censored(source.parameters))}")

    def do_list(self, **o):
        """One line per source."""
        rows = InventorySource.objects.order_by("name")
        if not rows:
            self.stdout.write("no sources")
        for s in rows:
            live = s.resources.filter(gone_at__isnull=True).count()
            held = f" held: {s.held_count} would vanish" if s.is_held else ""
            last = f"{s.last_run_at:%Y-%m-%d %H:%M:%S %Z}" if s.last_run_at else "never"
            state = "enabled" if s.enabled else "disabled"
            self.stdout.write(
                f"{s.name}\t{s.kind}\t{state}\t{s.get_status_display()}\tlast run {last}\t{live} live{held}"
            )
            if s.last_error:
                self.stdout.write(f"\t{s.last_error}")

    def do_remove(self, *, name, yes, **o):
        """Remove a source (needs --yes)."""
        source = self._source(name)
        if not yes:
            count = source.resources.count()
            raise CommandError(f"{name} has {count} resources, which would be deleted with it: add --yes")
        count = sources.source_remove(actor=system_actor(), source=source)
        self.stdout.write(f"removed {name} and its {count} resources")

    def do_run(self, *, name, dry_run, **o):
        """Run a pass here (or plan one)."""
        source = self._source(name)
        if dry_run:
            plan = passes.pass_dry_run(actor=system_actor(), source=source)
            self.stdout.write(f"dry run of {name}: {plan.summary()}")
            for kind, keys in plan.samples.items():
                if keys:
                    self.stdout.write(f"  {kind}: {', '.join(keys)}")
            if plan.error:
                raise CommandError(plan.error)
            return
        run = passes.pass_run_here(actor=system_actor(), source=source)
        source.refresh_from_db()
        counts = source.last_counts or {}
        self.stdout.write(
            f"{name}: {run.status}; listed {run.fetched}, created {run.created}, updated {run.updated}, "
            f"unchanged {run.unchanged}, gone {counts.get('gone', 0)}, revived {counts.get('revived', 0)}"
        )
        if source.is_held:
            self.stdout.write(f"held: {source.held_count} of {source.held_live} would vanish; nothing marked gone "
                              f"(inventory_source confirm|discard {name})")  # fmt: skip
        if run.status != SyncRunStatus.SUCCEEDED:
            raise CommandError(run.error or f"the pass {run.status}")

    def do_confirm(self, *, name, **o):
        """Apply the held pass."""
        changed = passes.pass_confirm(actor=system_actor(), source=self._source(name))
        self.stdout.write(f"{name}: held pass applied ({changed} rows changed)")

    def do_discard(self, *, name, **o):
        """Forget the held pass."""
        passes.pass_discard(actor=system_actor(), source=self._source(name))
        self.stdout.write(f"{name}: held pass discarded; nothing marked gone")
