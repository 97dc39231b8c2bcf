"""The usage app's models: Connect's usage and billing mirrors, and our reports being built."""

from .automation import AcceptanceBand
from .billing import BillingRequest, RecurringAsset
from .files import Listing, UsageChunk, UsageFile, UsageRecord
from .reports import UsageImport, UsageReport, UsageReportRow

__all__ = [
    "AcceptanceBand",
    "BillingRequest",
    "Listing",
    "RecurringAsset",
    "UsageChunk",
    "UsageFile",
    "UsageImport",
    "UsageRecord",
    "UsageReport",
    "UsageReportRow",
]
