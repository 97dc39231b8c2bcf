"""factory-boy factories for the back office's tests of the usage app (until
tests/usage/factories.py from the sync work lands on this branch).

Mirrored rows get their typed columns and a payload in Connect's shape that agrees with them
(the parts the pages read from the payload: events, categories, params, links); our own rows
are plain model factories.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

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
PERIOD_TO = date(2024, 3, 1)
PRODUCT = "PRD-736-723-721"
CONTRACT = "CRD-00000-00000-00001"


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def _file_payload(o) -> dict:
    return {
        "id": o.id,
        "name": o.name,
        "status": o.status,
        "schema": o.schema,
        "currency": o.currency,
        "period": {"from": str(o.period_from), "to": str(o.period_to)},
        "product": {"id": o.product_id, "name": o.product_name},
        "contract": {"id": o.contract_id, "name": o.contract_name},
        "marketplace": {"id": o.marketplace_id, "name": o.marketplace_name},
        "vendor": {"id": o.vendor_id, "name": o.vendor_name},
        "provider": {"id": o.provider_id, "name": o.provider_name},
        "error_detail": o.error_details,
        "rejection_note": o.rejection_note,
        "stats": o.stats,
        "events": {"created": {"at": _ts(o.created), "by": {"id": "UR-1", "name": o.created_by}}},
    }


class UsageFileFactory(DjangoModelFactory):
    """A usage file (ready by default) of one product, contract and month."""

    class Meta:
        model = UsageFile

    id = factory.Sequence(lambda n: f"UF-2024-02-{n // 10000:04d}-{n % 10000:04d}")
    name = factory.Sequence(lambda n: f"Usage for Feb 2024 #{n}")
    status = "ready"
    schema = "qt"
    currency = "USD"
    environment = "production"
    period_from = PERIOD_FROM
    period_to = PERIOD_TO
    product_id = PRODUCT
    product_name = "Google Apps"
    contract_id = CONTRACT
    contract_name = "ACME Distribution Contract"
    marketplace_id = "MP-198987"
    marketplace_name = "France"
    vendor_id = "VA-587-127"
    vendor_name = "Symantec"
    provider_id = "PA-587-127"
    provider_name = "ABC Corp"
    created_by = "vendor@example.com"
    error_details = ""
    rejection_note = ""
    stats = factory.LazyFunction(
        lambda: {"uploaded": 3, "validated": 3, "pending": 0, "accepted": 0, "closed": 0}
    )
    created = factory.Sequence(lambda n: BASE_TIME + timedelta(hours=n))
    payload = factory.LazyAttribute(_file_payload)


class UsageRecordFactory(DjangoModelFactory):
    """A usage record of a file: one asset's use of one item."""

    class Meta:
        model = UsageRecord

    id = factory.Sequence(lambda n: f"UR-2024-02-{n // 10000:04d}-{n % 10000:04d}-0001")
    usage_file = factory.SubFactory(UsageFileFactory)
    status = "valid"
    product_id = PRODUCT
    asset_id = factory.Sequence(lambda n: f"AS-{n:04d}-0000-0001")
    asset_external_id = factory.Sequence(lambda n: f"ext-{n}")
    item_id = f"{PRODUCT}-0001"
    item_mpn = "MPN-A"
    item_name = "Compute hours"
    category_id = "compute"
    usage = Decimal("1.5")
    amount = None
    start_date = datetime(2024, 2, 1, tzinfo=UTC)
    end_date = datetime(2024, 2, 29, tzinfo=UTC)
    payload = factory.LazyAttribute(
        lambda o: {"id": o.id, "params": [{"parameter_name": "region", "parameter_value": "eu-west"}]}
    )


class UsageChunkFactory(DjangoModelFactory):
    """A provider's chunk of a file for one hub."""

    class Meta:
        model = UsageChunk

    id = factory.Sequence(lambda n: f"UC-{n:04d}-0001")
    usage_file = factory.SubFactory(UsageFileFactory)
    status = "ready"
    hub_id = "HB-0309-9389"
    hub_name = "Main hub"
    marketplace_id = "MP-198987"
    provider_id = "PA-587-127"
    schema = "qt"
    currency = "USD"
    stats = factory.LazyFunction(lambda: {"records": 3})
    created = BASE_TIME
    payload = factory.LazyAttribute(lambda o: {"id": o.id})


