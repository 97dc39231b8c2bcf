"""/v1 customers: CRUD, Cloud Identity (provision, check), purchasable offers and SKUs."""

from __future__ import annotations

import re
import secrets

from werkzeug.wrappers import Response

from .. import actions, data, filters, paging, shapes, transfers
from .. import collections as c
from ..wire import ACCOUNT, invalid, json_body, now, precondition, reply
from .call import Call, page_reply

# Domains that have a Cloud Identity owned by someone else (checkCloudIdentityAccountsExist).
FOREIGN_DOMAINS = frozenset({"taken.example", "google-customer.example"})


def list_customers(call: Call) -> Response:
    """accounts.customers.list, with the customer `filter`."""
    accept = filters.customer_filter(call.request.args.get("filter"))
    with call.session() as session, session.snapshot():
        page = call.page(session, c.CUSTOMERS, paging.CUSTOMERS, accept=accept)
    return page_reply(page, "customers")


def get_customer(call: Call) -> Response:
    """accounts.customers.get."""
    with call.session() as session:
        return reply(actions.customer(session, call.name("customer")))


WRITABLE_CUSTOMER_FIELDS = {
    "orgDisplayName",
    "orgPostalAddress",
    "primaryContactInfo",
    "alternateEmail",
    "domain",
    "correlationId",
    "languageCode",
    "channelPartnerId",
    "customerAttestationState",
}


def _camel(path: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), path)


def _check_customer(doc: dict) -> None:
    for field in ("orgDisplayName", "domain"):
        if not doc.get(field):
            raise invalid(f"{field} is required.")
    if not (doc.get("orgPostalAddress") or {}).get("regionCode"):
        raise invalid("org_postal_address.region_code is required.")
    email = str((doc.get("primaryContactInfo") or {}).get("email") or "")
    if email and not email.lower().endswith("@" + str(doc["domain"]).lower()):
        raise invalid("Domain field value doesn't match the primary email domain.", "INVALID_VALUE")


def _contact_display_name(doc: dict) -> None:
    contact = doc.get("primaryContactInfo")
    if isinstance(contact, dict):
        contact["displayName"] = " ".join(p for p in (contact.get("firstName"), contact.get("lastName")) if p)


def create_customer(call: Call) -> Response:
    """accounts.customers.create: a bare Customer (no Cloud Identity yet) from the writable fields."""
    body = json_body(call.request)
    when = now()
    doc = {k: v for k, v in body.items() if k in WRITABLE_CUSTOMER_FIELDS}
    _check_customer(doc)
    _contact_display_name(doc)
    doc = {
        "name": f"{ACCOUNT}/customers/S{secrets.token_hex(5)}",
        **doc,
        "createTime": when,
        "updateTime": when,
    }
    with call.session() as session, session.write():
        data.put(session, c.CUSTOMERS, doc["name"], doc)
    return reply(doc)


def patch_customer(call: Call) -> Response:
    """accounts.customers.patch: the `updateMask` paths (camelCase or snake_case; all writable fields given
    when absent) copied from the body."""
    body = json_body(call.request)
    mask = call.request.args.get("updateMask")
    paths = (
        [_camel(p.strip()) for p in mask.split(",") if p.strip()]
        if mask
        else [k for k in body if k in WRITABLE_CUSTOMER_FIELDS]
    )
    for path in paths:
        if path.split(".")[0] not in WRITABLE_CUSTOMER_FIELDS:
            raise invalid(f"update_mask path {path!r} is not updatable.", "INVALID_VALUE")
    with call.session() as session, session.write():
        doc = actions.customer(session, call.name("customer"))
        for path in paths:
            _copy_path(body, doc, path.split("."))
        _check_customer(doc)
        _contact_display_name(doc)
        doc["updateTime"] = now()
        data.put(session, c.CUSTOMERS, doc["name"], doc)
    return reply(doc)


def _copy_path(source: dict, target: dict, parts: list[str]) -> None:
    """Field-mask semantics: copy one (dotted) path from the body; absent in the body = clear."""
    head, rest = parts[0], parts[1:]
    if not rest:
        if head in source:
            target[head] = source[head]
        else:
            target.pop(head, None)
        return
    inner = source.get(head) if isinstance(source.get(head), dict) else {}
    _copy_path(inner, target.setdefault(head, {}), rest)


def delete_customer(call: Call) -> Response:
    """accounts.customers.delete; 400 FAILED_PRECONDITION while the customer has entitlements."""
    name = call.name("customer")
    with call.session() as session, session.write():
        actions.customer(session, name)
        if session.scalar(f"SELECT COUNT(*) FROM {c.ENTITLEMENTS.name} WHERE customer = ?", (name,)):
            raise precondition(
                "FAILED_PRECONDITION", f"Customer {name} has entitlements; cancel or transfer them first."
            )
        data.delete(session, c.CUSTOMERS, name)
    return reply({})


