"""/v1 transfers: accounts:listTransferableSkus, accounts:listTransferableOffers (both POST with the
request in the body, paged there too), accounts.customers:import, and the two LROs
customers:transferEntitlements and customers:transferEntitlementsToGoogle (rules in transfers.py)."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import secrets

from werkzeug.wrappers import Response

from ...store import Session
from .. import actions, data, shapes, transfers
from .. import collections as c
from ..wire import ACCOUNT, GoogleError, invalid, json_body, not_found, now, reply
from .call import Call

TRANSFERABLE_DEFAULT, TRANSFERABLE_MAX = 100, 1000


# ------------------------------------------------------------------ paging in the body


def _digest(body: dict) -> str:
    # the token may be dropped once authorized, and pageSize may change between pages (AIP-158)
    rest = {k: v for k, v in body.items() if k not in ("pageToken", "pageSize", "authToken")}
    return hashlib.sha256(json.dumps(rest, sort_keys=True).encode()).hexdigest()[:16]


def _page(body: dict, items: list[dict], key: str) -> dict:
    """One page of `items` for a body's pageSize (default 100, coerced to 1000) and opaque pageToken
    (an offset bound to the rest of the body); empty items are omitted as everywhere."""
    try:
        size = int(body.get("pageSize") or 0)
    except (TypeError, ValueError):
        raise invalid(f"Invalid value for page_size: {body.get('pageSize')!r}.") from None
    if size < 0:
        raise invalid("page_size must not be negative.")
    size = min(size, TRANSFERABLE_MAX) if size else TRANSFERABLE_DEFAULT
    digest, offset = _digest(body), 0
    if body.get("pageToken"):
        token = str(body["pageToken"])
        try:
            decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            offset, bound = int(decoded["o"]), str(decoded["h"])
        except (ValueError, KeyError, TypeError):
            raise invalid(f"Invalid page token {token!r}.", "INVALID_PAGE_TOKEN") from None
        if bound != digest:
            raise invalid("The page token does not match the request.", "INVALID_PAGE_TOKEN")
    chunk = items[offset : offset + size]
    out: dict = {key: chunk} if chunk else {}
    if offset + size < len(items):
        raw = json.dumps({"o": offset + size, "h": digest}, separators=(",", ":")).encode()
        out["nextPageToken"] = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return out


# ------------------------------------------------------------------ whose Cloud Identity


def _identity(session: Session, body: dict) -> tuple[str | None, dict | None]:
    """(Cloud Identity id, our customer or None) of a body's customerName or cloudIdentityId: 400 when
    neither is given, 404 for a customerName that is not ours; (None, customer) when our customer has
    no Cloud Identity yet."""
    name, cloud_id = body.get("customerName"), body.get("cloudIdentityId")
    if not name and not cloud_id:
        raise invalid("customer_name or cloud_identity_id is required.")
    if not name:
        return str(cloud_id), None
    cust = actions.customer(session, str(name))
    if cloud_id and cust.get("cloudIdentityId") and str(cloud_id) != cust["cloudIdentityId"]:
        raise invalid("cloud_identity_id does not match the customer's Cloud Identity.")
    return cust.get("cloudIdentityId"), cust


def list_transferable_skus(call: Call) -> Response:
    """accounts.listTransferableSkus: what the Cloud Identity holds elsewhere, each SKU with its
    transferEligibility; a valid authToken is recorded as an authorization."""
    body = json_body(call.request)
    tos_pending = call.module.knobs.get().tos_pending_products
    with call.session() as session, session.write():
        cloud_id, _ = _identity(session, body)
        if cloud_id is None:
            return reply({})
        record = transfers.authorize(session, cloud_id, body.get("authToken"))
        items = []
        for held in (record or {}).get("entitlements", []):
            item = {
                "transferEligibility": transfers.eligibility(session, held, tos_pending),
                "sku": transfers.sku_doc(session, held["sku"]),
            }
            if held.get("legacySku"):
                item["legacySku"] = held["legacySku"]
            items.append(item)
    return reply(_page(body, items, "transferableSkus"))


def _with_transfer_minimum(offer: dict, seats: int) -> dict:
    """The offer as listTransferableOffers shows it: the seat parameter's minValue raised to the seats
    held, so the transfer keeps every user."""
    shown = copy.deepcopy(offer)
    seat_param = "num_units" if actions.plan_of(offer) == "COMMITMENT" else "max_units"
    for definition in shown.get("parameterDefinitions", []):
        if definition["name"] == seat_param:
            definition["minValue"] = shapes.int64(seats)
    return shown


def list_transferable_offers(call: Call) -> Response:
    """accounts.listTransferableOffers: our offers of a SKU held elsewhere (no trials, the customer's
    region), with parameter constraints updated for the transfer."""
    body = json_body(call.request)
    sku = str(body.get("sku") or "")
    if not body.get("customerName") and not body.get("cloudIdentityId"):
        raise invalid("customer_name or cloud_identity_id is required.")
    if not sku:
        raise invalid("sku is required.")
    with call.session() as session, session.snapshot():
        cloud_id, cust = _identity(session, body)
        record = transfers.authorize(session, cloud_id, None) if cloud_id else None
        held = next((h for h in (record or {}).get("entitlements", []) if h["sku"] == sku), None)
        if held is None:
            raise invalid(f"The customer holds no {sku} elsewhere.")
        if data.get(session, c.SKUS, sku) is None:
            raise GoogleError(
                "PERMISSION_DENIED",
                f"{sku}: {transfers.DESCRIPTIONS['CHANNEL_PARTNER_NOT_AUTHORIZED_FOR_SKU']}",
                "CHANNEL_PARTNER_NOT_AUTHORIZED_FOR_SKU",
            )
        region = {"orgPostalAddress": {"regionCode": record["regionCode"]}}
        offers = [
            {"offer": _with_transfer_minimum(o, int(held["seats"]))}
            for o in data.docs(session, c.OFFERS, "sku = ?", (sku,))
            if actions.plan_of(o) != "TRIAL" and actions.region_allowed(o, cust or region)
        ]
    return reply(_page(body, offers, "transferableOffers"))


# ------------------------------------------------------------------ import


def _imported(record: dict, into: dict | None, channel_partner: str | None) -> dict:
    """A Customer carrying the foreign record's Cloud Identity: `into` refreshed, or a new one."""
    when = now()
    doc = dict(into) if into else {"name": f"{ACCOUNT}/customers/S{secrets.token_hex(5)}", "createTime": when}
    doc["orgDisplayName"] = record["orgDisplayName"]
    doc["domain"] = record["domain"]
    doc["orgPostalAddress"] = {**doc.get("orgPostalAddress", {}), "regionCode": record["regionCode"]}
    doc["cloudIdentityId"] = record["cloudIdentityId"]
    doc["cloudIdentityInfo"] = shapes.cloud_identity_info(doc, verified=bool(record.get("domainVerified")))
    if channel_partner:
        doc["channelPartnerId"] = channel_partner
    doc["updateTime"] = when
    return doc


