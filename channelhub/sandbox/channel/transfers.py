"""Transfers of entitlements between resellers (channel-api.md §2; docs/sandbox.md, "Cloud Channel
transfers"): the world of customers held elsewhere (`ch_foreign`), the authorizations their auth
tokens give (`ch_transfer_auth`), which SKUs may move, and the two LRO actions.

Eligibility of an entitlement held elsewhere, first match wins: suspended -> SKU_SUSPENDED; a
product not in our catalog (no ch_skus row) -> CHANNEL_PARTNER_NOT_AUTHORIZED_FOR_SKU; a product
in the `tos_pending_products` knob -> PENDING_TOS_ACCEPTANCE; the FREE plan -> SKU_NOT_ELIGIBLE;
else eligible.

Authorization: a Cloud Identity one of our customers has is always authorized; any other is
authorized once our account has presented its valid authToken (recorded in ch_transfer_auth),
after which calls may omit the token. A token that is presented is always checked.

Actions (the `(session, target, payload, operator, commit)` shape of actions.py):
- TRANSFER_ENTITLEMENTS (target = our customer): checks the customer, its foreign record, the
  token, and each requested entitlement (offer, SKU held elsewhere, not owned here, eligible,
  parameters, COMMITMENT seats not below those held, region); at completion only, an unverified
  domain fails it (FAILED_PRECONDITION / CONDITION_NOT_MET). Applying creates the entitlements
  (CREATED, operatorType RESELLER) and takes the SKUs off the foreign record.
- TRANSFER_ENTITLEMENTS_TO_GOOGLE (target = our customer): removes the entitlements (CANCELLED,
  RELATIONSHIP_ENDED when none is left, else PARTIAL_TRANSFER) and puts them on the Cloud
  Identity's foreign record, owner "google", so they can be transferred back.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from functools import partial

from ..store import Session
from . import actions, data, operations, parameters, shapes
from . import collections as c
from .knobs import KnobBox
from .wire import GoogleError, invalid, now, precondition

NOT_AUTHORIZED_MESSAGE = "The customer doesn't belong to the reseller and has no auth token."
BAD_TOKEN_MESSAGE = "The supplied auth token is invalid."
UNVERIFIED_MESSAGE = "The SKU requires domain verification to transfer, but the domain is not verified."
OTHER_RESELLER = "Other Reseller Ltd"

DESCRIPTIONS = {
    "SKU_SUSPENDED": (
        "The SKU is suspended at the customer's current reseller: ask the customer or that reseller "
        "to reactivate it, then transfer it."
    ),
    "CHANNEL_PARTNER_NOT_AUTHORIZED_FOR_SKU": (
        "Your account is not authorized to resell this product: ask your Google partner manager for "
        "authorization, or leave this SKU with its current reseller."
    ),
    "PENDING_TOS_ACCEPTANCE": (
        "Your account has not accepted this product's terms of service: accept them in the Partner "
        "Sales Console, then transfer the SKU."
    ),
    "SKU_NOT_ELIGIBLE": (
        "Free editions are not transferred: the customer keeps this SKU where it is; transfer its "
        "paid SKUs only."
    ),
}

# Products some customers hold elsewhere that our account may not resell (not in shapes.CATALOG),
# in the catalog's shape so their Sku docs look like ours.
OTHER_PRODUCTS: tuple[shapes.ProductSpec, ...] = (
    shapes.ProductSpec(
        "Google-Meet-Hardware",
        "Google Meet hardware",
        "Licenses for Google Meet room hardware.",
        (shapes.SkuSpec("1010230001", "Google Meet hardware license", "25.00", ("COMMITMENT",)),),
    ),
)
OTHER_SKUS = {
    f"products/{spec.id}/skus/{sku.id}": shapes.sku_doc(spec, sku)
    for spec in OTHER_PRODUCTS
    for sku in spec.skus
}
SEAT_PARAMETER = {"COMMITMENT": "num_units", "FLEXIBLE": "max_units"}


# ------------------------------------------------------------------ the world elsewhere


def foreign(session: Session, cloud_identity_id: str | None) -> dict | None:
    """The foreign record of a Cloud Identity, or None."""
    return data.get(session, c.FOREIGN, cloud_identity_id) if cloud_identity_id else None


def foreign_by_domain(session: Session, domain: str) -> dict | None:
    """The foreign record of a domain (stored lower-case), or None."""
    found = data.docs(session, c.FOREIGN, "domain = ?", (domain.strip().lower(),))
    return found[0] if found else None


def put_foreign(session: Session, doc: dict) -> None:
    """Store a foreign record, keeping its place in the order records appeared in (a new one goes last)."""
    seq = session.scalar(f"SELECT seq FROM {c.FOREIGN.name} WHERE id = ?", (doc["cloudIdentityId"],))
    if seq is None:
        seq = (session.scalar(f"SELECT MAX(seq) FROM {c.FOREIGN.name}") or 0) + 1
    data.put(session, c.FOREIGN, doc["cloudIdentityId"], doc, seq=seq)


def our_customer(session: Session, cloud_identity_id: str) -> dict | None:
    """Our customer with that Cloud Identity, or None."""
    found = data.docs(session, c.CUSTOMERS, "cloud_identity_id = ?", (cloud_identity_id,))
    return found[0] if found else None


def sku_doc(session: Session, name: str) -> dict:
    """The Sku resource of a SKU name: ours (ch_skus), else one of OTHER_PRODUCTS', else just its name."""
    return data.get(session, c.SKUS, name) or OTHER_SKUS.get(name) or {"name": name}


