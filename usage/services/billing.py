"""Staff actions on Connect billing requests (`/subscriptions/requests`): create one for a
recurring asset and period (the SDK's `Subscription` class does), update its attributes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from channelhub.models import UpstreamAction
from channelhub.services import ServiceError, require_perm

from ..choices import BillingRequestType, PeriodUnit, RecurringAssetStatus
from ..models import BillingRequest, RecurringAsset
from .common import BILLING_REQUESTS

BILLABLE_ASSETS = (
    RecurringAssetStatus.ACTIVE,
    RecurringAssetStatus.TERMINATING,
    RecurringAssetStatus.SUSPENDED,
)
SIDES = ("vendor", "provider")


def _utc(value: datetime, field: str) -> str:
    if not isinstance(value, datetime):
        raise ServiceError(f"{field} must be a date and time.")
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _items(items) -> list[dict]:
    if (
        not isinstance(items, list)
        or not items
        or not all(isinstance(i, dict) and i.get("id") for i in items)
    ):
        raise ServiceError("A billing request needs its items: a list of objects, each with the item's id.")
    return items


def _delta(value) -> str:
    try:
        delta = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ServiceError(f"The period's length {value!r} is not a number.") from None
    if delta <= 0:
        raise ServiceError("The period's length must be more than 0.")
    return str(delta)


def check_attributes(attributes) -> dict:
    """`{vendor: {...}, provider: {...}}` (either side may be left out); refused otherwise."""
    if not isinstance(attributes, dict) or not attributes:
        raise ServiceError("Give the attributes to set, for the vendor, the provider or both.")
    wrong = [k for k in attributes if k not in SIDES]
    if wrong or not all(isinstance(v, dict) for v in attributes.values()):
        raise ServiceError('Attributes are an object per side: {"vendor": {...}, "provider": {...}}.')
    return attributes


@transaction.atomic
def billing_request_create(
    *,
    asset: RecurringAsset,
    type: str,  # noqa: A002 - Connect's name for vendor/provider
    period_from: datetime,
    period_to: datetime,
    period_delta=1,
    period_uom: str = PeriodUnit.MONTHLY,
    items=None,
    attributes=None,
    actor,
) -> UpstreamAction:
    """Bill a recurring asset for one period. One open creation per (asset, period, type), and
    none when the mirror already has that billing request."""
    spec = BILLING_REQUESTS.spec("create")
    require_perm(actor, spec.perm, "create billing requests")
    asset = RecurringAsset.objects.filter(pk=asset.pk).first()
    if asset is None:
        raise ServiceError(
            "The recurring asset is not in the mirror (has the assets stream run?).", code="missing"
        )
    if asset.status not in BILLABLE_ASSETS:
        raise ServiceError(f"Recurring asset {asset.pk} is {asset.status}; only a live asset is billed.")
    if type not in BillingRequestType.values:
        raise ServiceError(f"The type is vendor or provider, not {type!r}.")
    if period_uom not in PeriodUnit.values:
        raise ServiceError(f"{period_uom!r} is not a billing period unit.")
    start, end = _utc(period_from, "The period's start"), _utc(period_to, "The period's end")
    if period_to <= period_from:
        raise ServiceError("The period must end after it starts.")
    known = BillingRequest.objects.filter(asset_id=asset.pk, type=type, period_from=period_from).first()
    if known is not None:
        raise ServiceError(
            f"Billing request {known.pk} already bills {asset.pk} for this period.", code="exists"
        )
    body = {
        "asset_id": asset.pk,
        "type": type,
        "period_from": start,
        "period_to": end,
        "period_delta": _delta(period_delta),
        "period_uom": period_uom,
        "items": _items(items if items is not None else asset.items),
    }
    if attributes:
        body["attributes"] = check_attributes(attributes)
    return BILLING_REQUESTS.record(
        None,
        actor,
        "create",
        {"request": body},
        message=f"{type} billing of {asset.pk} from {start} to {end}",
        target_id=f"{asset.pk}/{type}/{start}",
    )


@transaction.atomic
def billing_request_update_attributes(
    *, billing_request: BillingRequest, attributes: dict, actor
) -> UpstreamAction:
    """Set a billing request's vendor or provider attributes (PUT …/attributes)."""
    billing_request = BILLING_REQUESTS.prepare(
        billing_request, actor, "update_attributes", "update billing request attributes"
    )
    attributes = check_attributes(attributes)
    return BILLING_REQUESTS.record(billing_request, actor, "update_attributes", {"attributes": attributes})
