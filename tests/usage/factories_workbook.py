"""factory-boy factories for the mirror rows usage reports are checked against: recurring
assets (with Connect-shaped items and parameters in the payload) and listings.

Until the sync helper's tests/usage/factories.py lands with mapper-built rows, these set the
typed columns and a payload that agree with each other.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import factory
import openpyxl
from factory.django import DjangoModelFactory

from usage.models import Listing, RecurringAsset

CONTRACT = "CRD-00000-00000-00001"
PRODUCT = "PRD-100-200-300"
CREATED = datetime(2024, 1, 10, 8, 0, tzinfo=UTC)


def asset_item(n: int, *, mpn: str | None = None, local_id: str | None = None) -> dict:
    """A Connect asset item (`{id, global_id, mpn, local_id, quantity, ...}`)."""
    return {
        "id": f"PRD-100-200-300-{n:04d}",
        "global_id": f"PRD-100-200-300-{n:04d}",
        "mpn": mpn or f"MPN-{n}",
        "local_id": local_id or f"local-{n}",
        "display_name": f"Item {n}",
        "item_type": "PPU",
        "quantity": "0",
    }


class RecurringAssetFactory(DjangoModelFactory):
    """A recurring asset of PRODUCT under CONTRACT, active since CREATED, with two items and
    a `subscription_id` parameter (pass `items=`, `params=` to change them)."""

    class Meta:
        model = RecurringAsset

    class Params:
        params = factory.LazyAttribute(lambda o: [{"id": "subscription_id", "value": f"SUB-{o.id}"}])

    id = factory.Sequence(lambda n: f"AS-9000-{n:04d}-0000")
    status = "active"
    product_id = PRODUCT
    contract_id = CONTRACT
    marketplace_id = "MP-00001"
    created = CREATED
    updated = CREATED
    items = factory.LazyFunction(lambda: [asset_item(1), asset_item(2)])
    payload = factory.LazyAttribute(
        lambda o: {
            "id": o.id,
            "status": o.status,
            "product": {"id": o.product_id},
            "contract": {"id": o.contract_id},
            "marketplace": {"id": o.marketplace_id},
            "items": o.items,
            "params": o.params,
            "events": {
                "created": {"at": o.created.isoformat() if o.created else None},
                "updated": {"at": o.updated.isoformat() if o.updated else None},
            },
        }
    )


class ListingFactory(DjangoModelFactory):
    """PRODUCT listed under CONTRACT, reporting QT usage in USD."""

    class Meta:
        model = Listing

    id = factory.Sequence(lambda n: f"LST-{n:03d}-000-000")
    status = "listed"
    product_id = PRODUCT
    contract_id = CONTRACT
    marketplace_id = "MP-00001"
    usage_schema = "qt"
    currency = "USD"
    created = CREATED
    updated = CREATED
    payload = factory.LazyAttribute(
        lambda o: {
            "id": o.id,
            "status": o.status,
            "product": {"id": o.product_id},
            "contract": {"id": o.contract_id},
            "marketplace": {"id": o.marketplace_id},
        }
    )


# --- staff files and reports -----------------------------------------------------------------

TEMPLATE_COLUMNS = [
    "record_id",
    "record_note",
    "item_search_criteria",
    "item_search_value",
    "asset_search_criteria",
    "asset_search_value",
    "start_time_utc",
    "end_time_utc",
    "category_id",
    "quantity",
    "amount",
    "tier",
]


def record(asset_id: str, n: int = 1, **cells) -> dict:
    """A good QT record of March 2024 for `asset_id` (item MPN-1), as staff write it."""
    return {
        "record_id": f"rec-{n}",
        "record_note": "",
        "item_search_criteria": "item.mpn",
        "item_search_value": "MPN-1",
        "asset_search_criteria": "asset.id",
        "asset_search_value": asset_id,
        "start_time_utc": "2024-03-05 10:00:00",
        "end_time_utc": "2024-03-05 11:00:00",
        "category_id": "",
        "quantity": "5",
        "amount": "",
        "tier": "",
        **cells,
    }


def xlsx_file(
    records: list[dict], *, columns=None, sheet: str = "records", extra_sheets=("instructions",)
) -> bytes:
    """A staff workbook written with plain openpyxl: other sheets first, then `sheet`."""
    workbook = openpyxl.Workbook()
    workbook.active.title = extra_sheets[0] if extra_sheets else sheet
    for name in extra_sheets[1:]:
        workbook.create_sheet(name)
    target = workbook.create_sheet(sheet) if extra_sheets else workbook.active
    columns = list(columns or TEMPLATE_COLUMNS)
    target.append(columns)
    for rec in records:
        target.append([None if rec.get(c) in (None, "") else rec.get(c) for c in columns])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_file(records: list[dict], *, columns=None) -> bytes:
    """The same as CSV text."""
    columns = list(columns or TEMPLATE_COLUMNS)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for rec in records:
        writer.writerow(["" if rec.get(c) is None else rec.get(c) for c in columns])
    return out.getvalue().encode()
