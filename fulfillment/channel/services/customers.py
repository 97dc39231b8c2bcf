"""Staff actions on Cloud Channel customers: create, update, provision the Cloud Identity,
delete. Customers have no requestId upstream: create and update answer synchronously, so a
retry first looks the customer up (fulfillment.channel.executors)."""

from __future__ import annotations

import copy

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from channelhub.actions.targets import ActionTarget
from channelhub.models import UpstreamAction
from channelhub.services import ServiceError, require_perm

from .. import selectors
from ..choices import CustomerType
from ..models import Customer
from .common import (
    channel_account,
    clean_domain,
    clean_text,
    customer_snapshot,
)

CUSTOMERS = ActionTarget(Customer, snapshot=customer_snapshot)

# Form field -> (top-level Customer field it lives in, key inside it or None).
ADDRESS_FIELDS = {
    "region_code": "regionCode",
    "postal_code": "postalCode",
    "administrative_area": "administrativeArea",
    "locality": "locality",
    "address_lines": "addressLines",
}
CONTACT_FIELDS = {
    "contact_first_name": "firstName",
    "contact_last_name": "lastName",
    "contact_email": "email",
    "contact_phone": "phone",
    "contact_title": "title",
}
TOP_FIELDS = {
    "org_display_name": "orgDisplayName",
    "alternate_email": "alternateEmail",
    "language_code": "languageCode",
    "correlation_id": "correlationId",
}


def _email(value, field: str, *, required: bool = False) -> str:
    text = clean_text(value, field, required=required, max_length=254)
    if text:
        try:
            validate_email(text)
        except ValidationError:
            raise ServiceError(f"{field} '{text}' is not an email address.", code="email") from None
    return text


def _lines(value) -> list[str]:
    if isinstance(value, str):
        value = value.splitlines()
    return [line.strip() for line in value or [] if isinstance(line, str) and line.strip()]


def _customer_body(values: dict, *, base: dict | None = None) -> dict:
    """A bare Customer from form values (over `base`, the current upstream customer)."""
    body = copy.deepcopy(base or {})
    for field, key in TOP_FIELDS.items():
        if field in values:
            body[key] = clean_text(values[field], key, max_length=255)
    if any(f in values for f in ADDRESS_FIELDS):
        address = dict(body.get("orgPostalAddress") or {})
        for field, key in ADDRESS_FIELDS.items():
            if field in values:
                address[key] = (
                    _lines(values[field]) if field == "address_lines" else clean_text(values[field], key)
                )
        address["regionCode"] = (address.get("regionCode") or "").upper()
        body["orgPostalAddress"] = {k: v for k, v in address.items() if v not in ("", [], None)}
    if any(f in values for f in CONTACT_FIELDS):
        contact = dict(body.get("primaryContactInfo") or {})
        contact.pop("displayName", None)  # output only
        for field, key in CONTACT_FIELDS.items():
            if field in values:
                contact[key] = clean_text(values[field], key, max_length=255)
        body["primaryContactInfo"] = {k: v for k, v in contact.items() if v}
    for key in ("alternateEmail", "languageCode", "correlationId"):
        if key in body and not body[key]:
            body.pop(key)
    return body


def _check_customer_body(body: dict, domain: str) -> None:
    if not body.get("orgDisplayName"):
        raise ServiceError("The organisation name is required.", code="required")
    address = body.get("orgPostalAddress") or {}
    region = address.get("regionCode", "")
    if len(region) != 2 or not region.isalpha():
        raise ServiceError(
            "The address needs a two-letter region (country) code, like US or DE.", code="address"
        )
    if not address.get("postalCode"):
        raise ServiceError("The address needs a postal code.", code="address")
    contact = body.get("primaryContactInfo") or {}
    email = _email(contact.get("email"), "The primary contact's email")
    # "domain must match the domain of the primary contact email" (channel-api.md §3)
    if email and email.rsplit("@", 1)[-1].lower() != domain:
        raise ServiceError(f"The primary contact's email {email} is not in the customer's domain {domain}.")
    _email(body.get("alternateEmail"), "The alternate email")


def check_domain_free(domain: str) -> None:
    """Refuse a domain that is already a customer (mirror) or has a Cloud Identity (upstream)."""
    known = selectors.customer_with_domain(domain=domain)
    if known is not None:
        raise ServiceError(f"{domain} is already our customer {known} ({known.pk}).", code="exists")
    accounts = selectors.cloud_identity_accounts(domain=domain)
    for account in accounts or []:
        if account.get("existing"):
            if account.get("owned"):
                raise ServiceError(
                    f"{domain} already has a Cloud Identity account that is our customer "
                    f"{account.get('customerName') or ''}; sync customers to see it.".replace("  ", " "),
                    code="exists",
                )
            raise ServiceError(
                f"{domain} already has a Cloud Identity account (not ours): the customer has to be "
                "transferred to us (imported), not created.",
                code="exists",
            )


