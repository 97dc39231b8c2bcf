"""Staff actions on Cloud Channel entitlements (each a long-running operation upstream).

Every service checks the role, re-reads the mirrored entitlement, checks its spec's rules
(`fulfillment.channel.transitions`, through `ActionTarget`), validates its input the way the upstream would (seat
ranges, no seat decrease on a commitment, renewal only on commitments, ...) and records an
outbox action in one transaction. The outbox sends it with a `requestId` and follows the
operation (fulfillment.channel.executors).
"""

from __future__ import annotations

from django.db import transaction

from channelhub.actions.targets import ActionTarget
from channelhub.models import UpstreamAction
from channelhub.services import ServiceError

from .. import selectors
from ..choices import PaymentPlan, PeriodType
from ..models import Customer, Entitlement, Offer
from .common import (
    as_int,
    check_seat_range,
    clean_purchase_order,
    entitlement_snapshot,
    int64,
    offer_definitions,
    seat_definition,
    seat_parameter_for_plan,
    seat_parameter_of_offer,
)

ENTITLEMENTS = ActionTarget(Entitlement, snapshot=entitlement_snapshot, select_related=("offer",))
CUSTOMERS = ActionTarget(Customer)


def _prepare(entitlement, actor, action: str):
    """Permission, a fresh read with its offer, and the spec's rules."""
    doing = f"{ENTITLEMENTS.spec(action).verb} entitlements"
    return ENTITLEMENTS.prepare(entitlement, actor, action, doing)


def _record(entitlement, actor, action: str, payload: dict, message: str = "") -> UpstreamAction:
    return ENTITLEMENTS.record(entitlement, actor, action, payload, message)


@transaction.atomic
def entitlement_suspend(*, entitlement, reason: str = "", actor) -> UpstreamAction:
    """Suspend an active entitlement (the customer keeps its data; service stops); the reason
    staff give goes into the audit trail."""
    entitlement = _prepare(entitlement, actor, "suspend")
    return _record(entitlement, actor, "suspend", {}, message=(reason or "").strip()[:500])


@transaction.atomic
def entitlement_activate(*, entitlement, actor) -> UpstreamAction:
    """Lift a suspension we made ourselves."""
    entitlement = _prepare(entitlement, actor, "activate")
    return _record(entitlement, actor, "activate", {})


@transaction.atomic
def entitlement_cancel(*, entitlement, reason: str = "", actor) -> UpstreamAction:
    """Cancel for good (supervisors): the entitlement disappears upstream."""
    entitlement = _prepare(entitlement, actor, "cancel")
    return _record(entitlement, actor, "cancel", {}, message=(reason or "").strip())


@transaction.atomic
def entitlement_start_paid_service(*, entitlement, actor) -> UpstreamAction:
    """End a trial early and start the paid plan."""
    entitlement = _prepare(entitlement, actor, "start_paid_service")
    return _record(entitlement, actor, "start_paid_service", {})


def _seat_parameter(entitlement) -> str:
    """The seat input this entitlement has (from its parameters, else its offer, else its plan)."""
    names = {
        p.get("name") for p in entitlement.parameters or [] if isinstance(p, dict) and p.get("editable", True)
    }
    for name in ("num_units", "max_units"):
        if name in names:
            return name
    if entitlement.offer is not None:
        name = seat_parameter_of_offer(entitlement.offer.parameter_definitions)
        if name:
            return name
    return seat_parameter_for_plan(entitlement.payment_plan)