def provision_cloud_identity(call: Call) -> Response:
    """accounts.customers.provisionCloudIdentity: an LRO that ends with the Customer."""
    body = json_body(call.request)
    return call.submit("PROVISION_CLOUD_IDENTITY", call.name("customer"), body, body)


def list_purchasable_offers(call: Call) -> Response:
    """accounts.customers.listPurchasableOffers, for a new entitlement of a SKU or a change of offer of an
    entitlement."""
    args = call.request.args
    with call.session() as session, session.snapshot():
        cust = actions.customer(session, call.name("customer"))
        if args.get("createEntitlementPurchase.sku"):
            allowed = actions.offers_for_create(session, cust, args["createEntitlementPurchase.sku"])
        elif args.get("changeOfferPurchase.entitlement"):
            ent = actions.entitlement(session, args["changeOfferPurchase.entitlement"])
            if data.customer_of(ent["name"]) != cust["name"]:
                raise invalid("change_offer_purchase.entitlement belongs to another customer.")
            allowed = actions.offers_for_change(session, cust, ent, args.get("changeOfferPurchase.newSku"))
        else:
            raise invalid("create_entitlement_purchase.sku or change_offer_purchase.entitlement is required.")
        names = {o["name"] for o in allowed}
        page = call.page(session, c.OFFERS, paging.PURCHASABLE, accept=lambda doc: doc["name"] in names)
    return page_reply(page, "purchasableOffers", lambda offer: {"offer": offer})


SKU_TIER = {f"products/{p.id}/skus/{s.id}": i for p in shapes.CATALOG for i, s in enumerate(p.skus)}


def list_purchasable_skus(call: Call) -> Response:
    """accounts.customers.listPurchasableSkus: a product's SKUs for a new entitlement, or the SKUs one tier up
    or down for a change."""
    args = call.request.args
    with call.session() as session, session.snapshot():
        cust = actions.customer(session, call.name("customer"))
        if args.get("createEntitlementPurchase.product"):
            product = args["createEntitlementPurchase.product"]
            accept = lambda doc: doc["product"]["name"] == product  # noqa: E731
        elif args.get("changeOfferPurchase.entitlement"):
            ent = actions.entitlement(session, args["changeOfferPurchase.entitlement"])
            current = actions.offer(session, ent["offer"])["sku"]["name"]
            owned = actions.owned_skus(session, cust["name"])
            step = {"UPGRADE": 1, "DOWNGRADE": -1}.get(args.get("changeOfferPurchase.changeType", ""))
            if step is None:
                raise invalid("change_offer_purchase.change_type must be UPGRADE or DOWNGRADE.")
            product = current.rsplit("/skus/", 1)[0]
            accept = lambda doc: (  # noqa: E731
                doc["name"].startswith(product + "/skus/")
                and doc["name"] not in owned
                and (SKU_TIER.get(doc["name"], 0) - SKU_TIER.get(current, 0)) * step > 0
            )
        else:
            raise invalid(
                "create_entitlement_purchase.product or change_offer_purchase.entitlement is required."
            )
        page = call.page(session, c.SKUS, paging.PURCHASABLE, accept=accept)
    return page_reply(page, "purchasableSkus", lambda sku: {"sku": sku})


def check_cloud_identity_accounts_exist(call: Call) -> Response:
    """accounts.checkCloudIdentityAccountsExist: our customers with a Cloud Identity on that domain
    (owned), a customer held elsewhere on it (not owned, with its Cloud Identity id, unless the id is
    one of our customers') and the foreign test domains (not owned)."""
    body = json_body(call.request)
    domain = str(body.get("domain") or "").strip().lower()
    if not domain:
        raise invalid("domain is required.")
    accounts = []
    if domain in FOREIGN_DOMAINS:
        accounts.append({"existing": True, "owned": False, "customerType": "DOMAIN"})
    with call.session() as session, session.snapshot():
        record = transfers.foreign_by_domain(session, domain)
        if record is not None and transfers.our_customer(session, record["cloudIdentityId"]) is None:
            accounts.append(
                {
                    "existing": True,
                    "owned": False,
                    "customerCloudIdentityId": record["cloudIdentityId"],
                    "customerType": "DOMAIN",
                }
            )
        for doc in data.docs(
            session, c.CUSTOMERS, "lower(domain) = ? AND cloud_identity_id IS NOT NULL", (domain,)
        ):
            account = {
                "existing": True,
                "owned": True,
                "customerName": doc["name"],
                "customerCloudIdentityId": doc["cloudIdentityId"],
                "customerType": doc.get("cloudIdentityInfo", {}).get("customerType", "DOMAIN"),
            }
            if doc.get("channelPartnerId"):
                account["channelPartnerCloudIdentityId"] = doc["channelPartnerId"]
            accounts.append(account)
    return reply({"cloudIdentityAccounts": accounts} if accounts else {})
