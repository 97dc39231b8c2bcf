"""The state-changing entitlement and customer actions and their rules (channel-api.md §9.5).

Every action is `(session, target, payload, operator, commit) -> response resource`: with
commit=False it only checks (the synchronous HTTP error of the POST), with commit=True it checks
again against the state at completion time and applies the change, appending the
EntitlementChange (operatorType RESELLER, operator = the token's subject).

Rules and the errors they raise (canonical status / ErrorInfo reason):
- suspend: needs ACTIVE -> FAILED_PRECONDITION / NOT_ACTIVE.
- activate: needs SUSPENDED -> NOT_SUSPENDED; RESELLER_INITIATED among the reasons and not
  PENDING_TOS_ACCEPTANCE -> SUSPENSION_NOT_RESELLER_INITIATED (both FAILED_PRECONDITION).
- changeRenewalSettings: needs a COMMITMENT plan -> FAILED_PRECONDITION / NOT_COMMITMENT_PLAN.
- startPaidService: needs a trial -> FAILED_PRECONDITION / NOT_IN_TRIAL.
- changeParameters: only existing, editable parameters, within the offer's parameterDefinitions
  (min/max), no seat decrease on a COMMITMENT plan -> INVALID_ARGUMENT.
- changeOffer: only to an offer purchasable for the customer (same product, allowed region, not
  a trial, a SKU the customer does not own elsewhere) -> INVALID_ARGUMENT / OFFER_NOT_PURCHASABLE.
- create: the customer needs a Cloud Identity (FAILED_PRECONDITION / CONDITION_NOT_MET); a SKU
  it already has -> ALREADY_EXISTS; another SKU of the same product -> INVALID_ARGUMENT.
- cancel: removes the entitlement (later get -> 404), records CANCELLED / SERVICE_TERMINATED.
- provisionCloudIdentity: a customer that already has one -> ALREADY_EXISTS.
"""

from __future__ import annotations

import random
import secrets
from datetime import timedelta

from ..store import Session
from . import collections as c
from . import data, parameters, shapes
from .wire import GoogleError, invalid, not_found, now, parse_time, precondition, rfc3339

RESELLER = "RESELLER"


# ------------------------------------------------------------------ lookups


def entitlement(session: Session, name: str) -> dict:
    """An entitlement by resource name; 404 NOT_FOUND if there is none."""
    doc = data.get(session, c.ENTITLEMENTS, name)
    if doc is None:
        raise not_found("Entitlement", name)
    return doc


def customer(session: Session, name: str) -> dict:
    """A customer by resource name; 404 NOT_FOUND if there is none."""
    doc = data.get(session, c.CUSTOMERS, name)
    if doc is None:
        raise not_found("Customer", name)
    return doc


def offer(session: Session, name: str) -> dict:
    """An offer by resource name; 404 NOT_FOUND if there is none."""
    doc = data.get(session, c.OFFERS, name)
    if doc is None:
        raise not_found("Offer", name)
    return doc


def plan_of(offer_doc: dict) -> str:
    """The offer's payment plan (COMMITMENT, FLEXIBLE, TRIAL, FREE)."""
    return offer_doc["plan"]["paymentPlan"]


def product_of(offer_doc: dict) -> str:
    """The resource name of the offer's product."""
    return offer_doc["sku"]["product"]["name"]


def owned_skus(session: Session, customer_name: str, *, besides: str = "") -> dict[str, str]:
    """SKU name -> entitlement name for the customer's entitlements (minus `besides`)."""
    rows = session.conn.execute(
        f"SELECT sku, id FROM {c.ENTITLEMENTS.name} WHERE customer = ? AND id != ?", (customer_name, besides)
    )
    return {sku: ident for sku, ident in rows}


def region_allowed(offer_doc: dict, customer_doc: dict) -> bool:
    """True if the offer has no region constraint or allows the customer's region."""
    regions = offer_doc.get("constraints", {}).get("customerConstraints", {}).get("allowedRegions") or []
    return not regions or customer_doc.get("orgPostalAddress", {}).get("regionCode") in regions


