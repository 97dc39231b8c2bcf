"""The usage app's endpoint table, where the skeleton test finds it (every `tests/**/endpoints.py`):
the list routes under /api/v1/connect/usage/ and /api/v1/connect/subscriptions/, each with a
factory, the permission it needs and its filter class (tests/usage/test_usage_api*.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from usage import filters

from . import factories as f

PREFIX = "connect/"


@dataclass(frozen=True)
class Endpoint:
    path: str  # list path under /api/v1/connect/
    make: Any  # a callable that creates one row, returns it
    perm: str
    filter_cls: type

    def __str__(self):
        return self.path

    def url(self, query: str = "") -> str:
        return f"/api/v1/{PREFIX}{self.path}" + (f"?{query}" if query else "")


ENDPOINTS = [
    Endpoint("usage/files", f.UsageFileFactory, "usage.view_usagefile", filters.UsageFileFilters),
    Endpoint("usage/records", f.UsageRecordFactory, "usage.view_usagerecord", filters.UsageRecordFilters),
    Endpoint("usage/chunks", f.UsageChunkFactory, "usage.view_usagechunk", filters.UsageChunkFilters),
    Endpoint("usage/listings", f.ListingFactory, "usage.view_listing", filters.ListingFilters),
    Endpoint(
        "subscriptions/assets",
        f.RecurringAssetFactory,
        "usage.view_recurringasset",
        filters.RecurringAssetFilters,
    ),
    Endpoint(
        "subscriptions/requests",
        f.BillingRequestFactory,
        "usage.view_billingrequest",
        filters.BillingRequestFilters,
    ),
]
