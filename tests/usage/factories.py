"""factory-boy factories for every usage model.

Mirrored models (usage files, records, chunks, listings, recurring assets, billing requests)
are built as a sync builds them: a realistic upstream payload (the shapes of
`connect-openapi-v37.yml` and the fixtures `usage_file_list.json` / `usage_record.json`, with
the knobs a test asks for), run through the app's own mapper, saved with its payload digest.
So the typed columns and `payload` always agree. Knobs are factory `Params`
(`UsageFileFactory(status="pending", schema="tr")`, `UsageRecordFactory(usage_file=f,
usage="12.5")`); pass a column directly only to make it disagree with the payload on purpose.

Our own rows (UsageImport, UsageReport, UsageReportRow) are plain model factories.

Amounts and quantities are put into payloads as `Decimal`, as the records stream reads them, and
stored as the engine stores such a payload (canonical JSON: a Decimal becomes its exact text).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import factory
import orjson
from factory.django import DjangoModelFactory

from channelhub.sync.upsert import canonical_json, digest
from usage import mappers
from usage.choices import ReportStatus
from usage.models import (
    BillingRequest,
    Listing,
    RecurringAsset,
    UsageChunk,
    UsageFile,
    UsageImport,
    UsageRecord,
    UsageReport,
    UsageReportRow,
)

BASE_TIME = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
PERIOD_FROM = date(2024, 2, 1)
PERIOD_TO = date(2024, 2, 29)

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


def ts(value: datetime) -> str:
    """A datetime in Connect's wire format (`2020-11-23T14:18:17+00:00`)."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def _digits(n: int) -> str:
    return f"{n // 10000:04d}-{n % 10000:04d}"


def _ref(ident: str, name: str) -> dict:
    return {"id": ident, "name": name}


class MirroredFactory(DjangoModelFactory):
    """Builds `payload`, maps it with the app's mapper, and saves the row as a sync would."""

    class Meta:
        abstract = True

    @classmethod
    def map(cls, payload: dict) -> dict:
        """The model's fields from the payload (the app's mapper)."""
        raise NotImplementedError

    @classmethod
    def _instantiate(cls, model_class, kwargs: dict):
        # Stored as the engine stores it: canonical JSON, a Decimal as its exact text.
        payload = orjson.loads(canonical_json(kwargs.pop("payload")))
        fields = cls.map(payload)
        fields.update(kwargs)
        return model_class(
            id=payload["id"], payload=payload, payload_hash=digest(canonical_json(payload)), **fields
        )

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        return cls._instantiate(model_class, kwargs)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        obj = cls._instantiate(model_class, kwargs)
        obj.save(force_insert=True)
        return obj


# --- usage files ---------------------------------------------------------------------------


def usage_file_payload(o) -> dict:
    """A `usage.UsageFileList` document for the factory's knobs."""
    created = o.created_at
    events = {"created": {"at": ts(created), "by": _ref("UR-000-000-001", o.created_by)}}
    for step, name in enumerate(_STEPS.get(o.status, ()), start=1):
        events[name] = {"at": ts(created + timedelta(hours=step)), "by": _ref("UR-000-000-001", o.created_by)}
    valid = o.records_count if o.status in _WITH_RECORDS else 0
    closed = valid if o.status == "closed" else o.records_closed
    return {
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
        "contract": _ref(o.contract_id, "Distribution contract"),
        "marketplace": {"id": o.marketplace_id, "name": "France", "icon": "/media/mp.png"},
        "vendor": {"id": o.vendor_id, "name": "Vendor Inc.", "icon": ""},
        "provider": {"id": o.provider_id, "name": "ABC Corp", "icon": ""},
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
        "events": events,
    }


