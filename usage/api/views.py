"""The usage mirror's read API: Connect's usage and billing collections, paths and JSON under
/api/v1/connect/usage/... and /api/v1/connect/subscriptions/...

Each viewset is configuration (HOUSE_STYLE 9): queryset, RQL filter class, default (indexed)
ordering; the object served is the stored Connect JSON, as on the fulfillment endpoints.
"""

from __future__ import annotations

from channelhub.api.viewsets import ConnectPayloadViewSet
from usage import filters
from usage.api.schemas import USAGE
from usage.models import BillingRequest, Listing, RecurringAsset, UsageChunk, UsageFile, UsageRecord


class UsageFileViewSet(ConnectPayloadViewSet):
    """Usage files (`UF-…`), as Connect's `/usage/files`, newest first."""

    queryset = UsageFile.objects.all()
    rql_filter_class = filters.UsageFileFilters
    default_ordering = ("-created",)
    payload_shape = USAGE.shape("ConnectUsageFile", "Connect usage files")


class UsageRecordViewSet(ConnectPayloadViewSet):
    """Usage records (`UR-…`), as Connect's `/usage/records`.

    Ordered by id by default: the primary key's index serves it at any table size (a file's
    records are read with `eq(usagefile.id,UF-…)`, which its own index narrows first).
    """

    queryset = UsageRecord.objects.all()
    rql_filter_class = filters.UsageRecordFilters
    default_ordering = ("id",)
    payload_shape = USAGE.shape("ConnectUsageRecord", "Connect usage records")


class UsageChunkViewSet(ConnectPayloadViewSet):
    """A provider's per-hub chunks of usage files, as Connect's `/usage/chunks`, newest first."""

    queryset = UsageChunk.objects.all()
    rql_filter_class = filters.UsageChunkFilters
    default_ordering = ("-created",)
    payload_shape = USAGE.shape("ConnectUsageChunk", "Connect usage chunks")


class ListingViewSet(ConnectPayloadViewSet):
    """Listings (`LST-…`: a product on a marketplace under a contract), as Connect's `/listings`."""

    queryset = Listing.objects.all()
    rql_filter_class = filters.ListingFilters
    default_ordering = ("-created",)
    payload_shape = USAGE.shape("ConnectListing", "Connect listings")


class RecurringAssetViewSet(ConnectPayloadViewSet):
    """Recurring assets (`AS-…`), as Connect's `/subscriptions/assets`, newest first."""

    queryset = RecurringAsset.objects.all()
    rql_filter_class = filters.RecurringAssetFilters
    default_ordering = ("-created",)
    payload_shape = USAGE.shape("ConnectSubscriptionAsset", "Connect recurring assets")


class BillingRequestViewSet(ConnectPayloadViewSet):
    """Billing requests (`BRV-…`, `BRP-…`), as Connect's `/subscriptions/requests`, newest first."""

    queryset = BillingRequest.objects.all()
    rql_filter_class = filters.BillingRequestFilters
    default_ordering = ("-created",)
    payload_shape = USAGE.shape("ConnectBillingRequest", "Connect billing requests")
