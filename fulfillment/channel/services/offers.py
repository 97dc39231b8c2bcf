"""Which offers a customer may buy or switch to: asked upstream where possible
(`customers:listPurchasableOffers`, which knows the customer's region, type and
promotions), else read from the mirrored offers. Both give upstream Offer dicts."""

from __future__ import annotations

from ..choices import PaymentPlan
from .common import upstream_read

PURCHASABLE_LIMIT = 200


def _from_upstream(client, customer: str, params: dict) -> list[dict]:
    offers = []
    for item in client.iter_all(f"{customer}:listPurchasableOffers", "purchasableOffers", params=params):
        offer = item.get("offer") if isinstance(item, dict) else None
        if isinstance(offer, dict) and offer.get("name"):
            offers.append(offer)
        if len(offers) >= PURCHASABLE_LIMIT:
            break
    return offers


def _mirrored(queryset) -> list[dict]:
    return [
        o.payload or {"name": o.pk}
        for o in queryset.filter(gone_at__isnull=True).order_by("display_name", "id")[:PURCHASABLE_LIMIT]
    ]


def offers_for_change(entitlement) -> tuple[list[dict], str]:
    """Offers the entitlement can change to (not its current one), and where that came from
    ("upstream" or "mirror")."""
    from fulfillment.channel.models import Offer

    offers = upstream_read(
        "list the offers this entitlement can change to",
        lambda client: _from_upstream(
            client,
            entitlement.customer_id or _customer_of(entitlement.pk),
            {"changeOfferPurchase.entitlement": entitlement.pk},
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
        offers = _mirrored(same_product.exclude(payment_plan__in=(PaymentPlan.TRIAL, PaymentPlan.FREE)))
    return [o for o in offers if o.get("name") != entitlement.offer_id], source


def offers_for_sku(customer_id: str, sku: str) -> list[dict] | None:
    """Offers of one SKU the customer can buy, upstream; None when the upstream cannot answer."""
    return upstream_read(
        "list the offers this customer can buy",
        lambda client: _from_upstream(client, customer_id, {"createEntitlementPurchase.sku": sku}),
    )


def offers_for_new_entitlement(customer) -> list:
    """Mirrored offers of products the customer does not hold yet (one entitlement per product)."""
    from fulfillment.channel.models import Entitlement, Offer

    owned = Entitlement.objects.filter(customer_id=customer.pk, gone_at__isnull=True).values_list(
        "product_id", flat=True
    )
    return list(
        Offer.objects.filter(gone_at__isnull=True)
        .exclude(product_id__in=[p for p in owned if p])
        .defer("payload")
        .order_by("product_name", "display_name", "payment_plan")[:PURCHASABLE_LIMIT]
    )


def offer_summary(offer: dict) -> str:
    """One line for a person: SKU name, plan and base price."""
    marketing = (offer.get("marketingInfo") or {}).get("displayName") or ""
    sku = ((offer.get("sku") or {}).get("marketingInfo") or {}).get("displayName") or ""
    plan = (offer.get("plan") or {}).get("paymentPlan") or ""
    plan_words = PaymentPlan(plan).label if plan in PaymentPlan.values else plan
    name = marketing or sku or offer.get("name", "")
    price = price_words(offer.get("priceByResources") or [])
    return " — ".join(p for p in (name, plan_words, price) if p)


def mirrored_offer_summary(offer) -> str:
    """offer_summary for a mirrored Offer row, from its columns (no payload read)."""
    plan = offer.get_payment_plan_display() if offer.payment_plan else ""
    name = offer.display_name or offer.pk
    return " — ".join(p for p in (name, plan, price_words(offer.prices or [])) if p)


def price_words(prices: list) -> str:
    """'12.00 USD per SEAT per 1 MONTH' for the first price of an offer."""
    for entry in prices or []:
        if not isinstance(entry, dict):
            continue
        price = entry.get("price") or {}
        money = price.get("effectivePrice") or price.get("basePrice") or {}
        if not money:
            continue
        units = str(money.get("units") or "0")
        nanos = int(money.get("nanos") or 0)
        amount = f"{units}.{abs(nanos) // 10_000_000:02d}"
        period = price.get("pricePeriod") or {}
        per = f" per {period.get('duration', '')} {period.get('periodType', '')}".rstrip() if period else ""
        return (
            f"{amount} {money.get('currencyCode', '')} per {entry.get('resourceType', 'unit')}{per}".strip()
        )
    return ""


def _customer_of(entitlement_name: str) -> str:
    return entitlement_name.split("/entitlements/", 1)[0]
