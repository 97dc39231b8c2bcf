"""Usage files, their records, the provider's chunks, and listings, built from payloads in the
shapes of `connect-openapi-v37.yml` and the fixtures `usage_file_list.json` / `usage_record.json`."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory

from usage import mappers
from usage.models import Listing, UsageChunk, UsageFile, UsageRecord

from .base import (
    BASE_TIME,
    CONTRACT,
    MARKETPLACE,
    PERIOD_FROM,
    PERIOD_TO,
    PRODUCT,
    PROVIDER,
    VENDOR,
    MirroredFactory,
    digits,
    midnight,
    ref,
    ts,
)

# A file's events by status: the steps it went through to get there.
_STEPS = {
    "draft": (),
    "uploading": ("uploaded",),
    "uploaded": ("uploaded",),
    "processing": ("uploaded",),
    "invalid": ("uploaded",),
    "ready": ("uploaded",),
    "pending": ("uploaded", "submitted"),
    "accepted": ("uploaded", "submitted", "accepted"),
    "rejected": ("uploaded", "submitted", "rejected"),
    "closed": ("uploaded", "submitted", "accepted", "closed"),
    "deleted": ("deleted",),
}
_WITH_RECORDS = {"ready", "pending", "accepted", "rejected", "closed"}


def _file_events(o) -> dict:
    """The file's events: `o.events` as given, else the steps of its status, an hour apart."""
    if o.events is not None:
        return o.events
    by = ref("UR-000-000-001", o.created_by)
    events = {"created": {"at": ts(o.created_at), "by": by}}
    for step, name in enumerate(_STEPS.get(o.status, ()), start=1):
        events[name] = {"at": ts(o.created_at + timedelta(hours=step)), "by": by}
    return events


def usage_file_payload(o) -> dict:
    """A `usage.UsageFileList` document for the factory's knobs."""
    valid = o.records_count if o.status in _WITH_RECORDS else 0
    closed = valid if o.status == "closed" else o.records_closed
    payload = {
        "id": o.file_id,
        "name": o.name,
        "description": f"Usage of {o.product_name} for {o.period_from:%B %Y}",
        "note": "",
        "external_id": o.external_id,
        "status": o.status,
        "sub_status": None,
        "environment": o.environment,
        "schema": o.schema,
        "currency": o.currency,
        "period": {"from": o.period_from.isoformat(), "to": o.period_to.isoformat()},
        "product": {"id": o.product_id, "name": o.product_name, "icon": f"/media/{o.product_id}.png"},
        "contract": ref(o.contract_id, o.contract_name),
        "marketplace": {"id": o.marketplace_id, "name": o.marketplace_name, "icon": "/media/mp.png"},
        "vendor": {"id": o.vendor_id, "name": o.vendor_name, "icon": ""},
        "provider": {"id": o.provider_id, "name": o.provider_name, "icon": ""},
        "acceptance_note": o.acceptance_note,
        "rejection_note": o.rejection_note,
        "error_detail": o.error_detail,
        "stats": {
            "uploaded": valid,
            "validated": valid,
            "pending": valid if o.status == "pending" else 0,
            "accepted": valid if o.status in ("accepted", "closed") else 0,
            "closed": closed,
            "billed": closed,
        },
        "records": {"valid": valid, "invalid": o.records_invalid, "closed": closed},
        "events": _file_events(o),
    }
    if o.categories is not None:  # `/usage/files/{id}/categories`, kept by the sync when it has them
        payload["categories"] = o.categories
    return payload