@transaction.atomic
def entitlement_change_parameters(
    *, entitlement, seats: int, purchase_order_id: str = "", actor
) -> UpstreamAction:
    """Change the seats: num_units on a commitment (never fewer), max_units on a flexible plan."""
    entitlement = _prepare(entitlement, actor, "change_parameters")
    name = _seat_parameter(entitlement)
    definitions = entitlement.offer.parameter_definitions if entitlement.offer is not None else []
    if definitions and seat_definition(definitions, name) is None:
        raise ServiceError(
            f"The offer of entitlement {entitlement} has no seat parameter ({name}) to change."
        )
    count = check_seat_range(seats, seat_definition(definitions, name), what=f"Entitlement {entitlement}")
    current = entitlement.num_units if name == "num_units" else entitlement.max_units
    if current is not None and count == current:
        raise ServiceError(f"Entitlement {entitlement} already has {current} seat(s); nothing to change.")
    if entitlement.payment_plan == PaymentPlan.COMMITMENT and current is not None and count < current:
        raise ServiceError(
            f"Entitlement {entitlement} is on a commitment plan of {current} seats; seats cannot be "
            f"decreased during the commitment (asked for {count}). Lower them at renewal instead "
            "(renewal settings: resize to the seats in use).",
            code="seats",
        )
    payload = {"parameters": [{"name": name, "value": int64(count)}]}
    purchase_order = clean_purchase_order(purchase_order_id)
    if purchase_order:
        payload["purchaseOrderId"] = purchase_order
    return _record(
        entitlement,
        actor,
        "change_parameters",
        payload,
        message=f"{name}: {current if current is not None else '—'} → {count}",
    )


RENEWAL_CYCLES = {
    PaymentPlan.COMMITMENT: (PeriodType.YEAR, PeriodType.MONTH),
    PaymentPlan.FLEXIBLE: (PeriodType.MONTH,),
}


@transaction.atomic
def entitlement_change_renewal(
    *,
    entitlement,
    enable_renewal: bool,
    resize_unit_count: bool = False,
    payment_plan: str = PaymentPlan.COMMITMENT,
    period_type: str = PeriodType.YEAR,
    actor,
) -> UpstreamAction:
    """Change what happens at the end of a commitment: renew (on which plan) or not."""
    entitlement = _prepare(entitlement, actor, "change_renewal")
    settings = {"enableRenewal": bool(enable_renewal)}
    if enable_renewal:
        cycles = RENEWAL_CYCLES.get(payment_plan)
        if cycles is None:
            raise ServiceError("A renewal is on a commitment or a flexible plan.")
        if period_type not in cycles:
            raise ServiceError(
                f"A {PaymentPlan(payment_plan).label.lower()} renewal is paid per "
                f"{' or '.join(PeriodType(c).label.lower() for c in cycles)}."
            )
        settings.update(
            resizeUnitCount=bool(resize_unit_count),
            paymentPlan=payment_plan,
            paymentCycle={"duration": 1, "periodType": period_type},
        )
    current = entitlement.renewal_settings or {}
    if _same_renewal(current, settings):
        raise ServiceError(
            f"Entitlement {entitlement} already has these renewal settings; nothing to change."
        )
    return _record(entitlement, actor, "change_renewal", {"renewalSettings": settings})


def _same_renewal(current: dict, wanted: dict) -> bool:
    if bool(current.get("enableRenewal")) != wanted["enableRenewal"]:
        return False
    if not wanted["enableRenewal"]:
        return True
    cycle = current.get("paymentCycle") or {}
    return (
        bool(current.get("resizeUnitCount")) == wanted["resizeUnitCount"]
        and current.get("paymentPlan") == wanted["paymentPlan"]
        and cycle.get("periodType") == wanted["paymentCycle"]["periodType"]
        and as_int(cycle.get("duration") or 1) == 1
    )


def _offer_parameters(offer: dict, seats, *, what: str, default_seats=None) -> list[dict]:
    """The seat parameter a new offer needs, validated against its definitions."""
    definitions = offer_definitions(offer)
    name = seat_parameter_of_offer(definitions)
    if name is None:
        return []
    definition = seat_definition(definitions, name)
    if seats in (None, ""):
        seats = default_seats
    if seats in (None, ""):
        if definition.get("optional"):
            return []
        raise ServiceError(f"{what} needs a number of seats ({name}).", code="seats")
    count = check_seat_range(seats, definition, what=what)
    return [{"name": name, "value": int64(count)}]


