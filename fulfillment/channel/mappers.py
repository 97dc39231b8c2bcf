"""Cloud Channel JSON -> model fields, one pure function per model (channel-api.md §3).

Like fulfillment/connect/mappers.py: each mapper returns the model's field attnames and values,
*excluding* `id`, `payload`, `payload_hash`, `synced_at` (added by the sync engine) and
`gone_at`/`gone_reason` (reconcile's). They never query the database; a foreign key is the
upstream resource name (or None), whether or not the row exists yet.

Channel specifics handled here:

- int64 values travel as JSON strings (`{"int64Value": "10"}`): seat counts become ints;
- timestamps are RFC 3339 with `Z` and 0, 3, 6 or 9 fractional digits: parsed to aware
  datetimes, truncated to microseconds;
- enum values are stored as they came, including ones Google adds later;
- periods (`{"duration": 1, "periodType": "YEAR"}`) become "1 YEAR".
"""

from __future__ import annotations

from channelhub.sync.coerce import as_dict, as_list, parse_time, text
from channelhub.sync.coerce import as_int as int64
from channelhub.sync.upsert import digest

__all__ = [
    "change_key",
    "customer_of",
    "int64",
    "map_channel_partner_link",
    "map_channel_product",
    "map_customer",
    "map_entitlement",
    "map_entitlement_change",
    "map_offer",
    "map_sku",
    "parameter_value",
    "parse_time",
    "period",
]


# --- primitives ----------------------------------------------------------------------------


def parameter_value(value):
    """A Channel `Value` ({int64Value|stringValue|doubleValue|boolValue|protoValue}) -> Python."""
    value = as_dict(value)
    if "int64Value" in value:
        return int64(value["int64Value"])
    for key in ("stringValue", "doubleValue", "boolValue", "protoValue"):
        if key in value:
            return value[key]
    return None


def _parameters(parameters) -> dict:
    return {
        p.get("name"): parameter_value(p.get("value")) for p in as_list(parameters) if isinstance(p, dict)
    }


def period(value) -> str:
    """A Period -> "1 YEAR" ("" when absent)."""
    value = as_dict(value)
    if not value:
        return ""
    duration = value.get("duration")
    kind = value.get("periodType") or ""
    return f"{duration} {kind}".strip() if duration not in (None, "") else text(kind, 32)


def customer_of(name: str) -> str:
    """`accounts/A/customers/C/entitlements/E` -> `accounts/A/customers/C` ("" if not one)."""
    head, sep, _ = (name or "").partition("/entitlements/")
    return head if sep else ""


def _account_id(name: str) -> str:
    """`accounts/A/...` -> `A`."""
    parts = (name or "").split("/")
    return parts[1] if len(parts) > 1 and parts[0] == "accounts" else ""


def _partner_link(name: str) -> str | None:
    """`accounts/A/channelPartnerLinks/P/customers/C` -> `accounts/A/channelPartnerLinks/P`."""
    head, sep, _ = (name or "").partition("/customers/")
    return head if sep and "/channelPartnerLinks/" in head else None


def _marketing(payload: dict) -> dict:
    return as_dict(payload.get("marketingInfo"))


# --- one mapper per model ------------------------------------------------------------------


def map_channel_product(payload: dict) -> dict:
    """A Channel product: its marketing display name and description."""
    info = _marketing(payload)
    return {"display_name": text(info.get("displayName")), "description": info.get("description") or ""}


def map_sku(payload: dict) -> dict:
    """A SKU: its product (`product.name`, else the head of its own name) and marketing info."""
    info = _marketing(payload)
    name = payload.get("name") or ""
    product = as_dict(payload.get("product")).get("name") or name.partition("/skus/")[0]
    return {
        "product_id": product or None,
        "display_name": text(info.get("displayName")),
        "description": info.get("description") or "",
    }