class UsageFileFactory(MirroredFactory):
    """A usage file in any status (`status=`), with its events and counters to match."""

    class Meta:
        model = UsageFile

    class Params:
        n = factory.Sequence(int)
        file_id = factory.LazyAttribute(lambda o: f"UF-2024-02-{_digits(o.n)}")
        name = factory.LazyAttribute(lambda o: f"Usage for Feb 2024 #{o.n}")
        external_id = factory.LazyAttribute(lambda o: f"{o.contract_id} {o.product_id} 2024-02 #{o.n}")
        status = "ready"
        schema = "qt"
        currency = "USD"
        environment = "production"
        period_from = PERIOD_FROM
        period_to = PERIOD_TO
        product_id = "PRD-100-200-300"
        product_name = "Cloud Storage"
        contract_id = "CRD-00000-00000-00001"
        marketplace_id = "MP-12345"
        vendor_id = "VA-587-127"
        provider_id = "PA-587-127"
        created_at = factory.LazyAttribute(lambda o: BASE_TIME + timedelta(minutes=o.n))
        created_by = "vendor@example.com"
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


def usage_record_payload(o) -> dict:
    """A `usage.UsageRecord` document (the shape of `usage_record.json`) under file `o.usage_file`."""
    f = o.usage_file
    start = datetime.combine(f.period_from or PERIOD_FROM, datetime.min.time(), tzinfo=UTC)
    return {
        "id": o.record_id,
        "start_date": ts(start + timedelta(days=o.n % 20)),
        "end_date": ts(start + timedelta(days=o.n % 20 + 1)),
        "product_id": f.product_id,
        "item": {
            "id": o.item_id,
            "local_id": o.item_id.replace("-", "_"),
            "mpn": o.item_mpn,
            "name": "Storage GB",
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
        "usagefile": {"id": f.id, "name": f.name, "schema": f.schema, "currency": f.currency},
        "external_billing_id": o.external_billing_id,
        "external_billing_note": "",
        "closed_at": ts(BASE_TIME + timedelta(days=30)) if o.record_status == "closed" else None,
        "closed_by": "provider@example.com" if o.record_status == "closed" else None,
        "asset_external_id": o.asset_external_id,
    }


class UsageRecordFactory(MirroredFactory):
    """A record of `usage_file` (a UsageFile; one is made when not given)."""

    class Meta:
        model = UsageRecord

    class Params:
        n = factory.Sequence(int)
        usage_file = factory.SubFactory(UsageFileFactory)
        record_id = factory.LazyAttribute(lambda o: f"UR-2024-02-{_digits(o.n)}-0001")
        item_id = "PRD-100-200-300-0001"
        item_mpn = "STORAGE-GB"
        asset_id = factory.LazyAttribute(lambda o: f"AS-1000-{1000 + o.n % 7:04d}-0001")
        asset_external_id = factory.LazyAttribute(lambda o: f"ext-{o.n % 7}")
        category_id = ""
        tier = None
        usage = "12.5"
        amount = None
        record_status = "valid"
        external_billing_id = ""

    payload = factory.LazyAttribute(usage_record_payload)

    @classmethod
    def map(cls, payload):
        return mappers.map_usage_record(payload)


def usage_chunk_payload(o) -> dict:
    """A `usage.PartUsageFile` document: file `o.usage_file`'s slice for hub `o.hub_id`."""
    f = o.usage_file
    events = {"created": {"at": ts(BASE_TIME + timedelta(days=1, minutes=o.n))}}
    if o.status == "closed":
        events["closed"] = {"at": ts(BASE_TIME + timedelta(days=2, minutes=o.n))}
    return {
        "id": o.chunk_id,
        "status": o.status,
        "outdated": False,
        "usagefile": {"id": f.id, "name": f.name, "schema": f.schema, "currency": f.currency},
        "binding": {"hub": _ref(o.hub_id, "Main hub"), "external_id": o.external_id},
        "marketplace": {"id": f.marketplace_id, "name": "France"},
        "provider": _ref(f.provider_id, "ABC Corp"),
        "error": {"detail": ""},
        "stats": {"uploaded": 3, "validated": 3, "pending": 0, "accepted": 3, "closed": 0, "billed": 0},
        "events": events,
        "external_id": o.external_id,
    }


class UsageChunkFactory(MirroredFactory):
    """A provider's chunk of `usage_file` (accepted by default) for one hub."""

    class Meta:
        model = UsageChunk

    class Params:
        n = factory.Sequence(int)
        usage_file = factory.SubFactory(UsageFileFactory, status="accepted")
        chunk_id = factory.LazyAttribute(lambda o: f"UFC-{_digits(o.n)}")
        hub_id = "HB-0000-0001"
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
        "vendor": {"id": "VA-587-127", "name": "Vendor Inc.", "icon": ""},
        "provider": {"id": "PA-587-127", "name": "ABC Corp", "icon": ""},
        "created": ts(BASE_TIME + timedelta(minutes=o.n)),
        "updated": ts(BASE_TIME + timedelta(days=1, minutes=o.n)),
    }


