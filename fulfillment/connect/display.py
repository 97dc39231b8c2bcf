"""Connect's words and badges for staff: secret parameters masked, tiers, ages, status badges."""

from __future__ import annotations

from django.urls import reverse
from django.utils.timesince import timesince

from channelhub.admin import status_badge
from fulfillment.connect.choices import ParamType
from fulfillment.connect.shapes import SECRET_MASK

SECRET_PARAM_TYPES = frozenset(ParamType.SECRET_TYPES)


def redact_secrets(value):
    """A copy of an upstream payload with password parameter values masked.

    The raw payload section must not undo the masking of the params table.
    """
    if isinstance(value, list):
        return [redact_secrets(v) for v in value]
    if not isinstance(value, dict):
        return value
    redacted = {k: redact_secrets(v) for k, v in value.items()}
    if redacted.get("type") in SECRET_PARAM_TYPES:
        for key in ("value", "structured_value"):
            if redacted.get(key):
                redacted[key] = SECRET_MASK
    return redacted


TIER_LABELS = (("customer", "Customer"), ("tier1", "Tier 1 (reseller)"), ("tier2", "Tier 2 (reseller)"))


def admin_url(model, pk) -> str:
    """The admin change page URL of a fulfillment row."""
    return reverse(f"admin:fulfillment_{model._meta.model_name}_change", args=[pk])


def status_badge_for(choices, status: str):
    """A badge labelled from a choices class; an unknown upstream status shows as it is."""
    return status_badge(status, choices(status).label if status in choices.values else status)


def account_card(account) -> dict:
    """The address card of a tier account (the `_address.html` include's shape)."""
    return {
        "label": "Account",
        "id": account.pk,
        "name": account.name,
        "external_id": account.external_id,
        "external_uid": account.external_uid,
        "contact_info": account.contact_info,
    }


def tier_cards(tiers: dict) -> list[dict]:
    """The address cards of the tiers (customer, tier 1, tier 2) an object names."""
    return [{"label": label, **tiers[key]} for key, label in TIER_LABELS if tiers.get(key)]


def age(obj, open_states):
    """How long an open request or TCR has waited (since created); a dash once it is closed."""
    if obj.status in open_states and obj.created:
        return timesince(obj.created)
    return "—"