def offers_for_create(session: Session, customer_doc: dict, sku: str) -> list[dict]:
    """The offers of `sku` a new entitlement of this customer may take (allowed in its region)."""
    return [o for o in data.docs(session, c.OFFERS, "sku = ?", (sku,)) if region_allowed(o, customer_doc)]


def offers_for_change(
    session: Session, customer_doc: dict, ent: dict, new_sku: str | None = None
) -> list[dict]:
    """Offers an entitlement may change to: same product, no trial, region allowed, not the
    current offer, and not a SKU the customer holds in another entitlement."""
    current = offer(session, ent["offer"])
    owned = owned_skus(session, customer_doc["name"], besides=ent["name"])
    where, params = "product = ?", (product_of(current),)
    if new_sku:
        where, params = "sku = ?", (new_sku,)
    return [
        o
        for o in data.docs(session, c.OFFERS, where, params)
        if o["name"] != ent["offer"]
        and product_of(o) == product_of(current)
        and plan_of(o) != "TRIAL"
        and o["sku"]["name"] not in owned
        and region_allowed(o, customer_doc)
    ]


# ------------------------------------------------------------------ helpers


def _record(
    session: Session, ent: dict, change_type: str, when: str, operator: str, reason=None, **extra
) -> None:
    change = shapes.change_doc(
        ent, change_type, when, operator=operator, operator_type=RESELLER, reason=reason
    )
    change.update(extra)
    data.add_change(session, change)


def _save(session: Session, ent: dict, when: str) -> dict:
    ent["updateTime"] = when
    data.put_entitlement(session, ent)
    return ent


def _later(when: str, days: int) -> str:
    return rfc3339(parse_time(when) + timedelta(days=days))


# ------------------------------------------------------------------ entitlement actions


def suspend(session: Session, target: str, payload: dict, operator: str, commit: bool) -> dict:
    """Suspend an ACTIVE entitlement (reason RESELLER_INITIATED)."""
    ent = entitlement(session, target)
    if ent["provisioningState"] != "ACTIVE":
        raise precondition("NOT_ACTIVE", f"Entitlement {target} is not active.")
    if not commit:
        return ent
    when = now()
    ent["provisioningState"] = "SUSPENDED"
    ent["suspensionReasons"] = ["RESELLER_INITIATED"]
    _record(session, ent, "SUSPENDED", when, operator, ("suspensionReason", "RESELLER_INITIATED"))
    return _save(session, ent, when)


def activate(session: Session, target: str, payload: dict, operator: str, commit: bool) -> dict:
    """Lift a reseller-initiated suspension; ACTIVE again once no other reason remains."""
    ent = entitlement(session, target)
    reasons = ent.get("suspensionReasons", [])
    if ent["provisioningState"] != "SUSPENDED":
        raise precondition("NOT_SUSPENDED", f"Entitlement {target} is not suspended.")
    if "RESELLER_INITIATED" not in reasons or "PENDING_TOS_ACCEPTANCE" in reasons:
        raise precondition(
            "SUSPENSION_NOT_RESELLER_INITIATED",
            f"Entitlement {target} is suspended for {', '.join(reasons) or 'an unknown reason'}.",
        )
    if not commit:
        return ent
    when = now()
    remaining = [r for r in reasons if r != "RESELLER_INITIATED"]
    if remaining:
        ent["suspensionReasons"] = remaining
    else:
        ent.pop("suspensionReasons", None)
        ent["provisioningState"] = "ACTIVE"
    _record(session, ent, "ACTIVATED", when, operator, ("activationReason", "RESELLER_REVOKED_SUSPENSION"))
    return _save(session, ent, when)


def cancel(session: Session, target: str, payload: dict, operator: str, commit: bool) -> dict:
    """Remove the entitlement, recording CANCELLED / SERVICE_TERMINATED."""
    ent = entitlement(session, target)
    if commit:
        _record(session, ent, "CANCELLED", now(), operator, ("cancellationReason", "SERVICE_TERMINATED"))
        data.delete(session, c.ENTITLEMENTS, target)
    return {}


