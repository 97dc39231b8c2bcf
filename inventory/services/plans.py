"""Dry runs: what a pass of a source would do, computed from its listing without writing.

Page by page, as a pass: each listed resource is looked up by key and compared by digest
(`channelhub.sync.upsert`), so it is a create, an update, unchanged, or a revive (listed
again while gone); what would be marked gone is the source's live resources that the listing
did not show (counted, not held in memory: live total minus live listed). Sample keys of each
kind are kept (a few each) for the page that shows the plan.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.utils import timezone

from channelhub.sync.upsert import canonical_json, digest

from .. import mappers
from ..models import InventorySource, Resource
from ..readers import open_listing

SAMPLES = 10
SAMPLE_ALL_UP_TO = 20_000  # live resources: up to this, the plan names what would vanish


@dataclass
class PassPlan:
    """What a pass would do, with a few example keys of each kind."""

    create: int = 0
    update: int = 0
    unchanged: int = 0
    revive: int = 0
    gone: int = 0
    listed: int = 0
    live: int = 0
    would_hold: bool = False
    at: str = ""
    error: str = ""
    samples: dict = field(default_factory=lambda: {"create": [], "update": [], "revive": [], "gone": []})

    def summary(self) -> str:
        """One line: "create 3, update 1, unchanged 120, gone 2, revive 0"."""
        if self.error:
            return f"failed: {self.error}"
        line = (
            f"create {self.create}, update {self.update}, unchanged {self.unchanged}, "
            f"gone {self.gone}, revive {self.revive}"
        )
        return line + (" (the pass would be held)" if self.would_hold else "")

    def as_dict(self) -> dict:
        """For the source's `last_dry_run`."""
        return asdict(self)

    def note(self, kind: str, key: str) -> None:
        """Count one resource of `kind`, keeping a sample key."""
        setattr(self, kind, getattr(self, kind) + 1)
        if kind in self.samples and len(self.samples[kind]) < SAMPLES:
            self.samples[kind].append(key)


def plan_pass(source: InventorySource) -> PassPlan:
    """The plan of a pass of `source` now (reads the source; a failure is in `error`)."""
    from ..readers import SourceFailed  # noqa: PLC0415 - beside its one use

    plan = PassPlan(at=timezone.now().isoformat())
    rows = Resource.objects.filter(source=source)
    plan.live = rows.filter(gone_at__isnull=True).count()
    listed_live = 0
    seen: set[str] | None = set() if plan.live <= SAMPLE_ALL_UP_TO else None
    try:
        with open_listing(source) as listing:
            for page in listing.pages(settings.INVENTORY_PAGE_SIZE):
                listed_live += _plan_page(source, page, plan, seen)
    except SourceFailed as exc:
        plan.error = exc.words
        return plan
    plan.gone = max(plan.live - listed_live, 0)
    if plan.gone and seen is not None:  # a small source: name a few of what would vanish
        for key in rows.filter(gone_at__isnull=True).values_list("pk", flat=True).iterator():
            if key not in seen:
                plan.samples["gone"].append(key)
                if len(plan.samples["gone"]) >= SAMPLES:
                    break
    plan.would_hold = bool(
        plan.live and plan.gone and source.hold_share < 1 and plan.gone > source.hold_share * plan.live
    )
    return plan


def _plan_page(source: InventorySource, page: list[dict], plan: PassPlan, seen: set | None) -> int:
    """Classify one page; returns how many live resources it listed."""
    by_key = {}
    for item in page:
        key, _, payload = mappers.map_resource(item, source_id=source.pk)
        by_key[key] = digest(canonical_json(payload))
    existing = {
        pk: (hash_, gone)
        for pk, hash_, gone in Resource.objects.filter(pk__in=list(by_key)).values_list(
            "pk", "payload_hash", "gone_at"
        )
    }
    live_listed = 0
    if seen is not None:
        seen.update(by_key)
    for key, hash_ in by_key.items():
        plan.listed += 1
        old = existing.get(key)
        if old is None:
            plan.note("create", key)
        elif old[1] is not None:
            plan.note("revive", key)
        else:
            live_listed += 1
            plan.note("update" if old[0] != hash_ else "unchanged", key)
    return live_listed