def customer_create(*, values: dict, actor) -> UpstreamAction:
    """Create a customer upstream (a bare Customer), after checking its domain is free."""
    require_perm(actor, CUSTOMERS.spec("create").perm, "create customers")
    domain = clean_domain(values.get("domain"))
    body = _customer_body(values)
    body["domain"] = domain
    _check_customer_body(body, domain)
    check_domain_free(domain)  # reads upstream: outside the transaction
    account = channel_account()
    with transaction.atomic():
        return CUSTOMERS.record(
            None,
            actor,
            "create",
            {"customer": body},
            message=f"new customer {body['orgDisplayName']} ({domain})",
            # No name before it exists: one open creation per domain.
            target_id=f"{account}/customers?domain={domain}",
        )


def _check_deletable(fresh) -> None:
    """No live entitlements (Cloud Channel refuses to delete a customer with entitlements)."""
    live = selectors.live_entitlements(customer_id=fresh.pk).count()
    if live:
        raise ServiceError(
            f"Customer {fresh} still has {live} entitlement(s); cancel or transfer them first "
            "(Cloud Channel refuses to delete a customer with entitlements).",
            code="entitlements",
        )


@transaction.atomic
def customer_update(*, customer, values: dict, actor) -> UpstreamAction:
    """Change a customer's details: only the fields that differ are sent (updateMask)."""
    customer = CUSTOMERS.prepare(customer, actor, "update", "update customers")
    current = customer.payload or {}
    wanted = _customer_body(values, base=current)
    _check_customer_body({**wanted, "orgDisplayName": wanted.get("orgDisplayName")}, customer.domain.lower())
    mask = [
        key
        for key in (
            "orgDisplayName",
            "orgPostalAddress",
            "primaryContactInfo",
            "alternateEmail",
            "languageCode",
            "correlationId",
        )
        if _normal(wanted.get(key)) != _normal(current.get(key))
    ]
    if not mask:
        raise ServiceError(f"Nothing changed on customer {customer}.")
    body = {key: wanted.get(key, "") for key in mask}
    return CUSTOMERS.record(
        customer,
        actor,
        "update",
        {"customer": body, "updateMask": ",".join(mask)},
        message=f"changed: {', '.join(mask)}",
    )


def _normal(value):
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items() if k != "displayName" and v not in ("", [], None)}
    return value or None


def customer_provision_cloud_identity(
    *, customer, admin_email: str, given_name: str, family_name: str, alternate_email: str = "",
    language_code: str = "en-US", customer_type: str = CustomerType.DOMAIN, actor,
) -> UpstreamAction:  # fmt: skip
    """Create the customer's Cloud Identity (its Google account) with a first admin user."""
    customer = CUSTOMERS.prepare(customer, actor, "provision_cloud_identity", "provision Cloud Identities")
    domain = (customer.domain or "").lower()
    email = _email(admin_email, "The admin user's email", required=True)
    if customer_type == CustomerType.DOMAIN and email.rsplit("@", 1)[-1].lower() != domain:
        raise ServiceError(f"The admin user's email must be in the customer's domain {domain}.", code="email")
    if customer_type not in (CustomerType.DOMAIN, CustomerType.TEAM):
        raise ServiceError("The customer type is DOMAIN or TEAM.")
    user = {
        "email": email,
        "givenName": clean_text(given_name, "The admin's given name", required=True, max_length=60),
        "familyName": clean_text(family_name, "The admin's family name", required=True, max_length=60),
    }
    info = {
        "customerType": customer_type,
        "languageCode": clean_text(language_code, "The language") or "en-US",
    }
    alternate = _email(alternate_email or customer.alternate_email, "The alternate email")
    if alternate:
        if alternate.rsplit("@", 1)[-1].lower() == domain:
            raise ServiceError("The alternate email must be outside the customer's domain.", code="email")
        info["alternateEmail"] = alternate
    # The codelab's order: a domain with a Cloud Identity already cannot get another one.
    accounts = selectors.cloud_identity_accounts(domain=domain)
    if any(a.get("existing") for a in accounts or []):
        raise ServiceError(
            f"{domain} already has a Cloud Identity account; sync customers (it may be this one's) "
            "or transfer the customer instead.",
            code="exists",
        )
    with transaction.atomic():
        customer = CUSTOMERS.prepare(
            customer, actor, "provision_cloud_identity", "provision Cloud Identities"
        )
        return CUSTOMERS.record(
            customer,
            actor,
            "provision_cloud_identity",
            {"cloudIdentityInfo": info, "user": user},
            message=f"admin {email}",
        )


@transaction.atomic
def customer_delete(*, customer, actor) -> UpstreamAction:
    """Delete a customer upstream (supervisors); refused while it has live entitlements."""
    customer = CUSTOMERS.prepare(customer, actor, "delete", "delete customers", check=_check_deletable)
    return CUSTOMERS.record(customer, actor, "delete", {}, check=_check_deletable)