def change_renewal_settings(
    session: Session, target: str, payload: dict, operator: str, commit: bool
) -> dict:
    """Merge new renewal settings into a COMMITMENT entitlement's commitment settings."""
    ent = entitlement(session, target)
    if plan_of(offer(session, ent["offer"])) != "COMMITMENT":
        raise precondition("NOT_COMMITMENT_PLAN", f"Entitlement {target} is not on a commitment plan.")
    settings = payload.get("renewalSettings")
    if not isinstance(settings, dict) or not settings:
        raise invalid("renewal_settings is required.")
    if settings.get("paymentPlan", "COMMITMENT") not in ("COMMITMENT", "FLEXIBLE"):
        raise invalid("renewal_settings.payment_plan must be COMMITMENT or FLEXIBLE.", "INVALID_VALUE")
    if not commit:
        return ent
    when = now()
    commitment = ent.setdefault("commitmentSettings", {})
    commitment["renewalSettings"] = {**commitment.get("renewalSettings", {}), **settings}
    _record(session, ent, "RENEWAL_SETTING_CHANGED", when, operator)
    return _save(session, ent, when)


def start_paid_service(session: Session, target: str, payload: dict, operator: str, commit: bool) -> dict:
    """End a trial: a TRIAL-plan entitlement moves to its SKU's FLEXIBLE offer; a TRIAL_ENDED suspension is
    lifted."""
    ent = entitlement(session, target)
    if not ent.get("trialSettings", {}).get("trial"):
        raise precondition("NOT_IN_TRIAL", f"Entitlement {target} is not in trial.")
    current = offer(session, ent["offer"])
    paid = None
    if plan_of(current) == "TRIAL":  # a trial offer converts to the SKU's flexible offer
        paid = next(
            (
                o
                for o in data.docs(session, c.OFFERS, "sku = ?", (current["sku"]["name"],))
                if plan_of(o) == "FLEXIBLE"
            ),
            None,
        )
        if paid is None:
            raise precondition("CONDITION_NOT_MET", f"No paid offer for {current['sku']['name']}.")
    if not commit:
        return ent
    when = now()
    if paid is not None:
        ent["offer"] = paid["name"]
        ent["parameters"] = shapes.seat_parameters(paid, parameters.seats(ent), parameters.assigned(ent))
    ent["trialSettings"] = {"trial": False, "endTime": when}
    remaining = [r for r in ent.get("suspensionReasons", []) if r != "TRIAL_ENDED"]
    if remaining:
        ent["suspensionReasons"] = remaining
    else:
        ent.pop("suspensionReasons", None)
        ent["provisioningState"] = "ACTIVE"
    _record(session, ent, "PAID_SUBSCRIPTION_STARTED", when, operator)
    return _save(session, ent, when)


