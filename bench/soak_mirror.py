"""The soak's mirror check (bench/soak.py): after the drain, every mirrored collection equals the
sandbox's: the same ids, and on each the same status and update time.

The sandbox's state is read from its own files (SQLite; the ticking has stopped), each
collection's rows as served (`doc`); ours from the mirror's `payload`, the upstream JSON as the
sync received it. The status and the update time are read from both with the sandbox
collection's own paths for them (`Collection.columns`: `status`, `updated`), so one reading
serves Connect (`status`, `updated` or `events.updated.at`), Cloud Channel (`provisioningState`,
`updateTime`) and usage. Rows marked gone in the mirror are not live upstream and are left out.
The CMP inventory is compared by (type, id) and the serialized resource, for the demo source.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from fulfillment import models as f
from inventory.demo import DEMO_SOURCE
from inventory.models import Resource
from usage import models as u

# sandbox table -> mirror model (every collection a stream mirrors)
MIRRORED = {
    "products": f.Product,
    "templates": f.Template,
    "marketplaces": f.Marketplace,
    "hubs": f.Hub,
    "tier_accounts": f.TierAccount,
    "assets": f.Asset,
    "requests": f.FulfillmentRequest,
    "tier_configs": f.TierConfig,
    "tier_config_requests": f.TierConfigRequest,
    "conversations": f.Conversation,
    "ch_products": f.ChannelProduct,
    "ch_skus": f.Sku,
    "ch_offers": f.Offer,
    "ch_customers": f.Customer,
    "ch_links": f.ChannelPartnerLink,
    "ch_entitlements": f.Entitlement,
    "listings": u.Listing,
    "subscription_assets": u.RecurringAsset,
    "billing_requests": u.BillingRequest,
    "usage_files": u.UsageFile,
    "usage_records": u.UsageRecord,
    "usage_chunks": u.UsageChunk,
}
COMPARED = ("status", "updated")  # the sandbox columns compared on each row, where it has them


@dataclass
class Difference:
    """One collection's comparison."""

    table: str
    upstream: int
    missing: list[str]
    extra: list[str]
    differ: list[str]

    @property
    def ok(self) -> bool:
        """Nothing missing, extra or different."""
        return not (self.missing or self.extra or self.differ)

    def __str__(self) -> str:
        if self.ok:
            return f"{self.table} {self.upstream}"
        return (
            f"{self.table} {self.upstream}: {len(self.missing)} missing {self.missing[:3]},"
            f" {len(self.extra)} extra {self.extra[:3]}, {len(self.differ)} different {self.differ[:3]}"
        )


def _path(doc: dict, dotted: str):
    node = doc
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def sandbox_docs(path: Path, table: str) -> dict[str, dict]:
    """Every row of a sandbox table, as served: id -> doc (read-only)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return {row[0]: json.loads(row[1]) for row in conn.execute(f'SELECT id, doc FROM "{table}"')}  # noqa: S608 - our table names


def _compare(table: str, upstream: dict[str, dict], ours: dict[str, dict], paths: list[str]) -> Difference:
    def view(doc: dict) -> tuple:
        return tuple(_path(doc, p) for p in paths)

    return Difference(
        table,
        len(upstream),
        sorted(set(upstream) - set(ours)),
        sorted(set(ours) - set(upstream)),
        sorted(pk for pk in set(upstream) & set(ours) if view(upstream[pk]) != view(ours[pk])),
    )


def collections(server) -> list[Difference]:
    """The Connect, Channel and usage collections, one Difference each."""
    by_name = {c.name: c for module in server.app.modules for c in getattr(module, "collections", ())}
    out = []
    for table, model in MIRRORED.items():
        columns = by_name[table].columns
        paths = [path for path, column in columns.items() if column in COMPARED]
        rows = model.objects.all()
        if hasattr(model, "gone_at"):
            rows = rows.filter(gone_at__isnull=True)
        ours = dict(rows.values_list("pk", "payload").iterator())
        out.append(_compare(table, sandbox_docs(server.state_path, table), ours, paths))
    return out


def inventory(server) -> Difference:
    """The demo source's live resources against the CMP feed's account acc-1, by (type, id)."""
    upstream = {
        f"{doc['type']}/{doc['id']}": doc
        for key, doc in sandbox_docs(Path(f"{server.state_path}.cmp.sqlite3"), "cmp_resources").items()
        if key.startswith("acc-1/")
    }
    live = Resource.objects.filter(source__name=DEMO_SOURCE, gone_at__isnull=True)
    ours = {f"{t}/{i}": {} for t, i in live.values_list("type", "upstream_id").iterator()}
    return _compare("cmp_resources", upstream, ours, [])
