"""Reads of the Cloud Channel mirror, and the upstream reads the services validate against:
the detail of a customer / entitlement / partner link, the offers a customer can buy or
switch to, a domain's Cloud Identity accounts (HackSoft's selectors: services write,
selectors read). The admin pages, the forms, the services and the dashboard to come read
through these; the words and badges around them are in `display`.

Upstream reads go through `upstream_read`: when Cloud Channel is not configured or cannot
answer now, a selector answers None (or from the mirror, and says so) instead of failing;
a refusal of the read itself is a `ServiceError` with Channel's reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.db.models import F, Q

from channelhub.services import ServiceError
from channelhub.upstream.errors import UpstreamError, UpstreamNotConfigured

from .choices import PaymentPlan
from .models import ChannelPartnerLink, Customer, Entitlement, EntitlementChange, Offer

logger = logging.getLogger(__name__)

T = TypeVar("T")

PURCHASABLE_LIMIT = 200
RECENT_CHANGES = 100
SEAT_PARAMETERS = ("num_units", "max_units", "assigned_units")


# --- upstream reads ------------------------------------------------------------------------


def channel_client():
    """The Channel client, or None when Channel is not configured (checks then use the mirror)."""
    from channelhub.upstream.channel import ChannelClient  # noqa: PLC0415 - google-auth loads only when asked

    if not ChannelClient.is_configured():
        return None
    return ChannelClient.from_settings()


def upstream_read(what: str, call: Callable[..., T]) -> T | None:
    """Run a read the services validate against; None when the upstream cannot answer now
    (the caller then falls back to the mirror). A refusal of the read itself is not hidden."""
    try:
        client = channel_client()
        if client is None:
            return None
        return call(client)
    except UpstreamError as exc:
        if exc.retryable or isinstance(exc, UpstreamNotConfigured):
            logger.warning("could not %s upstream (%s); checking against the mirror", what, exc)
            return None
        raise ServiceError(
            f"Cloud Channel refused to {what}: {'; '.join(exc.errors) or exc.message}"
        ) from exc


def cloud_identity_accounts(*, domain: str) -> list[dict] | None:
    """The Cloud Identity accounts of `domain`, upstream (`existing`, `owned`,
    `customerName`, ...); [] when it has none, None when Channel cannot answer now."""
    return upstream_read(
        "check the domain", lambda client: client.check_cloud_identity_accounts_exist(domain=domain)
    )


# --- offers --------------------------------------------------------------------------------


def _mirrored_offers(queryset) -> list[dict]:
    return [
        o.payload or {"name": o.pk}
        for o in queryset.filter(gone_at__isnull=True).order_by("display_name", "id")[:PURCHASABLE_LIMIT]
    ]


def _customer_of(entitlement_name: str) -> str:
    return entitlement_name.split("/entitlements/", 1)[0]


def offers_for_change(*, entitlement: Entitlement) -> tuple[list[dict], str]:
    """Offers (Offer dicts) the entitlement can change to, not its current one, and where
    they came from: "upstream" (listPurchasableOffers, which knows the customer's region,
    type and promotions) or "mirror" (the mirrored paid offers of its product)."""
    offers = upstream_read(
        "list the offers this entitlement can change to",
        lambda client: client.purchasable_offers(
            customer=entitlement.customer_id or _customer_of(entitlement.pk),
            entitlement=entitlement.pk,
            limit=PURCHASABLE_LIMIT,
        ),
    )
    source = "upstream"
    if offers is None:
        source = "mirror"
        same_product = (
            Offer.objects.filter(product_id=entitlement.product_id)
            if entitlement.product_id
            else Offer.objects.none()
        )
        offers = _mirrored_offers(
            same_product.exclude(payment_plan__in=(PaymentPlan.TRIAL, PaymentPlan.FREE))
        )
    return [o for o in offers if o.get("name") != entitlement.offer_id], source


def offers_for_sku(*, customer_id: str, sku: str) -> list[dict] | None:
    """Offers of one SKU the customer can buy, upstream; None when the upstream cannot answer."""
    return upstream_read(
        "list the offers this customer can buy",
        lambda client: client.purchasable_offers(customer=customer_id, sku=sku, limit=PURCHASABLE_LIMIT),
    )


def offers_for_new_entitlement(*, customer: Customer) -> list[Offer]:
    """Mirrored offers of products the customer does not hold yet (one entitlement per
    product), by product and name; payloads deferred."""
    owned = live_entitlements(customer_id=customer.pk).values_list("product_id", flat=True)
    return list(
        Offer.objects.filter(gone_at__isnull=True)
        .exclude(product_id__in=[p for p in owned if p])
        .defer("payload")
        .order_by("product_name", "display_name", "payment_plan")[:PURCHASABLE_LIMIT]
    )


# --- customers -----------------------------------------------------------------------------


def customer_with_domain(*, domain: str) -> Customer | None:
    """The live mirrored customer whose domain is `domain` (any case), if there is one."""
    return Customer.objects.filter(domain__iexact=domain, gone_at__isnull=True).first()


def live_entitlements(*, customer_id: str):
    """A customer's entitlements that are still listed upstream."""
    return Entitlement.objects.filter(customer_id=customer_id, gone_at__isnull=True)