class ListingFactory(DjangoModelFactory):
    """A product listed on a marketplace under a contract."""

    class Meta:
        model = Listing

    id = factory.Sequence(lambda n: f"LST-{n:03d}-000")
    status = "listed"
    product_id = PRODUCT
    product_name = "Google Apps"
    contract_id = CONTRACT
    marketplace_id = "MP-198987"
    marketplace_name = "France"
    vendor_id = "VA-587-127"
    vendor_name = "Symantec"
    provider_id = "PA-587-127"
    provider_name = "ABC Corp"
    usage_schema = "qt"
    currency = "USD"
    payload = factory.LazyAttribute(lambda o: {"id": o.id})


class RecurringAssetFactory(DjangoModelFactory):
    """An asset billed monthly."""

    class Meta:
        model = RecurringAsset

    id = factory.Sequence(lambda n: f"AS-{n:04d}-0000-0001")
    status = "active"
    product_id = PRODUCT
    product_name = "Google Apps"
    contract_id = CONTRACT
    customer_id = "TA-1111-2222-3333"
    customer_name = "Abbott and Sons"
    billing_period_uom = "monthly"
    billing_period_delta = Decimal("1")
    next_billing_date = datetime(2024, 4, 1, tzinfo=UTC)
    items = factory.LazyFunction(lambda: [{"id": f"{PRODUCT}-0001", "mpn": "MPN-A", "quantity": "10"}])
    created = BASE_TIME
    payload = factory.LazyAttribute(lambda o: {"id": o.id})


class BillingRequestFactory(DjangoModelFactory):
    """A vendor's billing request of an asset for February 2024."""

    class Meta:
        model = BillingRequest

    id = factory.Sequence(lambda n: f"BRV-{n:04d}-0000-0001")
    type = "vendor"
    asset = factory.SubFactory(RecurringAssetFactory)
    product_id = PRODUCT
    period_from = datetime(2024, 2, 1, tzinfo=UTC)
    period_to = datetime(2024, 3, 1, tzinfo=UTC)
    period_delta = Decimal("1")
    period_uom = "monthly"
    attributes = factory.LazyFunction(lambda: {"vendor": {"external_id": "INV-1"}})
    created = BASE_TIME
    payload = factory.LazyAttribute(lambda o: {"id": o.id})


class UsageImportFactory(DjangoModelFactory):
    """An upload of usage rows."""

    class Meta:
        model = UsageImport

    filename = "usage-feb.xlsx"
    rows = 2
    invalid_rows = 1


class UsageReportFactory(DjangoModelFactory):
    """One (contract, product, period) of an import, with invalid rows by default."""

    class Meta:
        model = UsageReport

    usage_import = factory.SubFactory(UsageImportFactory)
    contract_id = CONTRACT
    product_id = PRODUCT
    period_from = PERIOD_FROM
    period_to = PERIOD_TO
    schema = "qt"
    currency = "USD"
    name = "Usage of Google Apps, Feb 2024"
    external_id = factory.Sequence(lambda n: f"channelhub-report-{n}")
    status = ReportStatus.INVALID
    rows = 2
    invalid_rows = 1


class UsageReportRowFactory(DjangoModelFactory):
    """One imported row (valid unless given errors)."""

    class Meta:
        model = UsageReportRow

    report = factory.SubFactory(UsageReportFactory)
    row_number = factory.Sequence(lambda n: n + 2)
    record_id = factory.Sequence(lambda n: f"rec-{n}")
    item_search_criteria = "item.mpn"
    item_search_value = "MPN-A"
    asset_search_criteria = "asset.id"
    asset_search_value = "AS-0001-0000-0001"
    start_time = datetime(2024, 2, 1, tzinfo=UTC)
    end_time = datetime(2024, 2, 2, tzinfo=UTC)
    quantity = Decimal("3")
    errors = factory.LazyFunction(list)
