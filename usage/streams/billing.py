"""Listings, recurring assets and billing requests (incremental by update time), and the
provider's usage chunks (no update time, no filter on one: read whole, unchanged rows unwritten)."""

from __future__ import annotations

from channelhub.sync.connect_reading import FullListingStream, KeysetStream
from usage import mappers
from usage.models import BillingRequest, Listing, RecurringAsset, UsageChunk


class ListingStream(KeysetStream):
    """Listings (`/listings`), incrementally by their top-level `updated` time."""

    name = "connect.listings"
    description = "Connect listings (products listed per marketplace and contract)"
    model = Listing
    path = "/listings"
    cursor_field = "updated"
    schedule_minutes = 60
    schedule_words = "every hour"

    mapper = staticmethod(mappers.map_listing)


class RecurringAssetStream(KeysetStream):
    """Recurring assets (`/subscriptions/assets`), incrementally by `events.updated.at`."""

    name = "connect.subscription-assets"
    description = "Connect recurring assets (billing periods, next billing date)"
    model = RecurringAsset
    path = "/subscriptions/assets"
    schedule_minutes = 15
    schedule_words = "every 15 minutes"

    mapper = staticmethod(mappers.map_recurring_asset)


class BillingRequestStream(KeysetStream):
    """Billing requests (`/subscriptions/requests`), incrementally by `events.updated.at`."""

    name = "connect.billing-requests"
    description = "Connect billing requests (vendor and provider)"
    model = BillingRequest
    path = "/subscriptions/requests"
    schedule_minutes = 15
    schedule_words = "every 15 minutes"

    mapper = staticmethod(mappers.map_billing_request)


class UsageChunkStream(FullListingStream):
    """The provider's per-hub chunks (`/usage/chunks`): no update time to page by, so read whole
    by keyset on the id; an unchanged chunk costs a hash comparison, no write."""

    name = "connect.usage-chunks"
    description = "Connect usage chunks (the provider's per-hub slices of files)"
    model = UsageChunk
    path = "/usage/chunks"
    schedule_minutes = 60
    schedule_words = "every hour"

    mapper = staticmethod(mappers.map_usage_chunk)