def entitlement_of_product(*, customer_id: str, sku_id: str, product_id: str = "") -> Entitlement | None:
    """A live entitlement of the customer of this SKU or, when known, of its product:
    Channel allows one entitlement per product, so another SKU of it is a change of offer."""
    same = Q(sku_id=sku_id) | Q(product_id=product_id) if product_id else Q(sku_id=sku_id)
    return live_entitlements(customer_id=customer_id).filter(same).first()


@dataclass(frozen=True)
class CustomerDetail:
    """What a customer's detail shows beside its columns, read from its payload and entitlements."""

    entitlements: list[Entitlement]  # live first, newest first, each with its offer
    address: dict  # orgPostalAddress
    contact: dict  # primaryContactInfo
    identity: dict  # cloudIdentityInfo


def customer_detail(*, customer: Customer, limit: int = 200) -> CustomerDetail:
    """A customer's entitlements (one query, offers joined, heavy columns deferred) and the
    parts of its upstream payload the page shows."""
    entitlements = list(
        Entitlement.objects.filter(customer_id=customer.pk)
        .select_related("offer")
        .defer("payload", "parameters", "offer__payload", "offer__parameter_definitions")
        # Live ones first on every database (PostgreSQL sorts NULLs last by default).
        .order_by(F("gone_at").asc(nulls_first=True), "-create_time")[:limit]
    )
    doc = customer.payload or {}
    return CustomerDetail(
        entitlements=entitlements,
        address=doc.get("orgPostalAddress") or customer.postal_address or {},
        contact=doc.get("primaryContactInfo") or {},
        identity=doc.get("cloudIdentityInfo") or {},
    )


def partner_link_customers(*, link: ChannelPartnerLink, limit: int = 100):
    """The customers of a channel partner link (heavy columns deferred)."""
    return Customer.objects.filter(partner_link_id=link.pk).defer("payload", "postal_address")[:limit]


# --- entitlements --------------------------------------------------------------------------


@dataclass(frozen=True)
class EntitlementDetail:
    """What an entitlement's detail shows beside its columns."""

    offer: Offer | None
    changes: list[EntitlementChange]  # newest first
    other_parameters: list[dict]  # its parameters other than the seat counts


def entitlement_detail(*, entitlement: Entitlement, changes: int = RECENT_CHANGES) -> EntitlementDetail:
    """An entitlement's offer, its latest `changes` history entries and its other parameters."""
    history = list(
        EntitlementChange.objects.filter(entitlement_id=entitlement.pk)
        .defer("payload")
        .order_by("-create_time", "-id")[:changes]
    )
    return EntitlementDetail(
        offer=entitlement.offer,
        changes=history,
        other_parameters=[
            p
            for p in entitlement.parameters or []
            if isinstance(p, dict) and p.get("name") not in SEAT_PARAMETERS
        ],
    )
