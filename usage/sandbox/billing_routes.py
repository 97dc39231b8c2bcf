"""The routes of the listings and Connect's subscriptions API under /public/v1, with Connect's
ApiKey check, RQL lists with `Content-Range` and Connect's error bodies:

    GET  /listings, /listings/{id}                                   dp.Listing
    GET  /subscriptions/assets, /subscriptions/assets/{id}           subscriptions.Subscription
    GET  /subscriptions/requests, /subscriptions/requests/{id}       subscriptions.BillingRequest
    POST /subscriptions/requests                                     NewBillingRequest -> 201
    PUT  /subscriptions/requests/{id}/attributes                     subscriptions.Attribute -> 200

A create names its asset by `asset_id` or `asset_external_uid`, its items by the asset's item ids,
and its period (`period_from` < `period_to`, `period_delta` >= 0, `period_uom` in the spec's
enum); whatever is wrong comes back at once as 400 `VAL_001` with one message per problem.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from werkzeug.routing import Rule

from channelhub.sandbox.common import ApiError, json_body, json_response, not_found, now_iso
from channelhub.sandbox.connect.routes import PREFIX, authenticated, collection_views
from channelhub.sandbox.rql import normalise_datetime

from . import billing_shapes as shapes
from .billing_life import add_request, set_attributes

KINDS = ("vendor", "provider")
SIDES = ("vendor", "provider")


def _find_asset(session, body: dict, errors: list[str]) -> dict | None:
    asset_id, external_uid = body.get("asset_id"), body.get("asset_external_uid")
    if asset_id:
        sub = session.get("subscription_assets", str(asset_id))
        if sub is None:
            errors.append(f"asset_id: Asset {asset_id} not found.")
        return sub
    if external_uid:
        ident = session.scalar(
            "SELECT id FROM subscription_assets WHERE external_uid = ? ORDER BY id LIMIT 1",
            (str(external_uid),),
        )
        if ident is None:
            errors.append(f"asset_external_uid: Asset with external_uid {external_uid} not found.")
            return None
        return session.get("subscription_assets", ident)
    errors.append("asset_id: Either asset_id or asset_external_uid is required.")
    return None


def _items(body: dict, sub: dict | None, errors: list[str]) -> list[dict]:
    items = body.get("items")
    if not isinstance(items, list) or not items:
        errors.append("items: This field is required (a non-empty list of the asset's items).")
        return []
    known = {i["id"] for i in (sub or {}).get("items", [])}
    out = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not item.get("id"):
            errors.append(f"items[{index}]: Expected an object with the item's id.")
            continue
        if sub is not None and item["id"] not in known:
            errors.append(f"items[{index}]: Item {item['id']} is not an item of asset {sub['id']}.")
        quantity = item.get("quantity")
        if quantity is not None and (
            isinstance(quantity, bool) or not isinstance(quantity, int | float) or quantity < 0
        ):
            errors.append(f"items[{index}].quantity: A non-negative number is required.")
        out.append({"id": item["id"], "quantity": quantity})
    return out


def _period(body: dict, errors: list[str]) -> tuple[str | None, str | None]:
    bounds = []
    for field in ("period_from", "period_to"):
        value = body.get(field)
        normal = normalise_datetime(str(value)) if isinstance(value, str) and value else None
        if value in (None, ""):
            errors.append(f"{field}: This field is required.")
        elif normal is None:
            errors.append(f"{field}: Datetime has wrong format, use ISO 8601 (YYYY-MM-DDThh:mm:ss+00:00).")
        bounds.append(normal)
    start, end = bounds
    if start and end and end <= start:
        errors.append("period_to: The end of the period must be after its start (period_from).")
    return start, end


def _delta_and_uom(body: dict, errors: list[str]):
    delta = body.get("period_delta")
    if delta is None:
        errors.append("period_delta: This field is required.")
    else:
        try:
            if isinstance(delta, bool) or Decimal(str(delta)) < 0:
                raise InvalidOperation
        except InvalidOperation:
            errors.append("period_delta: A number greater than or equal to 0 is required.")
    uom = body.get("period_uom")
    if uom is None:
        errors.append("period_uom: This field is required.")
    elif uom not in shapes.UOM_MONTHS:
        errors.append(f'period_uom: "{uom}" is not a valid choice ({", ".join(shapes.UOM_MONTHS)}).')
    return delta, uom


def check_attributes(body, errors: list[str], prefix: str = "") -> dict:
    """A `subscriptions.Attribute`: an object with only `vendor` and/or `provider`, each an object."""
    if body is None:
        return {}
    if not isinstance(body, dict):
        errors.append(f"{prefix}Expected an object with vendor and/or provider attributes.")
        return {}
    for key, value in body.items():
        if key not in SIDES:
            errors.append(f"{prefix}{key}: Unknown attribute side (vendor or provider).")
        elif value is not None and not isinstance(value, dict):
            errors.append(f"{prefix}{key}: Expected an object.")
    return body


@authenticated
def create_request(ctx, request):
    """POST /subscriptions/requests: a NewBillingRequest -> 201 with the billing request."""
    body = json_body(request)
    errors: list[str] = []
    kind = body.get("type", "vendor")
    if kind not in KINDS:
        errors.append(f'type: "{kind}" is not a valid choice (vendor, provider).')
    start, end = _period(body, errors)
    delta, uom = _delta_and_uom(body, errors)
    attributes = check_attributes(body.get("attributes"), errors, "attributes.")
    with ctx.session() as session, session.write():
        sub = _find_asset(session, body, errors)
        items = _items(body, sub, errors)
        if errors:
            raise ApiError(400, "VAL_001", errors)
        doc = add_request(
            session,
            sub,
            kind=kind,
            items=items,
            attributes={k: dict(v or {}) for k, v in attributes.items()},
            start=start,
            end=end,
            delta=delta,
            uom=uom,
            when=now_iso(),
        )
    return json_response(doc, 201)


@authenticated
def put_attributes(ctx, request, ident):
    """PUT /subscriptions/requests/{id}/attributes: replaces the sides given -> 200 with the attributes."""
    body = json_body(request)
    errors: list[str] = []
    check_attributes(body, errors)
    with ctx.session() as session, session.write():
        doc = session.get("billing_requests", ident)
        if doc is None:
            raise not_found("Billing request", ident)
        if errors:
            raise ApiError(400, "VAL_001", errors)
        attributes = set_attributes(session, doc, body, now_iso())
    return json_response(attributes)


def rules() -> list[Rule]:
    """Every route of the module (the core's map matches them with or without a trailing slash)."""
    out = []
    out.extend(collection_views("/listings", "listings", "Listing"))
    out.extend(collection_views("/subscriptions/assets", "subscription_assets", "Subscription"))
    out.extend(collection_views("/subscriptions/requests", "billing_requests", "Billing request"))
    out.append(Rule(PREFIX + "/subscriptions/requests", endpoint=create_request, methods=["POST"]))
    out.append(
        Rule(PREFIX + "/subscriptions/requests/<ident>/attributes", endpoint=put_attributes, methods=["PUT"])
    )
    return out