def _conflicts(existing: dict, record: dict) -> bool:
    region = existing.get("orgPostalAddress", {}).get("regionCode")
    return existing.get("domain", "").lower() != record["domain"] or region != record["regionCode"]


def _import_target(session: Session, body: dict, record: dict) -> dict | None:
    """The customer the import lands on: ours with that Cloud Identity, else the `customer` named in the
    body (404 if it is not ours, 409 if it has another Cloud Identity), else None (a new one)."""
    existing = transfers.our_customer(session, record["cloudIdentityId"])
    if existing is not None:
        return existing
    if not body.get("customer"):
        return None
    named = actions.customer(session, str(body["customer"]))
    if named.get("cloudIdentityId"):
        raise GoogleError(
            "ALREADY_EXISTS",
            f"Customer {named['name']} already has another Cloud Identity.",
            "ALREADY_EXISTS",
        )
    return named


def _import_record(session: Session, body: dict) -> dict:
    """The foreign record an import names (by cloudIdentityId, else by domain), once authorized:
    403 without authorization, 404 (after a token) when nobody holds that Cloud Identity."""
    cloud_id, domain = body.get("cloudIdentityId"), str(body.get("domain") or "").strip().lower()
    if not cloud_id and not domain:
        raise invalid("cloud_identity_id is required.")
    if cloud_id:
        record = transfers.foreign(session, str(cloud_id))
    else:
        record = transfers.foreign_by_domain(session, domain)
    if record is None:
        if not body.get("authToken"):
            raise GoogleError("PERMISSION_DENIED", transfers.NOT_AUTHORIZED_MESSAGE, "PERMISSION_DENIED")
        raise GoogleError("NOT_FOUND", f"Cloud Identity {cloud_id or domain} not found.", "NOT_FOUND")
    transfers.authorize(session, record["cloudIdentityId"], body.get("authToken"))
    if domain and domain != record["domain"]:
        raise invalid(f"domain {domain} is not the domain of Cloud Identity {record['cloudIdentityId']}.")
    return record


def _check_partner(session: Session, partner: str | None) -> None:
    name = f"{ACCOUNT}/channelPartnerLinks/{partner}"
    if partner and data.get(session, c.LINKS, name) is None:
        raise not_found("ChannelPartnerLink", name)


def import_customer(call: Call) -> Response:
    """accounts.customers.import (synchronous): a Customer for a Cloud Identity held elsewhere; a retry
    answers the same customer."""
    body = json_body(call.request)
    overwrite = bool(body.get("overwriteIfExists"))
    with call.session() as session, session.write():
        cloud_id = str(body.get("cloudIdentityId") or "")
        ours = transfers.our_customer(session, cloud_id) if cloud_id else None
        if ours is not None and transfers.foreign(session, cloud_id) is None:
            transfers.authorize(session, cloud_id, body.get("authToken"))
            return reply(ours)  # nothing held elsewhere to refresh it from
        record = _import_record(session, body)
        target = _import_target(session, body, record)
        if target is not None and not overwrite:
            if _conflicts(target, record):
                raise GoogleError(
                    "ALREADY_EXISTS",
                    f"Customer {target['name']} has another domain or region than Cloud Identity "
                    f"{record['cloudIdentityId']}; set overwrite_if_exists to import over it.",
                    "ALREADY_EXISTS",
                )
            if target.get("cloudIdentityId"):
                return reply(target)
        _check_partner(session, body.get("channelPartnerId"))
        doc = _imported(record, target, body.get("channelPartnerId"))
        data.put(session, c.CUSTOMERS, doc["name"], doc)
    return reply(doc)


# ------------------------------------------------------------------ the LROs


def transfer_entitlements(call: Call) -> Response:
    """accounts.customers.transferEntitlements: an LRO ending with TransferEntitlementsResponse."""
    body = json_body(call.request)
    payload = {k: v for k, v in body.items() if k != "requestId"}
    return call.submit("TRANSFER_ENTITLEMENTS", call.name("customer"), payload, body)


def transfer_entitlements_to_google(call: Call) -> Response:
    """accounts.customers.transferEntitlementsToGoogle: an LRO ending with Empty."""
    body = json_body(call.request)
    payload = {k: v for k, v in body.items() if k != "requestId"}
    return call.submit("TRANSFER_ENTITLEMENTS_TO_GOOGLE", call.name("customer"), payload, body)