def change_parameters(session: Session, target: str, payload: dict, operator: str, commit: bool) -> dict:
    """Change editable parameters within the offer's definitions (no seat decrease on COMMITMENT), recorded as
    the change type that fits."""
    ent = entitlement(session, target)
    params = payload.get("parameters")
    if not isinstance(params, list) or not params:
        raise invalid("parameters is required.")
    current_offer = offer(session, ent["offer"])
    definitions = {d["name"]: d for d in current_offer.get("parameterDefinitions", [])}
    existing = {p["name"]: p for p in ent.get("parameters", [])}
    new_values = {}
    for param in params:
        name = param.get("name") if isinstance(param, dict) else None
        if name not in existing:
            raise invalid(f"Entitlement {target} has no parameter {name!r}.", "INVALID_VALUE")
        if not existing[name].get("editable"):
            raise invalid(f"Parameter {name} is not editable.", "PARAMETER_NOT_EDITABLE")
        value = parameters.checked_value(definitions.get(name), param)
        if name == "num_units" and plan_of(current_offer) == "COMMITMENT" and value < parameters.seats(ent):
            raise invalid(
                f"num_units cannot decrease on a commitment plan ({parameters.seats(ent)} -> {value}).",
                "INVALID_VALUE",
            )
        new_values[name] = shapes.int64(value) if isinstance(value, int) else {"stringValue": value}
    purchase_order = parameters.purchase_order(payload)
    if not commit:
        return ent
    when = now()
    for name, value in new_values.items():
        existing[name]["value"] = value
    if purchase_order is not None:
        ent["purchaseOrderId"] = purchase_order
    if "num_units" in new_values:
        _record(session, ent, "COMMITMENT_CHANGED", when, operator)
    elif "max_units" in new_values:
        _record(session, ent, "LICENSE_CAP_CHANGED", when, operator)
    else:
        _record(
            session,
            ent,
            "CHANGE_TYPE_UNSPECIFIED",
            when,
            operator,
            ("otherChangeReason", "Parameters changed"),
        )
    return _save(session, ent, when)


def change_offer(session: Session, target: str, payload: dict, operator: str, commit: bool) -> dict:
    """Move the entitlement to another purchasable offer (offers_for_change), keeping its seats unless new
    ones are given."""
    ent = entitlement(session, target)
    new_name = payload.get("offer")
    if not new_name:
        raise invalid("offer is required.")
    new_offer = offer(session, new_name)
    cust = customer(session, data.customer_of(target))
    if new_name not in {o["name"] for o in offers_for_change(session, cust, ent)}:
        raise invalid(
            f"Offer {new_name} is not purchasable for entitlement {target}.", "OFFER_NOT_PURCHASABLE"
        )
    given = (
        parameters.checked(new_offer, payload.get("parameters") or []) if payload.get("parameters") else {}
    )
    purchase_order = parameters.purchase_order(payload)
    if not commit:
        return ent
    when = now()
    old_offer = offer(session, ent["offer"])
    seats = int(next((v["int64Value"] for v in given.values() if "int64Value" in v), parameters.seats(ent)))
    ent["offer"] = new_name
    ent["parameters"] = shapes.seat_parameters(new_offer, seats, min(parameters.assigned(ent), seats))
    ent["provisionedService"] = {
        **ent.get("provisionedService", {}),
        "skuId": new_offer["sku"]["name"].rsplit("/", 1)[1],
    }
    if plan_of(new_offer) == "COMMITMENT" and plan_of(old_offer) != "COMMITMENT":
        ent["commitmentSettings"] = _commitment(when, {})
    elif plan_of(new_offer) != "COMMITMENT":
        ent.pop("commitmentSettings", None)
    if purchase_order is not None:
        ent["purchaseOrderId"] = purchase_order
    change_type = (
        "SKU_CHANGED" if new_offer["sku"]["name"] != old_offer["sku"]["name"] else "PRICE_PLAN_SWITCHED"
    )
    _record(session, ent, change_type, when, operator)
    return _save(session, ent, when)


def _commitment(when: str, requested: dict) -> dict:
    renewal = {
        "enableRenewal": True,
        "resizeUnitCount": False,
        "paymentPlan": "COMMITMENT",
        "paymentCycle": {"duration": 1, "periodType": "YEAR"},
    }
    renewal.update((requested or {}).get("renewalSettings") or {})
    return {"startTime": when, "endTime": _later(when, 365), "renewalSettings": renewal}


