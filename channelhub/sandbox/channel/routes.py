"""The /v1 router and its handlers. Paths, verbs and bodies follow cloudchannel.v1.json: custom
verbs are literal `:verb` suffixes, names keep their slashes (`operations/...` may contain `/`),
global query parameters (`alt`, `fields`, ...) are ignored. Every call needs a bearer token from
/token; `accounts/{a}` other than the sandbox's account is PERMISSION_DENIED. Methods that are
in the discovery document but not here answer 501 UNIMPLEMENTED.

Like proto3 JSON, replies omit empty repeated fields: an empty page is `{"nextPageToken": ...}`
without its items key.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from werkzeug.wrappers import Request, Response

from ..store import Session
from . import actions, data, filters, operations, paging, shapes
from . import collections as c
from .auth import Grant
from .wire import (
    ACCOUNT,
    ACCOUNT_ID,
    GoogleError,
    check_request_id,
    invalid,
    json_body,
    not_found,
    now,
    precondition,
    reply,
)

SEG = r"[^/:]+"
A = rf"accounts/(?P<account>{SEG})"
CUSTOMER = rf"{A}/customers/(?P<customer>{SEG})"
ENTITLEMENT = rf"{CUSTOMER}/entitlements/(?P<entitlement>{SEG})"
LINK = rf"{A}/channelPartnerLinks/(?P<link>{SEG})"

# Domains that have a Cloud Identity owned by someone else (checkCloudIdentityAccountsExist).
FOREIGN_DOMAINS = frozenset({"taken.example", "google-customer.example"})

VERBS = {
    "activate": "ACTIVATE_ENTITLEMENT",
    "suspend": "SUSPEND_ENTITLEMENT",
    "cancel": "CANCEL_ENTITLEMENT",
    "changeOffer": "CHANGE_OFFER",
    "changeParameters": "CHANGE_PARAMETERS",
    "changeRenewalSettings": "CHANGE_RENEWAL_SETTINGS",
    "startPaidService": "START_PAID_SERVICE",
}


@dataclass
class Call:
    """One API call: the module (for its knobs), the app context (for sessions), the request, the
    caller's grant and the path's named groups."""

    module: object
    ctx: object
    request: Request
    grant: Grant
    values: dict[str, str]

    def session(self):
        return self.ctx.session()

    @property
    def empty_page_every(self) -> int:
        return self.module.knobs.get().empty_page_every

    def name(self, kind: str) -> str:
        v = self.values
        names = {
            "customer": f"{ACCOUNT}/customers/{v.get('customer')}",
            "entitlement": f"{ACCOUNT}/customers/{v.get('customer')}/entitlements/{v.get('entitlement')}",
            "link": f"{ACCOUNT}/channelPartnerLinks/{v.get('link')}",
        }
        return names[kind]

    def page(self, session: Session, coll, limits, **kwargs) -> paging.Page:
        return paging.paginate(
            session, coll, self.request, limits, empty_page_every=self.empty_page_every, **kwargs
        )

    def submit(self, operation_type: str, target: str, payload: dict, body: dict) -> Response:
        request_id = check_request_id(body.get("requestId"))
        with self.session() as session:
            operation = operations.submit(
                session,
                self.module.knobs,
                actions.ACTIONS,
                operation_type=operation_type,
                target=target,
                payload=payload,
                operator=self.grant.subject,
                body=body,
                request_id=request_id,
            )
        return reply(operation)


def page_reply(page: paging.Page, key: str, transform: Callable[[dict], dict] | None = None) -> Response:
    items = [transform(doc) for doc in page.items] if transform else page.items
    out = {key: items} if items else {}
    if page.next_token:
        out["nextPageToken"] = page.next_token
    return reply(out)


# ------------------------------------------------------------------ customers


def list_customers(call: Call) -> Response:
    accept = filters.customer_filter(call.request.args.get("filter"))
    with call.session() as session, session.snapshot():
        page = call.page(session, c.CUSTOMERS, paging.CUSTOMERS, accept=accept)
    return page_reply(page, "customers")


def get_customer(call: Call) -> Response:
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
    body = json_body(call.request)
    return call.submit("PROVISION_CLOUD_IDENTITY", call.name("customer"), body, body)


def list_purchasable_offers(call: Call) -> Response:
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
    body = json_body(call.request)
    domain = str(body.get("domain") or "").strip().lower()
    if not domain:
        raise invalid("domain is required.")
    accounts = []
    if domain in FOREIGN_DOMAINS:
        accounts.append({"existing": True, "owned": False, "customerType": "DOMAIN"})
    with call.session() as session:
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


# ------------------------------------------------------------------ entitlements


def list_entitlements(call: Call) -> Response:
    name = call.name("customer")
    with call.session() as session, session.snapshot():
        actions.customer(session, name)
        page = call.page(session, c.ENTITLEMENTS, paging.ENTITLEMENTS, where="customer = ?", params=(name,))
    return page_reply(page, "entitlements")


def get_entitlement(call: Call) -> Response:
    with call.session() as session:
        return reply(actions.entitlement(session, call.name("entitlement")))


def create_entitlement(call: Call) -> Response:
    body = json_body(call.request)
    if "entitlement" not in body:
        raise invalid(
            "entitlement is required (the body is a CreateEntitlementRequest: {entitlement, requestId})."
        )
    return call.submit("CREATE_ENTITLEMENT", call.name("customer"), body["entitlement"], body)


def entitlement_verb(call: Call) -> Response:
    body = json_body(call.request)
    payload = {k: v for k, v in body.items() if k != "requestId"}
    return call.submit(VERBS[call.values["verb"]], call.name("entitlement"), payload, body)


def lookup_offer(call: Call) -> Response:
    with call.session() as session:
        ent = actions.entitlement(session, call.name("entitlement"))
        return reply(actions.offer(session, ent["offer"]))


def list_entitlement_changes(call: Call) -> Response:
    accept = filters.change_filter(call.request.args.get("filter"))
    customer = call.name("customer")
    with call.session() as session, session.snapshot():
        actions.customer(session, customer)
        if call.values["entitlement"] == "-":
            where, params = "customer = ?", (customer,)
        else:
            name = call.name("entitlement")
            where, params = "entitlement = ?", (name,)
            known = data.get(session, c.ENTITLEMENTS, name) or session.scalar(
                f"SELECT 1 FROM {c.CHANGES.name} WHERE entitlement = ? LIMIT 1", (name,)
            )
            if not known:
                raise not_found("Entitlement", name)
        page = call.page(session, c.CHANGES, paging.CHANGES, where=where, params=params, accept=accept)
    return page_reply(page, "entitlementChanges")


# ------------------------------------------------------------------ catalog


def list_offers(call: Call) -> Response:
    accept = filters.offer_filter(call.request.args.get("filter"))
    with call.session() as session, session.snapshot():
        page = call.page(session, c.OFFERS, paging.OFFERS, accept=accept)
    return page_reply(page, "offers")


def _check_account_param(call: Call) -> None:
    account = call.request.args.get("account")
    if account and account != ACCOUNT:
        raise GoogleError("PERMISSION_DENIED", f"The caller cannot act for {account}.", "PERMISSION_DENIED")


def list_products(call: Call) -> Response:
    _check_account_param(call)
    with call.session() as session, session.snapshot():
        page = call.page(session, c.PRODUCTS, paging.CATALOG)
    return page_reply(page, "products")


def list_skus(call: Call) -> Response:
    _check_account_param(call)
    product = call.values["product"]
    with call.session() as session, session.snapshot():
        if product == "-":
            page = call.page(session, c.SKUS, paging.CATALOG)
        else:
            name = f"products/{product}"
            if data.get(session, c.PRODUCTS, name) is None:
                raise not_found("Product", name)
            page = call.page(session, c.SKUS, paging.CATALOG, where="product = ?", params=(name,))
    return page_reply(page, "skus")


# ------------------------------------------------------------------ channel partner links

# allowed linkState changes; INVITED -> ACTIVE/SUSPENDED is refused (the invitee accepts)
LINK_TRANSITIONS = {
    "INVITED": {"REVOKED"},
    "ACTIVE": {"SUSPENDED", "REVOKED"},
    "SUSPENDED": {"ACTIVE", "REVOKED"},
    "REVOKED": set(),
}


def _link_view(call: Call) -> Callable[[dict], dict]:
    view = call.request.args.get("view", "BASIC")
    if view not in ("BASIC", "FULL", "UNSPECIFIED"):
        raise invalid(f"Invalid view {view!r}.")
    if view == "FULL":
        return lambda doc: doc
    return lambda doc: {k: v for k, v in doc.items() if k != "channelPartnerCloudIdentityInfo"}


def list_links(call: Call) -> Response:
    view = _link_view(call)
    with call.session() as session, session.snapshot():
        page = call.page(session, c.LINKS, paging.LINKS)
    return page_reply(page, "channelPartnerLinks", view)


def _link(session: Session, name: str) -> dict:
    doc = data.get(session, c.LINKS, name)
    if doc is None:
        raise not_found("ChannelPartnerLink", name)
    return doc


def get_link(call: Call) -> Response:
    view = _link_view(call)
    with call.session() as session:
        return reply(view(_link(session, call.name("link"))))


def create_link(call: Call) -> Response:
    body = json_body(call.request)
    reseller = str(body.get("resellerCloudIdentityId") or "")
    if not re.fullmatch(r"[A-Za-z0-9]+", reseller):
        raise invalid("reseller_cloud_identity_id is required.")
    if body.get("linkState") != "INVITED":
        raise invalid("link_state must be INVITED when creating a link.", "INVALID_VALUE")
    name = f"{ACCOUNT}/channelPartnerLinks/{reseller}"
    when = now()
    doc = {
        "name": name,
        "resellerCloudIdentityId": reseller,
        "linkState": "INVITED",
        "inviteLinkUri": f"https://partners.cloud.google.com/registration/linkadmin?token={secrets.token_urlsafe(18)}",
        "createTime": when,
        "updateTime": when,
        "publicId": str(secrets.randbelow(9 * 10**11) + 10**11),
    }
    with call.session() as session, session.write():
        if data.get(session, c.LINKS, name) is not None:
            raise GoogleError(
                "ALREADY_EXISTS", f"ChannelPartnerLink {name} already exists.", "ALREADY_EXISTS"
            )
        data.put(session, c.LINKS, name, doc)
    return reply(doc)


def patch_link(call: Call) -> Response:
    body = json_body(call.request)
    mask = body.get("updateMask")
    paths = mask.split(",") if isinstance(mask, str) else mask if isinstance(mask, list) else []
    if [p.strip() for p in paths] != ["channel_partner_link.link_state"]:
        raise invalid("update_mask must be exactly channel_partner_link.link_state.", "INVALID_VALUE")
    state = (body.get("channelPartnerLink") or {}).get("linkState")
    if state not in LINK_TRANSITIONS:
        raise invalid(f"Invalid link_state {state!r}.", "INVALID_VALUE")
    with call.session() as session, session.write():
        doc = _link(session, call.name("link"))
        if state != doc["linkState"]:
            if state not in LINK_TRANSITIONS[doc["linkState"]]:
                raise invalid(
                    f"Link state cannot change from {doc['linkState'].lower()} to {state.lower()}.",
                    "INVALID_VALUE",
                )
            doc["linkState"] = state
            doc["updateTime"] = now()
            data.put(session, c.LINKS, doc["name"], doc)
    return reply(doc)


def _as_link_customer(link: str) -> Callable[[dict], dict]:
    def rename(doc: dict) -> dict:
        return {**doc, "name": f"{link}/customers/{doc['name'].rsplit('/', 1)[1]}"}

    return rename


def list_link_customers(call: Call) -> Response:
    link = call.name("link")
    accept = filters.customer_filter(call.request.args.get("filter"))
    with call.session() as session, session.snapshot():
        _link(session, link)
        page = call.page(
            session,
            c.CUSTOMERS,
            paging.CUSTOMERS,
            where="partner_id = ?",
            params=(call.values["link"],),
            accept=accept,
        )
    return page_reply(page, "customers", _as_link_customer(link))


def get_link_customer(call: Call) -> Response:
    link = call.name("link")
    with call.session() as session:
        _link(session, link)
        doc = actions.customer(session, call.name("customer"))
    if doc.get("channelPartnerId") != call.values["link"]:
        raise not_found("Customer", f"{link}/customers/{call.values['customer']}")
    return reply(_as_link_customer(link)(doc))


# ------------------------------------------------------------------ operations


def get_operation(call: Call) -> Response:
    with call.session() as session:
        return reply(operations.poll(session, actions.ACTIONS, "operations/" + call.values["operation"]))


ROUTES: list[tuple[str, re.Pattern, Callable[[Call], Response]]] = [
    (method, re.compile(pattern), handler)
    for method, pattern, handler in [
        ("POST", rf"{A}:checkCloudIdentityAccountsExist", check_cloud_identity_accounts_exist),
        ("GET", rf"{A}/customers", list_customers),
        ("POST", rf"{A}/customers", create_customer),
        ("GET", CUSTOMER, get_customer),
        ("PATCH", CUSTOMER, patch_customer),
        ("DELETE", CUSTOMER, delete_customer),
        ("POST", rf"{CUSTOMER}:provisionCloudIdentity", provision_cloud_identity),
        ("GET", rf"{CUSTOMER}:listPurchasableOffers", list_purchasable_offers),
        ("GET", rf"{CUSTOMER}:listPurchasableSkus", list_purchasable_skus),
        ("GET", rf"{CUSTOMER}/entitlements", list_entitlements),
        ("POST", rf"{CUSTOMER}/entitlements", create_entitlement),
        ("GET", ENTITLEMENT, get_entitlement),
        ("POST", rf"{ENTITLEMENT}:(?P<verb>{'|'.join(VERBS)})", entitlement_verb),
        ("GET", rf"{ENTITLEMENT}:lookupOffer", lookup_offer),
        (
            "GET",
            rf"{CUSTOMER}/entitlements/(?P<entitlement>{SEG}|-):listEntitlementChanges",
            list_entitlement_changes,
        ),
        ("GET", rf"{A}/offers", list_offers),
        ("GET", r"products", list_products),
        ("GET", rf"products/(?P<product>{SEG})/skus", list_skus),
        ("GET", rf"{A}/channelPartnerLinks", list_links),
        ("POST", rf"{A}/channelPartnerLinks", create_link),
        ("GET", LINK, get_link),
        ("PATCH", LINK, patch_link),
        ("GET", rf"{LINK}/customers", list_link_customers),
        ("GET", rf"{LINK}/customers/(?P<customer>{SEG})", get_link_customer),
        ("GET", r"operations/(?P<operation>[^:]+)", get_operation),
    ]
]


def route(method: str, path: str) -> tuple[Callable[[Call], Response], dict[str, str]]:
    """The handler for `METHOD /v1/<path>`, or 501 UNIMPLEMENTED; checks the account."""
    method = "GET" if method == "HEAD" else method
    for route_method, pattern, handler in ROUTES:
        match = pattern.fullmatch(path)
        if match and route_method == method:
            values = match.groupdict()
            account = values.pop("account", None)
            if account is not None and account != ACCOUNT_ID:
                raise GoogleError(
                    "PERMISSION_DENIED",
                    f"The caller does not have permission on accounts/{account}.",
                    "PERMISSION_DENIED",
                )
            return handler, values
    raise GoogleError(
        "UNIMPLEMENTED", f"Method {method} /v1/{path} is not implemented by the sandbox.", "UNIMPLEMENTED"
    )
