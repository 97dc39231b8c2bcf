"""/v1 entitlements (list, get, create and the verbs, each an LRO), their changes and offer,
the catalog (offers, products, SKUs) and operations."""

from __future__ import annotations

from werkzeug.wrappers import Response

from .. import actions, data, filters, operations, paging
from .. import collections as c
from ..wire import ACCOUNT, GoogleError, invalid, json_body, not_found, reply
from .call import Call, page_reply

VERBS = {
    "activate": "ACTIVATE_ENTITLEMENT",
    "suspend": "SUSPEND_ENTITLEMENT",
    "cancel": "CANCEL_ENTITLEMENT",
    "changeOffer": "CHANGE_OFFER",
    "changeParameters": "CHANGE_PARAMETERS",
    "changeRenewalSettings": "CHANGE_RENEWAL_SETTINGS",
    "startPaidService": "START_PAID_SERVICE",
}


# ------------------------------------------------------------------ entitlements


def list_entitlements(call: Call) -> Response:
    """accounts.customers.entitlements.list (404 for an unknown customer)."""
    name = call.name("customer")
    with call.session() as session, session.snapshot():
        actions.customer(session, name)
        page = call.page(session, c.ENTITLEMENTS, paging.ENTITLEMENTS, where="customer = ?", params=(name,))
    return page_reply(page, "entitlements")


def get_entitlement(call: Call) -> Response:
    """accounts.customers.entitlements.get."""
    with call.session() as session:
        return reply(actions.entitlement(session, call.name("entitlement")))


def create_entitlement(call: Call) -> Response:
    """accounts.customers.entitlements.create: the CreateEntitlementRequest body `{entitlement, requestId}` as
    an LRO."""
    body = json_body(call.request)
    if "entitlement" not in body:
        raise invalid(
            "entitlement is required (the body is a CreateEntitlementRequest: {entitlement, requestId})."
        )
    return call.submit("CREATE_ENTITLEMENT", call.name("customer"), body["entitlement"], body)


def entitlement_verb(call: Call) -> Response:
    """An entitlement verb (`:suspend`, `:changeOffer`, ... see VERBS) as an LRO."""
    body = json_body(call.request)
    payload = {k: v for k, v in body.items() if k != "requestId"}
    return call.submit(VERBS[call.values["verb"]], call.name("entitlement"), payload, body)


def lookup_offer(call: Call) -> Response:
    """accounts.customers.entitlements.lookupOffer: the entitlement's offer."""
    with call.session() as session:
        ent = actions.entitlement(session, call.name("entitlement"))
        return reply(actions.offer(session, ent["offer"]))


def list_entitlement_changes(call: Call) -> Response:
    """listEntitlementChanges of one entitlement (even a cancelled one) or of all the customer's
    (`entitlements/-`), with the create_time `filter`."""
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
    """accounts.offers.list, with the offer `filter`."""
    accept = filters.offer_filter(call.request.args.get("filter"))
    with call.session() as session, session.snapshot():
        page = call.page(session, c.OFFERS, paging.OFFERS, accept=accept)
    return page_reply(page, "offers")


def _check_account_param(call: Call) -> None:
    account = call.request.args.get("account")
    if account and account != ACCOUNT:
        raise GoogleError("PERMISSION_DENIED", f"The caller cannot act for {account}.", "PERMISSION_DENIED")


def list_products(call: Call) -> Response:
    """products.list (only for our own `account`)."""
    _check_account_param(call)
    with call.session() as session, session.snapshot():
        page = call.page(session, c.PRODUCTS, paging.CATALOG)
    return page_reply(page, "products")


def list_skus(call: Call) -> Response:
    """products.skus.list of one product, or of all (`products/-`)."""
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


# ------------------------------------------------------------------ operations


def get_operation(call: Call) -> Response:
    """operations.get: the operation, completed first if its time (or poll count) has come."""
    with call.session() as session:
        return reply(operations.poll(session, call.actions, "operations/" + call.values["operation"]))
