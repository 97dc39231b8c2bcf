"""Recurring assets and billing requests, built from `subscriptions.Subscription` and
`subscriptions.BillingRequest` documents."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import factory

from usage import mappers
from usage.models import BillingRequest, RecurringAsset

from .base import BASE_TIME, CONTRACT, MARKETPLACE, PERIOD_FROM, PRODUCT, MirroredFactory, midnight, ref, ts


def billed_item(o) -> dict:
    """The one item a default asset bills: `Seats` of `o.product_id`, `o.quantity` a `o.uom`."""
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


def asset_item(n: int, *, mpn: str | None = None, local_id: str | None = None) -> dict:
    """A pay-per-use item of the default product (`{id, global_id, mpn, local_id, ...}`)."""
    return {
        "id": f"{PRODUCT}-{n:04d}",
        "global_id": f"{PRODUCT}-{n:04d}",
        "mpn": mpn or f"MPN-{n}",
        "local_id": local_id or f"local-{n}",
        "display_name": f"Item {n}",
        "item_type": "PPU",
        "quantity": "0",
    }


def recurring_asset_payload(o) -> dict:
    """A `subscriptions.Subscription` document with its billing block."""
    return {
        "id": o.asset_id,
        "status": o.status,
        "events": {"created": {"at": ts(o.created)}, "updated": {"at": ts(o.updated)}},
        "external_id": o.external_id,
        "external_uid": o.external_uid,
        "product": {"id": o.product_id, "name": o.product_name, "status": "published"},
        "connection": {"id": "CT-0000-0001", "type": o.environment, "hub": ref("HB-0000-0001", "Main hub")},
        "items": o.items,
        "params": o.params,
        "tiers": {"customer": ref(o.customer_id, o.customer_name)},
        "marketplace": ref(o.marketplace_id, "France"),
        "contract": ref(o.contract_id, "Distribution contract"),
        "billing": {
            "period": {"delta": 1, "uom": o.uom},
            "next_date": ts(o.next_date),
            "anniversary": {"day": 1, "month": o.created.month},
        },
        "template": {},
        "pending_request": None,
        "renewal_expiration_date": None,
    }


class RecurringAssetFactory(MirroredFactory):
    """A recurring asset (`/subscriptions/assets`) of the default product, billed monthly.

    `ppu=True`: the asset usage reports are checked against: items MPN-1 and MPN-2 (PPU) and a
    parameter `subscription_id` = `SUB-<asset id>`. `items=` / `params=` set the payload's own.
    """

    class Meta:
        model = RecurringAsset

    class Params:
        n = factory.Sequence(int)
        asset_id = factory.LazyAttribute(lambda o: f"AS-2000-{o.n:04d}-0001")
        external_id = factory.LazyAttribute(lambda o: f"ext-{o.n}")
        external_uid = factory.LazyAttribute(lambda o: f"uid-{o.asset_id}")
        status = "active"
        product_id = PRODUCT
        product_name = "Cloud Storage"
        marketplace_id = MARKETPLACE
        contract_id = CONTRACT
        customer_id = factory.LazyAttribute(lambda o: f"TA-0000-{o.n:04d}")
        customer_name = factory.LazyAttribute(lambda o: f"Customer {o.n}")
        environment = "production"
        uom = "monthly"
        quantity = 5
        next_date = datetime(2024, 3, 1, tzinfo=UTC)
        created = factory.LazyAttribute(lambda o: BASE_TIME - timedelta(days=60) + timedelta(minutes=o.n))
        updated = factory.LazyAttribute(lambda o: o.created + timedelta(days=1))
        ppu = False
        items = factory.LazyAttribute(
            lambda o: (
                [asset_item(1), asset_item(2)] if o.ppu else [{**billed_item(o), "billing": {"stats": {}}}]
            )
        )
        params = factory.LazyAttribute(
            lambda o: [{"id": "subscription_id", "value": f"SUB-{o.asset_id}"}] if o.ppu else []
        )

    payload = factory.LazyAttribute(recurring_asset_payload)

    @classmethod
    def map(cls, payload):
        return mappers.map_recurring_asset(payload)


def _next_month(day: date | datetime) -> date:
    day = day.date() if isinstance(day, datetime) else day
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def billing_request_payload(o) -> dict:
    """A `subscriptions.BillingRequest` document for asset `o.asset` and one period."""
    a = o.asset
    created = midnight(o.period_from) + timedelta(minutes=o.n)
    return {
        "id": o.request_id,
        "type": o.type,
        "events": {"created": {"at": ts(created)}, "updated": {"at": ts(created)}},
        "asset": {
            "id": a.id,
            "status": a.status,
            "external_id": a.external_id,
            "external_uid": a.external_uid,
            "product": {"id": o.product_id, "name": a.product_name},
        },
        "items": [{**billed_item(o), "billing": {"cycle_number": 1}}],
        "attributes": {"vendor": dict(o.vendor_attributes), "provider": {}},
        "period": {
            "from": ts(midnight(o.period_from)),
            "to": ts(midnight(o.period_to)),
            "delta": 1,
            "uom": o.uom,
        },
    }


class BillingRequestFactory(MirroredFactory):
    """A billing request (vendor by default) of `asset` (a RecurringAsset) for the month that
    starts on `period_from` (a date or datetime; February 2024 by default)."""

    class Meta:
        model = BillingRequest

    class Params:
        n = factory.Sequence(int)
        asset = factory.SubFactory(RecurringAssetFactory)
        request_id = factory.LazyAttribute(lambda o: f"BRV-{o.n:04d}-0001-{o.n % 1000:03d}")
        type = "vendor"
        period_from = PERIOD_FROM
        period_to = factory.LazyAttribute(lambda o: _next_month(o.period_from))
        product_id = factory.LazyAttribute(lambda o: o.asset.product_id)
        uom = "monthly"
        quantity = 5
        vendor_attributes = factory.LazyFunction(dict)

    payload = factory.LazyAttribute(billing_request_payload)

    @classmethod
    def map(cls, payload):
        return mappers.map_billing_request(payload)
