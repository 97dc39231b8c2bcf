"""Cloud Channel's words and badges for staff: states, reasons, periods, renewals, parameters,
offers and prices."""

from __future__ import annotations

import json

from django.contrib.admin.utils import quote
from django.urls import reverse

from channelhub.admin import status_badge
from fulfillment.channel.choices import (
    LinkState,
    PaymentPlan,
    PeriodType,
    ProvisioningState,
    SuspensionReason,
)

ACTION_FORM_TEMPLATE = "admin/fulfillment/channel/actions/_form.html"

# Reasons of an entitlement change, in words (channel-api.md §3 EntitlementChange).
REASON_WORDS = {
    **{r.value: r.label for r in SuspensionReason},
    "RESELLER_REVOKED_SUSPENSION": "We lifted our suspension",
    "CUSTOMER_ACCEPTED_PENDING_TOS": "The customer accepted the terms of service",
    "RENEWAL_SETTINGS_CHANGED": "Renewal settings were changed",
    "OTHER_ACTIVATION_REASON": "Other reason",
    "SERVICE_TERMINATED": "Service terminated",
    "RELATIONSHIP_ENDED": "The relationship with the customer ended",
    "PARTIAL_TRANSFER": "Partly transferred away",
}

# Why Google will not let a SKU move to us (TransferEligibility.ineligibilityReason), and what to do.
TRANSFER_INELIGIBILITY_WORDS = {
    "PENDING_TOS_ACCEPTANCE": (
        "We have not accepted Google's terms of service for this product yet: a reseller admin "
        "accepts them in the Partner Sales Console, then it can be transferred."
    ),
    "SKU_NOT_ELIGIBLE": "Google does not let this SKU move to a reseller (for example a free edition).",
    "SKU_SUSPENDED": (
        "The subscription is suspended where it is now: its current reseller (or Google) must "
        "reactivate it before it can move."
    ),
    "CHANNEL_PARTNER_NOT_AUTHORIZED_FOR_SKU": (
        "Our reseller account is not authorized to sell this product; ask Google to enable it."
    ),
    "REASON_UNSPECIFIED": "Google says it cannot be transferred, without giving a reason.",
}


def transfer_eligibility_words(sku) -> str:
    """A TransferableSku's eligibility in words: ours to take, or why not (and Google's own words)."""
    if sku.eligible:
        return "Can be transferred to us."
    words = TRANSFER_INELIGIBILITY_WORDS.get(sku.reason or "REASON_UNSPECIFIED") or (
        f"Google says it cannot be transferred ({sku.reason})."
    )
    if sku.description and sku.description not in words:
        words = f"{words} Google says: {sku.description}"
    return words


STATE_COLOURS = {ProvisioningState.ACTIVE: "active", ProvisioningState.SUSPENDED: "suspended"}


def words(choices, value: str) -> str:
    """A choices label, or the raw upstream value when the enum is newer than our code."""
    return choices(value).label if value in choices.values else (value or "—")


def state_badge(entitlement):
    """An entitlement's provisioning state as a coloured badge, or why it is gone."""
    if entitlement.is_gone:
        return status_badge("terminated", f"Gone: {entitlement.get_gone_reason_display().lower()}")
    state = entitlement.provisioning_state
    return status_badge(STATE_COLOURS.get(state, state), words(ProvisioningState, state))


def link_badge(link):
    """A partner link's state as a coloured badge."""
    colour = {"ACTIVE": "active", "SUSPENDED": "suspended", "REVOKED": "revoked", "INVITED": "pending"}
    return status_badge(colour.get(link.link_state, link.link_state), words(LinkState, link.link_state))


def admin_url(model, pk) -> str:
    """The admin change page URL of a fulfillment row."""
    return reverse(f"admin:fulfillment_{model._meta.model_name}_change", args=[quote(pk)])


def period_words(period: dict | None) -> str:
    """A Channel Period in words ("12 months"), or "" when there is none."""
    if not period:
        return ""
    duration = period.get("duration") or 1
    unit = words(PeriodType, period.get("periodType") or "").lower()
    return f"{duration} {unit}{'s' if str(duration) != '1' else ''}"


def renewal_words(settings: dict | None) -> str:
    """An entitlement's renewal settings in a sentence for staff."""
    if not settings:
        return "—"
    if not settings.get("enableRenewal"):
        return "Does not renew: the plan ends with the commitment"
    plan = words(PaymentPlan, settings.get("paymentPlan") or "").lower()
    text = f"Renews on a {plan} plan"
    cycle = period_words(settings.get("paymentCycle"))
    if cycle:
        text += f", paid every {cycle}"
    if settings.get("resizeUnitCount"):
        text += "; seats resized to those in use"
    return text


def value_words(value) -> str:
    """A Channel `Value` (`int64Value`, `stringValue`, `doubleValue`, `boolValue`, `protoValue`)
    in words; a dash when it holds none."""
    if not isinstance(value, dict):
        return "—"
    for key in ("stringValue", "int64Value", "doubleValue"):
        if value.get(key) not in (None, ""):
            return str(value[key])
    if "boolValue" in value:
        return "yes" if value["boolValue"] else "no"
    if value.get("protoValue"):
        return json.dumps(value["protoValue"], sort_keys=True)
    return "—"


def definition_words(definitions) -> list[str]:
    """An offer's parameter definitions in words, one line each: name, type, bounds, whether optional."""
    out = []
    for d in definitions or []:
        if not isinstance(d, dict):
            continue
        low = (d.get("minValue") or {}).get("int64Value")
        high = (d.get("maxValue") or {}).get("int64Value")
        bounds = f" from {low} to {high}" if low or high else ""
        optional = " (optional)" if d.get("optional") else ""
        out.append(f"{d.get('name')}: {str(d.get('parameterType') or '').lower()}{bounds}{optional}")
    return out


def offer_summary(offer: dict) -> str:
    """One line for a person: SKU name, plan and base price (of an upstream Offer dict)."""
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
