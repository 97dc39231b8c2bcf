"""Factories for the usage read API's tests, until the sync helper's `tests/usage/factories.py`
(built on the app's mappers) lands.

Each factory builds a Connect-shaped payload in the shape of the upstream fixtures
(`usage_file_list.json`, `usage_record.json`, the spec's chunk, listing, recurring asset and
billing request), and fills the typed columns from the same knobs, so the columns and the
payload always agree, as after a sync.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from channelhub.sync.upsert import canonical_json, digest
from usage.models import BillingRequest, Listing, RecurringAsset, UsageChunk, UsageFile, UsageRecord

BASE_TIME = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def ts(value: datetime | None) -> str | None:
    """A datetime in Connect's wire format (`2024-03-01T09:00:00+00:00`)."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat() if value else None


class PayloadFactory(DjangoModelFactory):
    """Saves `payload` (with its hash) beside the columns the subclass's knobs fill."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        payload = kwargs["payload"]
        obj = model_class(id=payload["id"], payload_hash=digest(canonical_json(payload)), **kwargs)
        obj.save(force_insert=True)
        return obj


def _file_payload(o) -> dict:
    return {
        "id": o.file_id,
        "name": o.name,
        "description": f"Usage of {o.product_id} for {o.period_from:%b %Y}",
        "note": "",
        "status": o.status,
        "schema": o.schema,
        "currency": o.currency,
        "environment": o.environment,
        "external_id": o.external_id,
        "period": {"from": o.period_from.isoformat(), "to": o.period_to.isoformat()},
        "product": {"id": o.product_id, "name": "Usage Product", "icon": "/media/product.png"},
        "contract": {"id": o.contract_id, "name": "Distribution Contract"},
        "marketplace": {"id": o.marketplace_id, "name": "France", "icon": "/media/mp.png"},
        "vendor": {"id": o.vendor_id, "name": "Vendor"},
        "provider": {"id": o.provider_id, "name": "Provider"},
        "acceptance_note": "",
        "rejection_note": "",
        "error_details": "",
        "stats": {"uploaded": 2, "validated": 2, "pending": 0, "accepted": 0, "closed": 0},
        "records": {"valid": 2, "invalid": 0, "closed": 0},
        "events": {"created": {"at": ts(o.created), "by": {"id": "UR-000", "name": "vendor@example.com"}}},
    }


class UsageFileFactory(PayloadFactory):
    class Meta:
        model = UsageFile

    class Params:
        n = factory.Sequence(int)
        file_id = factory.LazyAttribute(lambda o: f"UF-2024-03-{o.n:04d}-0000")

    status = "ready"
    schema = "qt"
    currency = "USD"
    environment = "production"
    name = factory.LazyAttribute(lambda o: f"Usage {o.n}")
    external_id = factory.LazyAttribute(lambda o: f"CRD-1 PRD-1 March {o.n}")
    product_id = "PRD-100-000-001"
    contract_id = "CRD-00000-00000-00001"
    marketplace_id = "MP-12345"
    vendor_id = "VA-000-001"
    provider_id = "PA-000-001"
    period_from = date(2024, 2, 1)
    period_to = date(2024, 2, 29)
    created = factory.LazyAttribute(lambda o: BASE_TIME + timedelta(minutes=o.n))
    payload = factory.LazyAttribute(_file_payload)


def _record_payload(o) -> dict:
    file_id = o.usage_file.id if o.usage_file else "UF-2024-03-0000-0000"
    return {
        "id": o.record_id,
        "start_date": ts(o.start_date),
        "end_date": ts(o.start_date + timedelta(days=28)),
        "product_id": o.product_id,
        "item": {"id": o.item_id, "local_id": o.item_id.replace("-", "_"), "mpn": o.item_mpn, "name": "Item"},
        "asset": {"id": o.asset_id, "external_id": o.asset_external_id, "external_uid": "uid-1"},
        "category": {"id": "compute", "name": "compute"},
        "tier": 0,
        "amount": 0.0,
        "usage": float(o.usage),  # a JSON number on the wire; the column holds the Decimal
        "status": o.status,
        "item_id": o.item_id,
        "asset_id": o.asset_id,
        "usagefile": {"id": file_id, "name": "Usage", "schema": "qt", "currency": "USD"},
        "external_billing_id": o.external_billing_id,
        "asset_external_id": o.asset_external_id,
    }


class UsageRecordFactory(PayloadFactory):
    class Meta:
        model = UsageRecord

    class Params:
        n = factory.Sequence(int)
        record_id = factory.LazyAttribute(lambda o: f"UR-2024-03-{o.n:04d}-0000")

    usage_file = factory.SubFactory(UsageFileFactory)
    status = "valid"
    product_id = "PRD-100-000-001"
    asset_id = factory.LazyAttribute(lambda o: f"AS-{o.n:04d}-0000-0001")
    asset_external_id = factory.LazyAttribute(lambda o: f"ext-{o.n}")
    item_id = "PRD-100-000-001-0001"
    item_mpn = "MPN-QT"
    usage = Decimal("1.5")
    start_date = factory.LazyAttribute(lambda o: BASE_TIME + timedelta(hours=o.n))
    external_billing_id = ""
    payload = factory.LazyAttribute(_record_payload)


def _chunk_payload(o) -> dict:
    file_id = o.usage_file.id if o.usage_file else "UF-2024-03-0000-0000"
    return {
        "id": o.chunk_id,
        "status": o.status,
        "outdated": False,
        "usagefile": {"id": file_id, "name": "Usage", "schema": "qt", "currency": "USD"},
        "binding": {"hub": {"id": o.hub_id, "name": "Hub"}, "external_id": o.external_id},
        "marketplace": {"id": o.marketplace_id, "name": "France"},
        "provider": {"id": o.provider_id, "name": "Provider"},
        "external_id": o.external_id,
        "error": {"detail": ""},
        "stats": {"uploaded": 2, "validated": 2, "pending": 0, "accepted": 2, "closed": 0, "billed": 0},
        "events": {"created": {"at": ts(o.created)}},
    }


class UsageChunkFactory(PayloadFactory):
    class Meta:
        model = UsageChunk

    class Params:
        n = factory.Sequence(int)
        chunk_id = factory.LazyAttribute(lambda o: f"UFC-2024-03-{o.n:04d}")

    usage_file = factory.SubFactory(UsageFileFactory)
    status = "ready"
    hub_id = "HB-0000-0001"
    marketplace_id = "MP-12345"
    provider_id = "PA-000-001"
    external_id = ""
    created = factory.LazyAttribute(lambda o: BASE_TIME + timedelta(minutes=o.n))
    payload = factory.LazyAttribute(_chunk_payload)


def _listing_payload(o) -> dict:
    return {
        "id": o.listing_id,
        "status": o.status,
        "contract": {"id": o.contract_id, "type": "distribution", "name": "Contract"},
        "product": {"id": o.product_id, "name": "Usage Product", "status": "published"},
        "marketplace": {"id": o.marketplace_id, "name": "France"},
        "vendor": {"id": o.vendor_id, "name": "Vendor"},
        "provider": {"id": o.provider_id, "name": "Provider"},
        "created": ts(o.created),
        "updated": ts(o.updated),
    }


class ListingFactory(PayloadFactory):
    class Meta:
        model = Listing

    class Params:
        n = factory.Sequence(int)
        listing_id = factory.LazyAttribute(lambda o: f"LST-{o.n:03d}-000-001")

    status = "listed"
    product_id = "PRD-100-000-001"
    contract_id = "CRD-00000-00000-00001"
    marketplace_id = "MP-12345"
    vendor_id = "VA-000-001"
    provider_id = "PA-000-001"
    usage_schema = "qt"
    currency = "USD"
    created = factory.LazyAttribute(lambda o: BASE_TIME + timedelta(minutes=o.n))
    updated = factory.LazyAttribute(lambda o: o.created + timedelta(days=1))
    payload = factory.LazyAttribute(_listing_payload)


def _asset_payload(o) -> dict:
    return {
        "id": o.asset_id,
        "status": o.status,
        "external_id": o.external_id,
        "external_uid": o.external_uid,
        "product": {"id": o.product_id, "name": "Usage Product"},
        "connection": {"id": "CT-0000-0001", "type": o.environment},
        "items": [{"id": "PRD-100-000-001-0001", "quantity": "1"}],
        "tiers": {"customer": {"id": o.customer_id, "name": o.customer_name}},
        "marketplace": {"id": o.marketplace_id, "name": "France"},
        "contract": {"id": o.contract_id, "name": "Contract"},
        "billing": {
            "period": {"delta": 1.0, "uom": "monthly"},
            "next_date": ts(o.next_billing_date),
            "anniversary": {"day": 1},
        },
        "events": {"created": {"at": ts(o.created)}, "updated": {"at": ts(o.updated)}},
    }


class RecurringAssetFactory(PayloadFactory):
    class Meta:
        model = RecurringAsset

    class Params:
        n = factory.Sequence(int)
        asset_id = factory.LazyAttribute(lambda o: f"AS-{o.n:04d}-0000-0009")

    status = "active"
    external_id = factory.LazyAttribute(lambda o: f"ext-{o.n}")
    external_uid = factory.LazyAttribute(lambda o: f"uid-{o.n}")
    product_id = "PRD-100-000-001"
    marketplace_id = "MP-12345"
    contract_id = "CRD-00000-00000-00001"
    customer_id = "TA-0000-0000-0001"
    customer_name = "ACME"
    environment = "production"
    billing_period_uom = "monthly"
    billing_period_delta = Decimal("1")
    next_billing_date = factory.LazyAttribute(lambda o: BASE_TIME + timedelta(days=o.n))
    created = factory.LazyAttribute(lambda o: BASE_TIME + timedelta(minutes=o.n))
    updated = factory.LazyAttribute(lambda o: o.created + timedelta(hours=1))
    payload = factory.LazyAttribute(_asset_payload)


def _billing_payload(o) -> dict:
    asset_id = o.asset.id if o.asset else "AS-0000-0000-0000"
    return {
        "id": o.request_id,
        "type": o.type,
        "asset": {"id": asset_id, "external_uid": o.asset_external_uid, "product": {"id": o.product_id}},
        "items": [],
        "attributes": {"vendor": {"external_id": "INV-1"}},
        "period": {
            "from": ts(o.period_from),
            "to": ts(o.period_from + timedelta(days=29)),
            "delta": 1.0,
            "uom": "monthly",
        },
        "events": {"created": {"at": ts(o.created)}, "updated": {"at": ts(o.updated)}},
    }


class BillingRequestFactory(PayloadFactory):
    class Meta:
        model = BillingRequest

    class Params:
        n = factory.Sequence(int)
        request_id = factory.LazyAttribute(lambda o: f"BRV-{o.n:04d}-0000-0001")

    type = "vendor"
    asset = factory.SubFactory(RecurringAssetFactory)
    asset_external_uid = factory.LazyAttribute(lambda o: o.asset.external_uid if o.asset else "")
    product_id = "PRD-100-000-001"
    period_from = factory.LazyAttribute(lambda o: datetime(2024, 2, 1, tzinfo=UTC) + timedelta(days=o.n))
    period_uom = "monthly"
    period_delta = Decimal("1")
    created = factory.LazyAttribute(lambda o: BASE_TIME + timedelta(minutes=o.n))
    updated = factory.LazyAttribute(lambda o: o.created + timedelta(hours=1))
    payload = factory.LazyAttribute(_billing_payload)