def eligibility(session: Session, held: dict, tos_pending: list[str]) -> dict:
    """The TransferEligibility of one entitlement held elsewhere (module docstring: first match wins)."""
    product = held["sku"].rsplit("/skus/", 1)[0]
    if held.get("suspended"):
        reason = "SKU_SUSPENDED"
    elif data.get(session, c.SKUS, held["sku"]) is None:
        reason = "CHANNEL_PARTNER_NOT_AUTHORIZED_FOR_SKU"
    elif product in tos_pending:
        reason = "PENDING_TOS_ACCEPTANCE"
    elif held.get("paymentPlan") == "FREE":
        reason = "SKU_NOT_ELIGIBLE"
    else:
        return {"isEligible": True}
    return {"isEligible": False, "ineligibilityReason": reason, "description": DESCRIPTIONS[reason]}


# ------------------------------------------------------------------ authorization


def _record_authorization(session: Session, cloud_identity_id: str) -> None:
    if data.get(session, c.TRANSFER_AUTH, cloud_identity_id) is None:
        doc = {"cloudIdentityId": cloud_identity_id, "authorizeTime": now()}
        data.put(session, c.TRANSFER_AUTH, cloud_identity_id, doc)


def authorize(session: Session, cloud_identity_id: str, token: str | None) -> dict | None:
    """Check that our account may act on this Cloud Identity (module docstring) and record a valid
    token; returns its foreign record (None if nobody else holds it). 403 PERMISSION_DENIED without
    authorization or with a wrong token; 404 NOT_FOUND for a Cloud Identity nobody has (only once a
    token was given: without one Google does not say who exists)."""
    record = foreign(session, cloud_identity_id)
    ours = our_customer(session, cloud_identity_id) is not None
    if token:
        if record is None:
            if ours:
                return None
            raise GoogleError("NOT_FOUND", f"Cloud Identity {cloud_identity_id} not found.", "NOT_FOUND")
        if not secrets.compare_digest(str(token), record["authToken"]):
            raise GoogleError("PERMISSION_DENIED", BAD_TOKEN_MESSAGE, "PERMISSION_DENIED")
        _record_authorization(session, cloud_identity_id)
        return record
    if not ours and data.get(session, c.TRANSFER_AUTH, cloud_identity_id) is None:
        raise GoogleError("PERMISSION_DENIED", NOT_AUTHORIZED_MESSAGE, "PERMISSION_DENIED")
    return record


# ------------------------------------------------------------------ transfer in


def _held_sku(record: dict, sku: str) -> dict | None:
    return next((h for h in record.get("entitlements", []) if h["sku"] == sku), None)


