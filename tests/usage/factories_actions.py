"""factory-boy factories for the usage action tests, until tests/usage/factories.py (the
sync's, built on usage.mappers) lands. Rows carry the columns the services check and a small
Connect-shaped payload."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from usage.choices import ReportStatus
from usage.models import (
    BillingRequest,
    RecurringAsset,
    UsageChunk,
    UsageFile,
    UsageImport,
    UsageRecord,
    UsageReport,
    UsageReportRow,
)

PRODUCT = "PRD-100-200-300"
CONTRACT = "CRD-00000-00000-00001"


class UsageFileFactory(DjangoModelFactory):
    class Meta:
        model = UsageFile

    id = factory.Sequence(lambda n: f"UF-2024-03-{n:04d}-0000")
    name = factory.Sequence(lambda n: f"usage {n}")
    status = "draft"
    product_id = PRODUCT
    contract_id = CONTRACT
    period_from = date(2024, 3, 1)
    period_to = date(2024, 3, 31)
    payload = factory.LazyAttribute(lambda o: {"id": o.id, "status": o.status})


class UsageRecordFactory(DjangoModelFactory):
    class Meta:
        model = UsageRecord

    id = factory.Sequence(lambda n: f"UR-2024-03-{n:04d}-0000-0000")
    usage_file = factory.SubFactory(UsageFileFactory, status="accepted")
    status = "approved"
    product_id = PRODUCT
    usage = Decimal("1.5")
    payload = factory.LazyAttribute(lambda o: {"id": o.id, "status": o.status})


class UsageChunkFactory(DjangoModelFactory):
    class Meta:
        model = UsageChunk

    id = factory.Sequence(lambda n: f"UFC-2024-03-{n:04d}")
    usage_file = factory.SubFactory(UsageFileFactory, status="accepted")
    status = "ready"
    payload = factory.LazyAttribute(lambda o: {"id": o.id, "status": o.status})


class RecurringAssetFactory(DjangoModelFactory):
    class Meta:
        model = RecurringAsset

    id = factory.Sequence(lambda n: f"AS-9{n:03d}-0000-0000")
    status = "active"
    product_id = PRODUCT
    contract_id = CONTRACT
    billing_period_uom = "monthly"
    items = factory.LazyFunction(lambda: [{"id": f"{PRODUCT}-0001", "quantity": "1"}])
    payload = factory.LazyAttribute(lambda o: {"id": o.id, "status": o.status})


class BillingRequestFactory(DjangoModelFactory):
    class Meta:
        model = BillingRequest

    id = factory.Sequence(lambda n: f"BRV-{n:03d}-000-000")
    type = "vendor"
    asset = factory.SubFactory(RecurringAssetFactory)
    period_from = datetime(2024, 3, 1, tzinfo=UTC)
    period_to = datetime(2024, 4, 1, tzinfo=UTC)
    attributes = factory.LazyFunction(lambda: {"vendor": {}, "provider": {}})
    payload = factory.LazyAttribute(lambda o: {"id": o.id})


class UsageImportFactory(DjangoModelFactory):
    class Meta:
        model = UsageImport

    filename = "usage.xlsx"


class UsageReportFactory(DjangoModelFactory):
    class Meta:
        model = UsageReport

    usage_import = factory.SubFactory(UsageImportFactory)
    contract_id = CONTRACT
    product_id = PRODUCT
    period_from = date(2024, 3, 1)
    period_to = date(2024, 3, 31)
    schema = "qt"
    currency = "USD"
    name = factory.Sequence(lambda n: f"report {n}")
    external_id = factory.Sequence(lambda n: f"{CONTRACT} {PRODUCT} 2024-03 #{n}")
    status = ReportStatus.VALID
    rows = 1


class UsageReportRowFactory(DjangoModelFactory):
    class Meta:
        model = UsageReportRow

    report = factory.SubFactory(UsageReportFactory)
    row_number = factory.Sequence(lambda n: n + 2)
    record_id = factory.Sequence(lambda n: f"rec-{n}")
    item_search_criteria = "item.mpn"
    item_search_value = "MPN-1"
    asset_search_criteria = "asset.id"
    asset_search_value = "AS-0000-0000-0001"
    start_time = datetime(2024, 3, 1, tzinfo=UTC)
    end_time = datetime(2024, 3, 2, tzinfo=UTC)
    quantity = Decimal("3")