class UsageFileFactory(MirroredFactory):
    """A usage file in any status (`status=`), with its events and counters to match
    (`events=` and `categories=` put those into the payload as given)."""

    class Meta:
        model = UsageFile

    class Params:
        n = factory.Sequence(int)
        file_id = factory.LazyAttribute(lambda o: f"UF-2024-02-{digits(o.n)}")
        name = factory.LazyAttribute(lambda o: f"Usage for Feb 2024 #{o.n}")
        external_id = factory.LazyAttribute(lambda o: f"{o.contract_id} {o.product_id} 2024-02 #{o.n}")
        status = "ready"
        schema = "qt"
        currency = "USD"
        environment = "production"
        period_from = PERIOD_FROM
        period_to = PERIOD_TO
        product_id = PRODUCT
        product_name = "Cloud Storage"
        contract_id = CONTRACT
        contract_name = "Distribution contract"
        marketplace_id = MARKETPLACE
        marketplace_name = "France"
        vendor_id = VENDOR
        vendor_name = "Vendor Inc."
        provider_id = PROVIDER
        provider_name = "ABC Corp"
        created_at = factory.LazyAttribute(lambda o: BASE_TIME + timedelta(minutes=o.n))
        created_by = "vendor@example.com"
        events = None
        categories = None
        records_count = 3
        records_invalid = 0
        records_closed = 0
        acceptance_note = ""
        rejection_note = factory.LazyAttribute(
            lambda o: "Wrong usage for item 2" if o.status == "rejected" else ""
        )
        error_detail = factory.LazyAttribute(
            lambda o: "Row 2: asset not found" if o.status == "invalid" else ""
        )

    payload = factory.LazyAttribute(usage_file_payload)

    @classmethod
    def map(cls, payload):
        return mappers.map_usage_file(payload)


def _usagefile(f) -> dict:
    return {"id": f.id, "name": f.name, "schema": f.schema, "currency": f.currency}


def usage_record_payload(o) -> dict:
    """A `usage.UsageRecord` document (the shape of `usage_record.json`) under file `o.usage_file`."""
    return {
        "id": o.record_id,
        "start_date": ts(o.start_date),
        "end_date": ts(o.end_date),
        "product_id": o.product_id,
        "item": {
            "id": o.item_id,
            "local_id": o.item_id.replace("-", "_"),
            "mpn": o.item_mpn,
            "name": o.item_name,
        },
        "asset": {"id": o.asset_id, "external_id": o.asset_external_id, "external_uid": f"uid-{o.asset_id}"},
        "category": {"id": o.category_id, "name": o.category_id} if o.category_id else None,
        "tier": o.tier,
        "amount": None if o.amount is None else Decimal(str(o.amount)),
        "multiplier": 1,
        "usage": Decimal(str(o.usage)),
        "status": o.record_status,
        "params": [],
        "item_id": o.item_id,
        "asset_id": o.asset_id,
        "usagefile": _usagefile(o.usage_file),
        "external_billing_id": o.external_billing_id,
        "external_billing_note": "",
        "closed_at": ts(BASE_TIME + timedelta(days=30)) if o.record_status == "closed" else None,
        "closed_by": "provider@example.com" if o.record_status == "closed" else None,
        "asset_external_id": o.asset_external_id,
    }


class UsageRecordFactory(MirroredFactory):
    """A record (`record_status=`, valid by default) of `usage_file` (a UsageFile; one is made
    when not given), of the file's product, starting in the file's period."""

    class Meta:
        model = UsageRecord

    class Params:
        n = factory.Sequence(int)
        usage_file = factory.SubFactory(UsageFileFactory)
        record_id = factory.LazyAttribute(lambda o: f"UR-2024-02-{digits(o.n)}-0001")
        product_id = factory.LazyAttribute(lambda o: o.usage_file.product_id)
        item_id = "PRD-100-200-300-0001"
        item_mpn = "STORAGE-GB"
        item_name = "Storage GB"
        asset_id = factory.LazyAttribute(lambda o: f"AS-1000-{1000 + o.n % 7:04d}-0001")
        asset_external_id = factory.LazyAttribute(lambda o: f"ext-{o.n % 7}")
        category_id = ""
        tier = None
        usage = "12.5"
        amount = None
        record_status = "valid"
        external_billing_id = ""
        start_date = factory.LazyAttribute(
            lambda o: midnight(o.usage_file.period_from or PERIOD_FROM) + timedelta(days=o.n % 20)
        )
        end_date = factory.LazyAttribute(lambda o: o.start_date + timedelta(days=1))

    payload = factory.LazyAttribute(usage_record_payload)

    @classmethod
    def map(cls, payload):
        return mappers.map_usage_record(payload)