def _check_one(session: Session, cust: dict, record: dict, requested, tos_pending: list[str], owned) -> tuple:
    """One requested Entitlement checked (module docstring); returns (offer, what is held, seats)."""
    if not isinstance(requested, dict) or not requested.get("offer"):
        raise invalid("Each entitlement needs an offer.")
    offer = actions.offer(session, requested["offer"])
    sku = offer["sku"]["name"]
    held = _held_sku(record, sku)
    if held is None:
        raise invalid(f"The customer holds no {sku} elsewhere: there is nothing of it to transfer.")
    if sku in owned:
        raise GoogleError(
            "ALREADY_EXISTS", f"The SKU {sku} was already purchased for the customer.", "ALREADY_EXISTS"
        )
    verdict = eligibility(session, held, tos_pending)
    if not verdict["isEligible"]:
        raise precondition(verdict["ineligibilityReason"], f"{sku}: {verdict['description']}")
    plan = actions.plan_of(offer)
    if plan == "TRIAL":
        raise invalid(
            f"Offer {offer['name']} is a trial: transfers take a paid or free offer.", "INVALID_VALUE"
        )
    given = parameters.checked(offer, requested.get("parameters") or [])
    seats = int(next((v["int64Value"] for v in given.values() if "int64Value" in v), held["seats"]))
    if plan == "COMMITMENT" and seats < int(held["seats"]):
        raise invalid(
            f"num_units for {sku} must be at least the {held['seats']} seats the customer holds.",
            "INVALID_VALUE",
        )
    if not actions.region_allowed(offer, cust):
        raise invalid(f"Offer {offer['name']} is not available in the customer's region.", "INVALID_VALUE")
    parameters.purchase_order(requested)
    return offer, held, seats


def _check_transfer(session: Session, target: str, payload: dict, tos_pending: list[str]) -> tuple:
    cust = actions.customer(session, target)
    record = foreign(session, cust.get("cloudIdentityId"))
    if record is None:
        raise precondition(
            "CONDITION_NOT_MET",
            f"Customer {target} has nothing to transfer: no reseller or Google holds its Cloud Identity's "
            "entitlements.",
        )
    authorize(session, cust["cloudIdentityId"], payload.get("authToken"))
    requested = payload.get("entitlements")
    if not isinstance(requested, list) or not requested:
        raise invalid("entitlements is required.")
    owned = actions.owned_skus(session, target)
    checked = [_check_one(session, cust, record, r, tos_pending, owned) for r in requested]
    skus = [offer["sku"]["name"] for offer, _, _ in checked]
    if len(set(skus)) != len(skus):
        raise invalid("Each SKU can be transferred once per request.")
    return cust, record, checked


def _transferred(target: str, offer: dict, held: dict, seats: int, requested: dict, when: str) -> dict:
    """The new entitlement, built as actions.create_entitlement builds one, with the users it brings."""
    ent = {
        "name": f"{target}/entitlements/{secrets.token_hex(5)}",
        "createTime": when,
        "offer": offer["name"],
        "provisioningState": "ACTIVE",
        "provisionedService": shapes.provisioned_service(actions._random(), offer),
        "parameters": shapes.seat_parameters(offer, seats, min(seats, int(held["seats"]))),
    }
    if actions.plan_of(offer) == "COMMITMENT":
        ent["commitmentSettings"] = actions._commitment(when, requested.get("commitmentSettings") or {})
    if requested.get("purchaseOrderId"):
        ent["purchaseOrderId"] = requested["purchaseOrderId"]
    ent["updateTime"] = when
    return ent


def transfer_entitlements(
    session: Session, target: str, payload: dict, operator: str, commit: bool, *, knobs: KnobBox
) -> dict:
    """TRANSFER_ENTITLEMENTS: `target` is our customer, `payload` the request minus requestId."""
    tos_pending = knobs.get().tos_pending_products
    _, record, checked = _check_transfer(session, target, payload, tos_pending)
    if not commit:
        return {}
    if not record.get("domainVerified"):
        raise GoogleError("FAILED_PRECONDITION", UNVERIFIED_MESSAGE, "CONDITION_NOT_MET")
    when = now()
    created = []
    for (offer, held, seats), requested in zip(checked, payload["entitlements"], strict=True):
        ent = _transferred(target, offer, held, seats, requested, when)
        data.add_change(
            session,
            shapes.change_doc(ent, "CREATED", when, operator=operator, operator_type=actions.RESELLER),
        )
        data.put_entitlement(session, ent)
        created.append(ent)
    moved = {offer["sku"]["name"] for offer, _, _ in checked}
    record["entitlements"] = [h for h in record.get("entitlements", []) if h["sku"] not in moved]
    put_foreign(session, record)
    return {"entitlements": created}


# ------------------------------------------------------------------ transfer out


def held_elsewhere(session: Session, ent: dict) -> dict:
    """How one of our entitlements looks once another holder has it: its SKU, seats, plan (a trial
    goes on as FLEXIBLE) and whether it stays suspended (our own suspension ends with us)."""
    offer = actions.offer(session, ent["offer"])
    plan = actions.plan_of(offer)
    reasons = [r for r in ent.get("suspensionReasons", []) if r != "RESELLER_INITIATED"]
    return {
        "sku": offer["sku"]["name"],
        "seats": parameters.seats(ent),
        "paymentPlan": plan if plan in ("COMMITMENT", "FLEXIBLE", "FREE") else "FLEXIBLE",
        "suspended": ent.get("provisioningState") == "SUSPENDED" and bool(reasons),
    }


