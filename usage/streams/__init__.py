"""The usage streams, in the order `sync --all` runs them.

Listings first (what usage is reported for), then usage files, their records (which need the
files' state), the provider's chunks, recurring assets and billing requests. How the usage
files and records streams keep cheap without an update time: docs/sync.md, "Usage".
"""

from __future__ import annotations

from channelhub.sync.streams import Stream

from .billing import BillingRequestStream, ListingStream, RecurringAssetStream, UsageChunkStream
from .files import UsageFileStream
from .records import UsageRecordStream

__all__ = [
    "STREAMS",
    "BillingRequestStream",
    "ListingStream",
    "RecurringAssetStream",
    "UsageChunkStream",
    "UsageFileStream",
    "UsageRecordStream",
]

STREAMS: list[Stream] = [
    ListingStream(),
    UsageFileStream(),
    UsageRecordStream(),
    UsageChunkStream(),
    RecurringAssetStream(),
    BillingRequestStream(),
]
