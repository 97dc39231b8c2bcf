"""factory-boy factories for every usage model, one per model (`from tests.usage import factories`).

Mirrored models (usage files, records, chunks, listings, recurring assets, billing requests)
are built as a sync builds them: a realistic upstream payload (the shapes of
`connect-openapi-v37.yml` and the fixtures `usage_file_list.json` / `usage_record.json`, with
the knobs a test asks for), run through the app's own mapper, saved with its payload digest.
So the typed columns and `payload` always agree. Knobs are factory `Params`, named after
Connect's fields (`UsageFileFactory(status="pending", schema="tr")`,
`UsageRecordFactory(usage_file=f, record_status="approved", usage="12.5")`); pass a column
directly only to make it disagree with the payload on purpose (say why where you do).

By default every row is of one world: product PRODUCT under contract CONTRACT on marketplace
MARKETPLACE, files of February 2024. Our own rows (UsageImport, UsageReport, UsageReportRow)
are plain model factories; `record`, `xlsx_file` and `csv_file` write the staff files they
are imported from.

Amounts and quantities are put into payloads as `Decimal`, as the records stream reads them, and
stored as the engine stores such a payload (canonical JSON: a Decimal becomes its exact text).
"""

from .base import (
    BASE_TIME,
    CONTRACT,
    MARKETPLACE,
    PERIOD_FROM,
    PERIOD_TO,
    PRODUCT,
    PROVIDER,
    VENDOR,
    ts,
)
from .billing import (
    BillingRequestFactory,
    RecurringAssetFactory,
    asset_item,
)
from .files import (
    ListingFactory,
    UsageChunkFactory,
    UsageFileFactory,
    UsageRecordFactory,
)
from .reports import (
    TEMPLATE_COLUMNS,
    UsageImportFactory,
    UsageReportFactory,
    UsageReportRowFactory,
    csv_file,
    record,
    xlsx_file,
)

__all__ = [
    "BASE_TIME",
    "CONTRACT",
    "MARKETPLACE",
    "PERIOD_FROM",
    "PERIOD_TO",
    "PRODUCT",
    "PROVIDER",
    "TEMPLATE_COLUMNS",
    "VENDOR",
    "BillingRequestFactory",
    "ListingFactory",
    "RecurringAssetFactory",
    "UsageChunkFactory",
    "UsageFileFactory",
    "UsageImportFactory",
    "UsageRecordFactory",
    "UsageReportFactory",
    "UsageReportRowFactory",
    "asset_item",
    "csv_file",
    "record",
    "ts",
    "xlsx_file",
]