def hand_over(session: Session, cust: dict, held: list[dict], owner: str, token: Callable[[], str]) -> dict:
    """Put entitlements on the foreign record of the customer's Cloud Identity, now held by `owner`
    ("google" or "reseller"); a missing record is created with a fresh token from `token()`."""
    record = foreign(session, cust["cloudIdentityId"])
    if record is None:
        domain = cust["domain"].lower()
        record = {
            "cloudIdentityId": cust["cloudIdentityId"],
            "domain": domain,
            "orgDisplayName": cust.get("orgDisplayName", domain),
            "regionCode": cust.get("orgPostalAddress", {}).get("regionCode", "US"),
            "primaryAdminEmail": cust.get("primaryContactInfo", {}).get("email") or f"admin@{domain}",
            "authToken": token(),
            "domainVerified": bool(cust.get("cloudIdentityInfo", {}).get("isDomainVerified")),
            "entitlements": [],
        }
    record["owner"] = owner
    if owner == "reseller":
        record["resellerName"] = OTHER_RESELLER
    else:
        record.pop("resellerName", None)
    skus = {h["sku"] for h in held}
    record["entitlements"] = [h for h in record.get("entitlements", []) if h["sku"] not in skus] + held
    put_foreign(session, record)
    return record


def _check_to_google(session: Session, target: str, payload: dict) -> tuple[dict, list[dict]]:
    cust = actions.customer(session, target)
    requested = payload.get("entitlements")
    if not isinstance(requested, list) or not requested:
        raise invalid("entitlements is required.")
    names = [r.get("name") if isinstance(r, dict) else None for r in requested]
    if not all(names):
        raise invalid("Each entitlement needs its name.")
    if len(set(names)) != len(names):
        raise invalid("Each entitlement can be transferred once per request.")
    ents = [actions.entitlement(session, name) for name in names]
    for ent in ents:
        if data.customer_of(ent["name"]) != target:
            raise invalid(f"Entitlement {ent['name']} belongs to another customer.")
    if not cust.get("cloudIdentityId"):
        raise precondition("CONDITION_NOT_MET", f"Customer {target} has no Cloud Identity.")
    return cust, ents


def transfer_to_google(session: Session, target: str, payload: dict, operator: str, commit: bool) -> dict:
    """TRANSFER_ENTITLEMENTS_TO_GOOGLE: `target` is our customer; answers Empty."""
    cust, ents = _check_to_google(session, target, payload)
    if not commit:
        return {}
    when = now()
    leaving = {ent["name"] for ent in ents}
    keeps = any(name not in leaving for name in actions.owned_skus(session, target).values())
    reason = "PARTIAL_TRANSFER" if keeps else "RELATIONSHIP_ENDED"
    held = [held_elsewhere(session, ent) for ent in ents]
    for ent in ents:
        change = shapes.change_doc(
            ent,
            "CANCELLED",
            when,
            operator=operator,
            operator_type=actions.RESELLER,
            reason=("cancellationReason", reason),
        )
        data.add_change(session, change)
        data.delete(session, c.ENTITLEMENTS, ent["name"])
    hand_over(session, cust, held, "google", lambda: secrets.token_urlsafe(18))
    return {}


def actions_for(knobs: KnobBox) -> dict[str, operations.Action]:
    """The transfer actions, bound to the module's knobs (the eligibility reads tos_pending_products),
    to merge into actions.ACTIONS."""
    return {
        "TRANSFER_ENTITLEMENTS": partial(transfer_entitlements, knobs=knobs),
        "TRANSFER_ENTITLEMENTS_TO_GOOGLE": transfer_to_google,
    }


def described(session: Session, limit: int) -> list[dict]:
    """The first `limit` foreign customers (seed order: the planned cases first) as GET /_sandbox/channel
    lists them, token included."""
    rows = session.conn.execute(f"SELECT doc FROM {c.FOREIGN.name} ORDER BY seq LIMIT ?", (limit,))
    keys = ("cloudIdentityId", "domain", "orgDisplayName", "owner", "authToken", "domainVerified")
    return [{k: doc.get(k) for k in keys} for doc in map(json.loads, (r[0] for r in rows))]
