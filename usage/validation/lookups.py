"""What a report's rows are checked against, loaded once per report from the mirror:
the product's recurring assets (status, contract, dates, items, parameters), the items
known on the product, the product of any other asset a row names, and the listing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from usage.models import Listing, RecurringAsset
from usage.models.reports import ROW_CELLS

CHUNK = 500
# The row values validation reads (UsageReportRow fields, in this order; `errors` last).
ROW_VALUES = ("pk", "row_number", *ROW_CELLS, "errors")
ASSET_BY, ASSET_VALUE = ROW_VALUES.index("asset_search_criteria"), ROW_VALUES.index("asset_search_value")
ITEM_CRITERIA = ("item.mpn", "item.global_id", "item.local_id")
ITEM_KEYS = {"item.mpn": "mpn", "item.global_id": "global_id", "item.local_id": "local_id"}


def item_keys(items) -> set[tuple[str, str]]:
    """(criteria, value) of every way an asset's items can be searched by. An asset's item
    `id` is the product item's local id (`PRD_..._0001`; its `global_id` is `PRD-...-0001`),
    so `item.local_id` matches it as Connect does when the item carries no `local_id`."""
    keys = set()
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, dict):
            continue
        for criteria, key in ITEM_KEYS.items():
            value = item.get(key)
            if value not in (None, ""):
                keys.add((criteria, str(value)))
        if item.get("id") and not item.get("local_id"):
            keys.add(("item.local_id", str(item["id"])))
    return keys


@dataclass
class AssetInfo:
    """One recurring asset as the rules need it."""

    id: str
    status: str
    contract_id: str
    created: datetime | None
    updated: datetime | None
    items: set[tuple[str, str]]


@dataclass
class ReportLookups:
    """The mirror's side of one report."""

    assets: dict[str, AssetInfo] = field(default_factory=dict)
    by_param: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    product_items: set[tuple[str, str]] = field(default_factory=set)
    # Assets a row names by id that are not the report's product's: id -> their product.
    elsewhere: dict[str, str] = field(default_factory=dict)
    listing: Listing | None = None

    @classmethod
    def load(cls, report, rows) -> ReportLookups:
        """Everything the rows of `report` (tuples of ROW_VALUES) are checked against."""
        found = cls()
        if report.product_id:
            assets = RecurringAsset.objects.filter(product_id=report.product_id).values_list(
                "id", "status", "contract_id", "created", "updated", "items", "payload__params"
            )
            for pk, status, contract, created, updated, items, params in assets.iterator(chunk_size=2000):
                keys = item_keys(items)
                found.assets[pk] = AssetInfo(pk, status, contract, created, updated, keys)
                found.product_items |= keys
                for param in params if isinstance(params, list) else ():
                    if isinstance(param, dict) and param.get("id") and param.get("value") not in (None, ""):
                        found.by_param.setdefault((str(param["id"]), str(param["value"])), []).append(pk)
            listings = Listing.objects.filter(contract_id=report.contract_id, product_id=report.product_id)
            found.listing = listings.order_by("-updated").first() if report.contract_id else None
        missing = sorted(
            {row[ASSET_VALUE] for row in rows if row[ASSET_BY] == "asset.id" and row[ASSET_VALUE]}
            - found.assets.keys()
        )
        for start in range(0, len(missing), CHUNK):
            others = RecurringAsset.objects.filter(id__in=missing[start : start + CHUNK])
            found.elsewhere.update(others.values_list("id", "product_id"))
        return found