def create_entitlement(session: Session, target: str, payload: dict, operator: str, commit: bool) -> dict:
    """`target` is the customer; `payload` the Entitlement of the CreateEntitlementRequest."""
    cust = customer(session, target)
    if not isinstance(payload, dict) or not payload.get("offer"):
        raise invalid("entitlement.offer is required.")
    new_offer = offer(session, payload["offer"])
    if not cust.get("cloudIdentityId"):
        raise precondition(
            "CONDITION_NOT_MET", f"Customer {target} has no Cloud Identity; provision it first."
        )
    if not region_allowed(new_offer, cust):
        raise invalid(
            f"Offer {new_offer['name']} is not available in the customer's region.", "INVALID_VALUE"
        )
    owned = owned_skus(session, target)
    sku = new_offer["sku"]["name"]
    if sku in owned:
        raise GoogleError(
            "ALREADY_EXISTS", f"The SKU {sku} was already purchased for the customer.", "ALREADY_EXISTS"
        )
    family = [s for s in owned if s.startswith(product_of(new_offer) + "/")]
    if family:
        raise invalid(
            f"There is already a customer entitlement for a SKU from the same product family ({family[0]})."
        )
    given = parameters.checked(new_offer, payload.get("parameters") or [])
    purchase_order = parameters.purchase_order(payload)
    if not commit:
        return {}
    when = now()
    seats = int(next((v["int64Value"] for v in given.values() if "int64Value" in v), 1))
    ent = {
        "name": f"{target}/entitlements/{secrets.token_hex(5)}",
        "createTime": when,
        "offer": new_offer["name"],
        "provisioningState": "ACTIVE",
        "provisionedService": shapes.provisioned_service(_random(), new_offer),
        "parameters": shapes.seat_parameters(new_offer, seats, 0),
    }
    if "display_name" in given:
        ent["parameters"] = [{"name": "display_name", "value": given["display_name"], "editable": True}]
    if plan_of(new_offer) == "COMMITMENT":
        ent["commitmentSettings"] = _commitment(when, payload.get("commitmentSettings") or {})
    if plan_of(new_offer) == "TRIAL":
        ent["trialSettings"] = {"trial": True, "endTime": _later(when, shapes.TRIAL_DAYS)}
    if purchase_order:
        ent["purchaseOrderId"] = purchase_order
    _record(session, ent, "CREATED", when, operator)
    return _save(session, ent, when)


def _random() -> random.Random:
    """Live ids need no reproducibility (only the seed does)."""
    return random.Random(secrets.randbits(64))


# ------------------------------------------------------------------ customer actions


def provision_cloud_identity(
    session: Session, target: str, payload: dict, operator: str, commit: bool
) -> dict:
    """Give a customer a Cloud Identity (unverified), unless it has one; `validateOnly` only checks."""
    cust = customer(session, target)
    if cust.get("cloudIdentityId"):
        raise GoogleError(
            "ALREADY_EXISTS", f"Customer {target} already has a Cloud Identity.", "ALREADY_EXISTS"
        )
    email = str((payload.get("user") or {}).get("email") or "")
    if email and not email.lower().endswith("@" + cust["domain"].lower()):
        raise invalid(
            f"The admin user's email must be in the customer's domain {cust['domain']}.", "INVALID_VALUE"
        )
    if not commit or payload.get("validateOnly"):
        return cust
    when = now()
    requested = payload.get("cloudIdentityInfo") or {}
    info = shapes.cloud_identity_info(cust, requested.get("customerType") or "DOMAIN", verified=False)
    for key in ("alternateEmail", "phoneNumber", "languageCode", "eduData"):
        if key in requested:
            info[key] = requested[key]
    cust["cloudIdentityId"] = "C0" + secrets.token_hex(4)[:7]
    cust["cloudIdentityInfo"] = info
    cust["updateTime"] = when
    data.put(session, c.CUSTOMERS, cust["name"], cust)
    return cust


ACTIONS = {
    "SUSPEND_ENTITLEMENT": suspend,
    "ACTIVATE_ENTITLEMENT": activate,
    "CANCEL_ENTITLEMENT": cancel,
    "CHANGE_RENEWAL_SETTINGS": change_renewal_settings,
    "START_PAID_SERVICE": start_paid_service,
    "CHANGE_PARAMETERS": change_parameters,
    "CHANGE_OFFER": change_offer,
    "CREATE_ENTITLEMENT": create_entitlement,
    "PROVISION_CLOUD_IDENTITY": provision_cloud_identity,
}