def map_offer(payload: dict) -> dict:
    """An offer: its SKU and product, display names (the SKU's first), plan, prices, parameters, dates."""
    sku = as_dict(payload.get("sku"))
    product = as_dict(sku.get("product"))
    plan = as_dict(payload.get("plan"))
    return {
        "sku_id": sku.get("name") or None,
        "product_id": product.get("name") or None,
        "display_name": text(_marketing(sku).get("displayName") or _marketing(payload).get("displayName")),
        "product_name": text(_marketing(product).get("displayName")),
        "payment_plan": text(plan.get("paymentPlan"), 32),
        "payment_type": text(plan.get("paymentType"), 32),
        "payment_cycle": text(period(plan.get("paymentCycle")), 32),
        "trial_period": text(period(plan.get("trialPeriod")), 32),
        "parameter_definitions": as_list(payload.get("parameterDefinitions")),
        "prices": as_list(payload.get("priceByResources")),
        "deal_code": text(payload.get("dealCode"), 64),
        "start_time": parse_time(payload.get("startTime")),
        "end_time": parse_time(payload.get("endTime")),
    }


def map_channel_partner_link(payload: dict) -> dict:
    """A channel partner link: the reseller's identity, state, public id, invite link, partner domain."""
    info = as_dict(payload.get("channelPartnerCloudIdentityInfo"))
    return {
        "reseller_cloud_identity_id": text(payload.get("resellerCloudIdentityId"), 64),
        "link_state": text(payload.get("linkState"), 48),
        "public_id": text(payload.get("publicId"), 64),
        "invite_link_uri": text(payload.get("inviteLinkUri"), 500),
        "partner_domain": text(info.get("primaryDomain")),
        "create_time": parse_time(payload.get("createTime")),
        "update_time": parse_time(payload.get("updateTime")),
    }


def map_customer(payload: dict, *, partner_link: str | None = None) -> dict:
    """A customer of our account, or of a partner. Its partner link is `partner_link` (the
    link it was listed under), else the one its name is under
    (`…/channelPartnerLinks/P/customers/C`), else the one its `channelPartnerId` names: a
    link's id is the partner's Cloud Identity ID, so every listing agrees on the link."""
    name = payload.get("name") or ""
    partner_id = payload.get("channelPartnerId")
    account = _account_id(name)
    if not partner_link:
        partner_link = _partner_link(name)
    if not partner_link and partner_id and account:
        partner_link = f"accounts/{account}/channelPartnerLinks/{partner_id}"
    identity = as_dict(payload.get("cloudIdentityInfo"))
    contact = as_dict(payload.get("primaryContactInfo"))
    address = as_dict(payload.get("orgPostalAddress"))
    contact_name = contact.get("displayName") or " ".join(
        p for p in (contact.get("firstName"), contact.get("lastName")) if p
    )
    verified = identity.get("isDomainVerified")
    return {
        "account_id": text(account, 64),
        "partner_link_id": partner_link or None,
        "org_display_name": text(payload.get("orgDisplayName")),
        "domain": text(payload.get("domain")),
        "cloud_identity_id": text(payload.get("cloudIdentityId"), 64),
        "channel_partner_id": text(payload.get("channelPartnerId"), 64),
        "correlation_id": text(payload.get("correlationId")),
        "customer_type": text(identity.get("customerType"), 32),
        # proto3 JSON leaves false out: a Cloud Identity without the flag is not verified
        "is_domain_verified": verified if isinstance(verified, bool) else (False if identity else None),
        "primary_contact_name": text(contact_name),
        "primary_contact_email": text(contact.get("email")),
        "alternate_email": text(payload.get("alternateEmail")),
        "region_code": text(address.get("regionCode"), 8),
        "postal_address": dict(address),
        "language_code": text(payload.get("languageCode"), 16),
        "create_time": parse_time(payload.get("createTime")),
        "update_time": parse_time(payload.get("updateTime")),
    }


def _entitlement_plan(payload: dict, offer: dict) -> tuple[str, str]:
    """(payment plan, payment cycle) of an entitlement.

    The offer's plan is what the entitlement is on; without the offer, a trial says TRIAL,
    commitment settings say COMMITMENT (renewalSettings carry the plan it renews into).
    """
    plan = as_dict(offer.get("plan"))
    commitment = as_dict(payload.get("commitmentSettings"))
    renewal = as_dict(commitment.get("renewalSettings"))
    if as_dict(payload.get("trialSettings")).get("trial"):
        trial_plan = "TRIAL"
    else:
        trial_plan = ""
    payment_plan = plan.get("paymentPlan") or trial_plan or renewal.get("paymentPlan") or ""
    if not payment_plan and commitment:
        payment_plan = "COMMITMENT"
    cycle = period(plan.get("paymentCycle")) or period(renewal.get("paymentCycle"))
    return text(payment_plan, 32), text(cycle, 32)


