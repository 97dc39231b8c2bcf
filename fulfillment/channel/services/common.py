"""What the Channel services share: the account, seat parameters, and the 'before' snapshots
of their audit events (the upstream reads they validate against are selectors). Preparing and
recording an action is `channelhub.actions.targets.ActionTarget`'s, from the specs in
fulfillment.channel.transitions."""

from __future__ import annotations

import re

from django.conf import settings

from channelhub.services import ServiceError

from ..choices import PaymentPlan

# The editable seat input of a Workspace entitlement: num_units on a commitment plan (the
# seats bought), max_units otherwise (a cap). assigned_units is output only.
SEAT_PARAMETERS = ("num_units", "max_units")
PURCHASE_ORDER_MAX = 80
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def channel_account() -> str:
    """`accounts/<id>` of our reseller account, from settings."""
    account = (settings.CHANNEL_ACCOUNT_ID or "").strip()
    if not account:
        raise ServiceError("Cloud Channel is not configured (CHANNEL_ACCOUNT_ID is empty).", code="config")
    return account if account.startswith("accounts/") else f"accounts/{account}"


def entitlement_snapshot(entitlement) -> dict:
    """The entitlement's state, offer, plan, seats and renewal: an audit event's 'before'."""
    return {
        "provisioning_state": entitlement.provisioning_state,
        "suspension_reasons": list(entitlement.suspension_reasons or []),
        "offer": entitlement.offer_id or "",
        "payment_plan": entitlement.payment_plan,
        "num_units": entitlement.num_units,
        "max_units": entitlement.max_units,
        "renewal_settings": entitlement.renewal_settings or {},
        "trial": entitlement.trial,
        "update_time": entitlement.update_time.isoformat() if entitlement.update_time else None,
    }


def customer_snapshot(customer) -> dict:
    """The customer's name, domain, identity and contact: an audit event's 'before'."""
    return {
        "org_display_name": customer.org_display_name,
        "domain": customer.domain,
        "cloud_identity_id": customer.cloud_identity_id,
        "alternate_email": customer.alternate_email,
        "update_time": customer.update_time.isoformat() if customer.update_time else None,
    }


def clean_text(value, field: str, *, required: bool = False, max_length: int | None = None) -> str:
    """The value stripped, refused with a ServiceError when required and empty or longer than max_length."""
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise ServiceError(f"{field} is required.", code="required")
    if max_length is not None and len(text) > max_length:
        raise ServiceError(f"{field} is too long ({len(text)} characters; {max_length} at most).")
    return text


def clean_purchase_order(value) -> str:
    """A purchase order id, stripped; refused when longer than Channel accepts."""
    return clean_text(value, "The purchase order id", max_length=PURCHASE_ORDER_MAX)


def clean_domain(value) -> str:
    """A domain name, lower-cased and without its trailing dot; refused unless it looks like one."""
    domain = clean_text(value, "The domain", required=True).lower().rstrip(".")
    if not DOMAIN_RE.match(domain):
        raise ServiceError(f"'{domain}' is not a domain name (like example.com).", code="domain")
    return domain


# --- seats -------------------------------------------------------------------------------


def int64(value: int) -> dict:
    """A Channel int64 Value (int64 travels as a JSON string)."""
    return {"int64Value": str(int(value))}


def as_int(value) -> int | None:
    """The value as an int, or None when it is not one."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def seat_parameter_for_plan(payment_plan: str) -> str:
    """The seat parameter a plan takes: num_units on a commitment plan, max_units otherwise."""
    return "num_units" if payment_plan == PaymentPlan.COMMITMENT else "max_units"


def seat_definition(definitions, name: str) -> dict | None:
    """The parameter definition of that name among an offer's, if any."""
    for definition in definitions or []:
        if isinstance(definition, dict) and definition.get("name") == name:
            return definition
    return None


def seat_parameter_of_offer(definitions) -> str | None:
    """Which seat input an offer takes (from its parameter definitions), if any."""
    for name in SEAT_PARAMETERS:
        if seat_definition(definitions, name) is not None:
            return name
    return None


def offer_definitions(offer: dict) -> list:
    """parameterDefinitions of an upstream Offer, or of a mirrored one's payload."""
    return offer.get("parameterDefinitions") or []


def check_seat_range(seats, definition: dict | None, *, what: str) -> int:
    """A whole number of seats within the offer's minValue..maxValue."""
    count = as_int(seats)
    if count is None or isinstance(seats, bool):
        raise ServiceError(f"The number of seats must be a whole number (got {seats!r}).", code="seats")
    low = as_int(((definition or {}).get("minValue") or {}).get("int64Value"))
    high = as_int(((definition or {}).get("maxValue") or {}).get("int64Value"))
    low = 1 if low is None else low
    if count < low:
        raise ServiceError(f"{what} takes at least {low} seat(s); {count} is too few.", code="seats")
    if high is not None and count > high:
        raise ServiceError(f"{what} takes at most {high} seats; {count} is too many.", code="seats")
    return count