class ListingFactory(MirroredFactory):
    """A listed product on a marketplace under a contract (`usage_schema=""`: not pay-per-use)."""

    class Meta:
        model = Listing

    class Params:
        n = factory.Sequence(int)
        listing_id = factory.LazyAttribute(lambda o: f"LST-{o.n:03d}-000-000")
        status = "listed"
        product_id = factory.LazyAttribute(lambda o: f"PRD-{100 + o.n:03d}-200-300")
        product_name = factory.LazyAttribute(lambda o: f"Product {o.n}")
        contract_id = "CRD-00000-00000-00001"
        marketplace_id = "MP-12345"
        usage_schema = "qt"
        currency = "USD"

    payload = factory.LazyAttribute(listing_payload)

    @classmethod
    def map(cls, payload):
        return mappers.map_listing(payload)


# --- billing -------------------------------------------------------------------------------


def _item(o) -> dict:
    return {
        "id": f"{o.product_id}-0001",
        "global_id": f"{o.product_id}-0001",
        "display_name": "Seats",
        "mpn": "SEATS",
        "item_type": "Reservation",
        "period": o.uom,
        "quantity": Decimal(str(o.quantity)),
        "type": "Quantity",
    }


def recurring_asset_payload(o) -> dict:
    """A `subscriptions.Subscription` document with its billing block."""
    created = BASE_TIME - timedelta(days=60) + timedelta(minutes=o.n)
    return {
        "id": o.asset_id,
        "status": o.status,
        "events": {"created": {"at": ts(created)}, "updated": {"at": ts(created + timedelta(days=1))}},
        "external_id": f"ext-{o.n}",
        "external_uid": o.external_uid,
        "product": {"id": o.product_id, "name": "Cloud Storage", "status": "published"},
        "connection": {"id": "CT-0000-0001", "type": o.environment, "hub": _ref("HB-0000-0001", "Main hub")},
        "items": [{**_item(o), "billing": {"stats": {}}}],
        "params": [],
        "tiers": {"customer": _ref(o.customer_id, o.customer_name)},
        "marketplace": _ref("MP-12345", "France"),
        "contract": _ref("CRD-00000-00000-00001", "Distribution contract"),
        "billing": {
            "period": {"delta": 1, "uom": o.uom},
            "next_date": ts(o.next_date) if o.next_date else None,
            "anniversary": {"day": 1, "month": created.month},
        },
        "template": {},
        "pending_request": None,
        "renewal_expiration_date": None,
    }


class RecurringAssetFactory(MirroredFactory):
    """A recurring asset (`/subscriptions/assets`), billed monthly by default."""

    class Meta:
        model = RecurringAsset

    class Params:
        n = factory.Sequence(int)
        asset_id = factory.LazyAttribute(lambda o: f"AS-2000-{o.n:04d}-0001")
        external_uid = factory.LazyAttribute(lambda o: f"uid-AS-2000-{o.n:04d}-0001")
        status = "active"
        product_id = "PRD-100-200-300"
        customer_id = factory.LazyAttribute(lambda o: f"TA-0000-{o.n:04d}")
        customer_name = factory.LazyAttribute(lambda o: f"Customer {o.n}")
        environment = "production"
        uom = "monthly"
        quantity = 5
        next_date = datetime(2024, 3, 1, tzinfo=UTC)

    payload = factory.LazyAttribute(recurring_asset_payload)

    @classmethod
    def map(cls, payload):
        return mappers.map_recurring_asset(payload)