def map_entitlement(payload: dict, *, customer_name: str = "", offer: dict | None = None) -> dict:
    """An entitlement. `customer_name` is its customer's orgDisplayName and `offer` its offer's
    payload when the caller has them (the entitlement carries neither)."""
    offer = as_dict(offer)
    name = payload.get("name") or ""
    service = as_dict(payload.get("provisionedService"))
    offer_sku = as_dict(offer.get("sku"))
    if service.get("productId") and service.get("skuId"):
        product_id = f"products/{service['productId']}"
        sku_id = f"{product_id}/skus/{service['skuId']}"
    else:
        sku_id = offer_sku.get("name") or ""
        product_id = as_dict(offer_sku.get("product")).get("name") or sku_id.partition("/skus/")[0]
    commitment = as_dict(payload.get("commitmentSettings"))
    renewal = as_dict(commitment.get("renewalSettings"))
    trial = as_dict(payload.get("trialSettings"))
    values = _parameters(payload.get("parameters"))
    payment_plan, payment_cycle = _entitlement_plan(payload, offer)
    enable_renewal = renewal.get("enableRenewal")
    return {
        "short_id": text(name.rsplit("/", 1)[-1], 64),  # what the list shows and staff search by
        "customer_id": customer_of(name) or None,
        "customer_name": text(customer_name),
        "offer_id": payload.get("offer") or None,
        "sku_id": text(sku_id),
        "product_id": text(product_id),
        "provisioning_state": text(payload.get("provisioningState"), 48),
        "suspension_reasons": [r for r in as_list(payload.get("suspensionReasons")) if isinstance(r, str)],
        "payment_plan": payment_plan,
        "payment_cycle": payment_cycle,
        "num_units": int64(values.get("num_units")),
        "max_units": int64(values.get("max_units")),
        "assigned_units": int64(values.get("assigned_units")),
        "parameters": as_list(payload.get("parameters")),
        "commitment_start": parse_time(commitment.get("startTime")),
        "commitment_end": parse_time(commitment.get("endTime")),
        "renewal_enabled": enable_renewal
        if isinstance(enable_renewal, bool)
        else (False if renewal else None),
        "renewal_settings": dict(renewal),
        "trial": bool(trial.get("trial")),
        "trial_end": parse_time(trial.get("endTime")),
        "provisioning_id": text(service.get("provisioningId"), 64),
        "purchase_order_id": text(payload.get("purchaseOrderId"), 80),
        "billing_account": text(payload.get("billingAccount")),
        "base_entitlement": text(as_dict(payload.get("associationInfo")).get("baseEntitlement")),
        "create_time": parse_time(payload.get("createTime")),
        "update_time": parse_time(payload.get("updateTime")),
    }


def change_key(payload: dict) -> str:
    """The key of an EntitlementChange, which has no name upstream: a digest of what identifies
    it, so re-reading the same change (overlap windows, reconcile) lands on the same row."""
    parts = (
        payload.get("entitlement") or "",
        payload.get("createTime") or "",
        payload.get("changeType") or "",
        payload.get("operator") or "",
    )
    return "ec-" + digest("|".join(str(p) for p in parts))


def map_entitlement_change(payload: dict) -> dict:
    """One change of an entitlement's history: its type, who made it, why, the offer and when."""
    entitlement = payload.get("entitlement") or ""
    reason = (
        payload.get("cancellationReason")
        or payload.get("suspensionReason")
        or payload.get("activationReason")
        or ""
    )
    return {
        "entitlement_id": entitlement or None,
        "customer_id": customer_of(entitlement) or None,
        "change_type": text(payload.get("changeType"), 48),
        "operator_type": text(payload.get("operatorType"), 48),
        "operator": text(payload.get("operator")),
        "reason": text(reason, 64),
        "other_change_reason": payload.get("otherChangeReason") or "",
        "offer_id": text(payload.get("offer")),
        "create_time": parse_time(payload.get("createTime")),
    }