def usage_chunk_payload(o) -> dict:
    """A `usage.PartUsageFile` document: file `o.usage_file`'s slice for hub `o.hub_id`."""
    events = {"created": {"at": ts(BASE_TIME + timedelta(days=1, minutes=o.n))}}
    if o.status == "closed":
        events["closed"] = {"at": ts(BASE_TIME + timedelta(days=2, minutes=o.n))}
    return {
        "id": o.chunk_id,
        "status": o.status,
        "outdated": False,
        "usagefile": _usagefile(o.usage_file),
        "binding": {"hub": ref(o.hub_id, o.hub_name), "external_id": o.external_id},
        "marketplace": {"id": o.marketplace_id, "name": "France"},
        "provider": ref(o.provider_id, "ABC Corp"),
        "error": {"detail": ""},
        "stats": {"uploaded": 3, "validated": 3, "pending": 0, "accepted": 3, "closed": 0, "billed": 0},
        "events": events,
        "external_id": o.external_id,
    }


class UsageChunkFactory(MirroredFactory):
    """A provider's chunk (ready by default) of `usage_file` (accepted) for one hub."""

    class Meta:
        model = UsageChunk

    class Params:
        n = factory.Sequence(int)
        usage_file = factory.SubFactory(UsageFileFactory, status="accepted")
        chunk_id = factory.LazyAttribute(lambda o: f"UFC-{digits(o.n)}")
        hub_id = "HB-0000-0001"
        hub_name = "Main hub"
        marketplace_id = factory.LazyAttribute(lambda o: o.usage_file.marketplace_id)
        provider_id = factory.LazyAttribute(lambda o: o.usage_file.provider_id)
        status = "ready"
        external_id = factory.LazyAttribute(lambda o: f"hub-batch-{o.n}")

    payload = factory.LazyAttribute(usage_chunk_payload)

    @classmethod
    def map(cls, payload):
        return mappers.map_usage_chunk(payload)


def listing_payload(o) -> dict:
    """A `dp.Listing` document, with its product's ppu schema (upper-case, as on a product)."""
    marketplace = {"id": o.marketplace_id, "name": "France", "icon": "/media/mp.png", "currency": o.currency}
    return {
        "id": o.listing_id,
        "status": o.status,
        "contract": {"id": o.contract_id, "name": "Distribution contract", "marketplace": marketplace},
        "marketplace": marketplace,
        "product": {
            "id": o.product_id,
            "name": o.product_name,
            "icon": "",
            "status": "published",
            "capabilities": {"ppu": {"schema": o.usage_schema.upper(), "dynamic": False, "future": False}}
            if o.usage_schema
            else {},
        },
        "vendor": {"id": o.vendor_id, "name": "Vendor Inc.", "icon": ""},
        "provider": {"id": o.provider_id, "name": "ABC Corp", "icon": ""},
        "created": ts(o.created),
        "updated": ts(o.created + timedelta(days=1)),
    }


class ListingFactory(MirroredFactory):
    """The default product listed under the default contract, reporting QT usage in USD
    (`usage_schema=""`: not pay-per-use)."""

    class Meta:
        model = Listing

    class Params:
        n = factory.Sequence(int)
        listing_id = factory.LazyAttribute(lambda o: f"LST-{o.n:03d}-000-000")
        status = "listed"
        product_id = PRODUCT
        product_name = "Cloud Storage"
        contract_id = CONTRACT
        marketplace_id = MARKETPLACE
        vendor_id = VENDOR
        provider_id = PROVIDER
        usage_schema = "qt"
        currency = "USD"
        created = factory.LazyAttribute(lambda o: BASE_TIME + timedelta(minutes=o.n))

    payload = factory.LazyAttribute(listing_payload)

    @classmethod
    def map(cls, payload):
        return mappers.map_listing(payload)