def entitlement_change_offer(
    *, entitlement, offer: str, seats: int | None = None, purchase_order_id: str = "", actor
) -> UpstreamAction:
    """Switch to another offer (plan or SKU), chosen from what the customer can switch to."""
    offer_name = (offer or "").strip()
    if not offer_name:
        raise ServiceError("Choose the offer to change to.", code="required")
    entitlement = _prepare(entitlement, actor, "change_offer")
    if offer_name == entitlement.offer_id:
        raise ServiceError(f"Entitlement {entitlement} is already on offer {offer_name}.")
    # Asked upstream outside the transaction (an HTTP call must not hold the database).
    choices, source = selectors.offers_for_change(entitlement=entitlement)
    chosen = next((o for o in choices if o.get("name") == offer_name), None)
    if chosen is None:
        where = "Cloud Channel" if source == "upstream" else "the mirrored offers of this product"
        raise ServiceError(
            f"Offer {offer_name} is not one entitlement {entitlement} can change to (per {where}).",
            code="offer",
        )
    parameters = _offer_parameters(chosen, seats, what=f"Offer {offer_name}", default_seats=entitlement.seats)
    payload = {"offer": offer_name}
    if parameters:
        payload["parameters"] = parameters
    purchase_order = clean_purchase_order(purchase_order_id)
    if purchase_order:
        payload["purchaseOrderId"] = purchase_order
    with transaction.atomic():
        entitlement = _prepare(entitlement, actor, "change_offer")
        return _record(
            entitlement,
            actor,
            "change_offer",
            payload,
            message=f"{entitlement.offer_id or '—'} → {offer_name}",
        )


def _offer_check(mirrored, offer_name: str):
    """The mirrored offer is current and of a product the customer has none of: by
    entitlement_create, and again under the customer's lock (an entitlement the sender just
    created counts). The customer's own rules are its spec's (`can_buy`)."""

    def check(fresh) -> None:
        if mirrored is None or mirrored.is_gone:
            raise ServiceError(f"Offer {offer_name or '(none)'} is not a known, current offer.", code="offer")
        # One entitlement per product upstream: another SKU of a product it has is a change of offer.
        owned = selectors.entitlement_of_product(
            customer_id=fresh.pk, sku_id=mirrored.sku_id, product_id=mirrored.product_id
        )
        if owned is not None:
            raise ServiceError(
                f"Customer {fresh} already has entitlement {owned} ({owned.offer_id or owned.sku_id}) of this "
                "product; change that one's offer or seats instead.",
                code="offer",
            )

    return check


def entitlement_create(
    *, customer, offer: str, seats: int | None = None, purchase_order_id: str = "", actor
) -> UpstreamAction:
    """Buy an offer for a customer: a new entitlement (the action's target is the customer)."""
    offer_name = (offer or "").strip()
    mirrored = Offer.objects.filter(pk=offer_name).first() if offer_name else None
    check = _offer_check(mirrored, offer_name)
    fresh = CUSTOMERS.prepare(customer, actor, "create_entitlement", "create entitlements", check=check)
    offer_doc = mirrored.payload or {
        "name": offer_name,
        "parameterDefinitions": mirrored.parameter_definitions,
    }
    if mirrored.sku_id:
        purchasable = selectors.offers_for_sku(customer_id=fresh.pk, sku=mirrored.sku_id)
        if purchasable is not None:
            upstream_offer = next((o for o in purchasable if o.get("name") == offer_name), None)
            if upstream_offer is None:
                raise ServiceError(
                    f"Cloud Channel does not offer {mirrored} to customer {fresh}.", code="offer"
                )
            offer_doc = upstream_offer
    entitlement = {"offer": offer_name}
    parameters = _offer_parameters(offer_doc, seats, what=f"Offer {mirrored}")
    if parameters:
        entitlement["parameters"] = parameters
    purchase_order = clean_purchase_order(purchase_order_id)
    if purchase_order:
        entitlement["purchaseOrderId"] = purchase_order
    with transaction.atomic():
        return CUSTOMERS.record(
            fresh,
            actor,
            "create_entitlement",
            {"entitlement": entitlement},
            message=f"new entitlement: {mirrored}",
            check=check,
            before=None,
        )
