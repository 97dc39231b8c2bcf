"""The /v1 router (the handlers are in customers.py, entitlements.py, links.py and transfers.py). Paths, verbs
and bodies follow cloudchannel.v1.json: custom verbs are literal `:verb` suffixes, names keep
their slashes (`operations/...` may contain `/`), global query parameters (`alt`, `fields`, ...)
are ignored. Every call needs a bearer token from /token; `accounts/{a}` other than the
sandbox's account is PERMISSION_DENIED. Methods that are in the discovery document but not here
answer 501 UNIMPLEMENTED.

Like proto3 JSON, replies omit empty repeated fields: an empty page is `{"nextPageToken": ...}`
without its items key.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from werkzeug.wrappers import Response

from ..wire import ACCOUNT_ID, GoogleError
from .call import CUSTOMER, ENTITLEMENT, LINK, SEG, A, Call, page_reply
from .customers import (
    check_cloud_identity_accounts_exist,
    create_customer,
    delete_customer,
    get_customer,
    list_customers,
    list_purchasable_offers,
    list_purchasable_skus,
    patch_customer,
    provision_cloud_identity,
)
from .entitlements import (
    VERBS,
    create_entitlement,
    entitlement_verb,
    get_entitlement,
    get_operation,
    list_entitlement_changes,
    list_entitlements,
    list_offers,
    list_products,
    list_skus,
    lookup_offer,
)
from .links import create_link, get_link, get_link_customer, list_link_customers, list_links, patch_link
from .transfers import (
    import_customer,
    list_transferable_offers,
    list_transferable_skus,
    transfer_entitlements,
    transfer_entitlements_to_google,
)

ROUTES: list[tuple[str, re.Pattern, Callable[[Call], Response]]] = [
    (method, re.compile(pattern), handler)
    for method, pattern, handler in [
        ("POST", rf"{A}:checkCloudIdentityAccountsExist", check_cloud_identity_accounts_exist),
        ("POST", rf"{A}:listTransferableSkus", list_transferable_skus),
        ("POST", rf"{A}:listTransferableOffers", list_transferable_offers),
        ("POST", rf"{A}/customers:import", import_customer),
        ("POST", rf"{CUSTOMER}:transferEntitlements", transfer_entitlements),
        ("POST", rf"{CUSTOMER}:transferEntitlementsToGoogle", transfer_entitlements_to_google),
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


__all__ = ["ROUTES", "Call", "page_reply", "route"]