def billing_request_payload(o) -> dict:
    """A `subscriptions.BillingRequest` document for asset `o.asset` and one monthly period."""
    a = o.asset
    created = datetime.combine(o.period_from, datetime.min.time(), tzinfo=UTC) + timedelta(minutes=o.n)
    return {
        "id": o.request_id,
        "type": o.type,
        "events": {"created": {"at": ts(created)}, "updated": {"at": ts(created)}},
        "asset": {
            "id": a.id,
            "status": a.status,
            "external_id": a.external_id,
            "external_uid": a.external_uid,
            "product": {"id": a.product_id, "name": a.product_name},
        },
        "items": [{**_item(o), "billing": {"cycle_number": 1}}],
        "attributes": {"vendor": dict(o.vendor_attributes), "provider": {}},
        "period": {
            "from": ts(created.replace(minute=0)),
            "to": ts((created.replace(day=28) + timedelta(days=4)).replace(day=1, minute=0)),
            "delta": 1,
            "uom": "monthly",
        },
    }


class BillingRequestFactory(MirroredFactory):
    """A billing request (vendor by default) of `asset` (a RecurringAsset) for one month."""

    class Meta:
        model = BillingRequest

    class Params:
        n = factory.Sequence(int)
        asset = factory.SubFactory(RecurringAssetFactory)
        request_id = factory.LazyAttribute(lambda o: f"BRV-{o.n:04d}-0001-{o.n % 1000:03d}")
        type = "vendor"
        period_from = date(2024, 2, 1)
        product_id = factory.LazyAttribute(lambda o: o.asset.product_id)
        uom = "monthly"
        quantity = 5
        vendor_attributes = factory.LazyFunction(dict)

    payload = factory.LazyAttribute(billing_request_payload)

    @classmethod
    def map(cls, payload):
        return mappers.map_billing_request(payload)


# --- our own reports -----------------------------------------------------------------------


class UsageImportFactory(DjangoModelFactory):
    """One upload of usage rows by staff."""

    class Meta:
        model = UsageImport

    filename = factory.Sequence(lambda n: f"usage-{n}.xlsx")
    rows = 0
    invalid_rows = 0


class UsageReportFactory(DjangoModelFactory):
    """The rows of one (contract, product, period), not sent yet."""

    class Meta:
        model = UsageReport

    usage_import = factory.SubFactory(UsageImportFactory)
    contract_id = "CRD-00000-00000-00001"
    product_id = "PRD-100-200-300"
    period_from = PERIOD_FROM
    period_to = PERIOD_TO
    schema = "qt"
    currency = "USD"
    name = factory.LazyAttribute(lambda o: f"{o.period_from:%d-%m-%Y} - {o.period_to:%d-%m-%Y}")
    external_id = factory.Sequence(lambda n: f"CRD-00000-00000-00001 PRD-100-200-300 2024-02 #{n}")
    status = ReportStatus.VALID
    rows = 0


class UsageReportRowFactory(DjangoModelFactory):
    """One imported record of a report (valid unless `errors` is given)."""

    class Meta:
        model = UsageReportRow

    report = factory.SubFactory(UsageReportFactory)
    row_number = factory.Sequence(lambda n: n + 2)
    record_id = factory.Sequence(lambda n: f"rec-{n}")
    item_search_criteria = "item.mpn"
    item_search_value = "STORAGE-GB"
    asset_search_criteria = "asset.id"
    asset_search_value = "AS-1000-1000-0001"
    start_time = datetime(2024, 2, 1, tzinfo=UTC)
    end_time = datetime(2024, 2, 2, tzinfo=UTC)
    quantity = Decimal("12.5")
    amount = None
    errors = factory.LazyFunction(list)
