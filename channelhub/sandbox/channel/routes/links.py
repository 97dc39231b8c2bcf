"""/v1 channel partner links (list, get, create, patch of the link state) and their customers."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from werkzeug.wrappers import Response

from ...store import Session
from .. import actions, data, filters, paging
from .. import collections as c
from ..wire import ACCOUNT, GoogleError, invalid, json_body, not_found, now, reply
from .call import Call, page_reply

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
    """accounts.channelPartnerLinks.list (`view=BASIC` leaves out the Cloud Identity info)."""
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
    """accounts.channelPartnerLinks.get, in the requested view."""
    view = _link_view(call)
    with call.session() as session:
        return reply(view(_link(session, call.name("link"))))


def create_link(call: Call) -> Response:
    """accounts.channelPartnerLinks.create: an INVITED link to a reseller's Cloud Identity; 409 if it exists."""
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
    """accounts.channelPartnerLinks.patch: only `link_state`, within LINK_TRANSITIONS."""
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
    """The customers of a partner link, named under the link, with the customer `filter`."""
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
    """One customer of a partner link (404 if it is not under that link)."""
    link = call.name("link")
    with call.session() as session:
        _link(session, link)
        doc = actions.customer(session, call.name("customer"))
    if doc.get("channelPartnerId") != call.values["link"]:
        raise not_found("Customer", f"{link}/customers/{call.values['customer']}")
    return reply(_as_link_customer(link)(doc))
