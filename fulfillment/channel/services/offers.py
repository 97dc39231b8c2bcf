"""Which offers a customer may buy or switch to. The reads are selectors now
(`fulfillment.channel.selectors`) and the words are in `display`; these names stay for the
callers of the services package (the admin's action forms)."""

from __future__ import annotations

from .. import selectors
from ..display import mirrored_offer_summary, offer_summary, price_words

__all__ = [
    "mirrored_offer_summary",
    "offer_summary",
    "offers_for_change",
    "offers_for_new_entitlement",
    "price_words",
]


def offers_for_change(entitlement) -> tuple[list[dict], str]:
    """`selectors.offers_for_change`: the offers the entitlement can change to, and their source."""
    return selectors.offers_for_change(entitlement=entitlement)


def offers_for_new_entitlement(customer) -> list:
    """`selectors.offers_for_new_entitlement`: mirrored offers of products the customer lacks."""
    return selectors.offers_for_new_entitlement(customer=customer)
