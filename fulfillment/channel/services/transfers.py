"""Transfers (supervisors only): bring a customer's subscriptions over from another reseller
(or from Google direct), and hand a customer's entitlements back to Google.

Each is one outbox action with a `requestId` (its idempotency key), followed through its
long-running operation by `fulfillment.channel.executors_transfer`; the results land in the
mirror and the audit trail. The customer's auth token is used by the lookup only
(`selectors.transfer_lookup`) and is never part of an action, a log line or an audit event:
Google lets the transfer itself go without it once it has been presented.
"""

from __future__ import annotations

from django.db import transaction

from channelhub.models import UpstreamAction
from channelhub.services import ServiceError, require_perm

from .. import selectors
from .common import channel_account, check_seat_range, clean_purchase_order, clean_text, int64
from .customers import CUSTOMERS

TRANSFER_PERM = "fulfillment.transfer_customer"


def transfer_in_target(cloud_identity_id: str) -> str:
    """The outbox target of a transfer in for a customer that is not ours yet (one open
    transfer per Cloud Identity)."""
    return f"{channel_account()}/customers?cloudIdentityId={cloud_identity_id}"


def _chosen_entitlement(choice, item: dict) -> dict:
    """One TransferEntitlementsRequest entitlement from a choice and what staff picked."""
    sku = choice.sku
    if not sku.eligible:
        raise ServiceError(f"{sku.display_name} cannot be transferred: {choice.words}", code="ineligible")
    offer = next((o for o in choice.offers if o["name"] == item.get("offer")), None)
    if offer is None:
        raise ServiceError(
            f"Choose one of the offers Google offers {sku.display_name} for the transfer.", code="offer"
        )
    entitlement: dict = {"offer": offer["name"]}
    if offer["seat_parameter"]:
        seats = item.get("seats")
        seats = offer["min_seats"] if seats in (None, "") else seats
        count = check_seat_range(seats, offer["definition"], what=sku.display_name)
        entitlement["parameters"] = [{"name": offer["seat_parameter"], "value": int64(count)}]
    purchase_order = clean_purchase_order(item.get("purchase_order_id"))
    if purchase_order:
        entitlement["purchaseOrderId"] = purchase_order
    return entitlement


def customer_transfer_in(*, cloud_identity_id: str, entitlements: list[dict], actor) -> UpstreamAction:
    """Transfer the chosen subscriptions of a customer (by Cloud Identity id) to us.

    `entitlements`: [{"sku": "products/P/skus/S", "offer": <offer name>, "seats": n,
    "purchase_order_id": ""}], among what `selectors.transfer_lookup` found eligible. The
    lookup runs again here (without the token: Google remembers it was presented), so a
    choice that is no longer possible is refused before anything is queued. The outbox
    imports the customer if it is not ours yet, then transfers.
    """
    spec = CUSTOMERS.spec("transfer_in")
    require_perm(actor, spec.perm, "transfer customers in")
    cloud_identity_id = clean_text(cloud_identity_id, "The Cloud Identity id", required=True, max_length=64)
    if not entitlements:
        raise ServiceError("Choose at least one subscription to transfer.", code="required")
    lookup = selectors.transfer_lookup(cloud_identity_id=cloud_identity_id)
    by_sku = {choice.sku.name: choice for choice in lookup.choices}
    body, skus = [], []
    for item in entitlements:
        choice = by_sku.get(item.get("sku") or "")
        if choice is None:
            raise ServiceError(
                f"{item.get('sku')} is not held by this customer elsewhere (any more); look it up again.",
                code="missing",
            )
        body.append(_chosen_entitlement(choice, item))
        skus.append(choice.sku.name)
    if len(set(skus)) != len(skus):
        raise ServiceError("Each SKU can be transferred once.", code="duplicate")
    customer = lookup.customer
    payload = {
        "cloudIdentityId": lookup.cloud_identity_id,
        "domain": lookup.domain,
        "customer": customer.pk if customer else "",
        "entitlements": body,
        "skus": skus,
    }
    names = ", ".join(by_sku[s].sku.display_name for s in skus)
    with transaction.atomic():
        return CUSTOMERS.record(
            None,
            actor,
            "transfer_in",
            payload,
            message=f"transfer in from {lookup.domain or lookup.cloud_identity_id}: {names}",
            target_id=customer.pk if customer else transfer_in_target(lookup.cloud_identity_id),
            before=None,
        )


def _check_transferable(names: list[str]):
    def check(customer) -> None:
        live = set(
            selectors.live_entitlements(customer_id=customer.pk)
            .filter(pk__in=names)
            .values_list("pk", flat=True)
        )
        missing = [n.rsplit("/", 1)[-1] for n in names if n not in live]
        if missing:
            raise ServiceError(f"Not live entitlements of {customer}: {', '.join(missing)}.", code="missing")

    return check


def entitlements_transfer_to_google(*, customer, entitlements: list[str], actor) -> UpstreamAction:
    """Hand some of a customer's entitlements back to Google (they end for us). The
    customer stays; Google records RELATIONSHIP_ENDED when none is left, PARTIAL_TRANSFER
    otherwise, and the sync marks them gone as transferred."""
    names = list(dict.fromkeys(str(n) for n in entitlements or [] if n))
    if not names:
        raise ServiceError("Choose at least one entitlement to transfer to Google.", code="required")
    check = _check_transferable(names)
    customer = CUSTOMERS.prepare(
        customer, actor, "transfer_to_google", "transfer entitlements to Google", check=check
    )
    with transaction.atomic():
        return CUSTOMERS.record(
            customer,
            actor,
            "transfer_to_google",
            {"entitlements": names},
            message=f"to Google: {', '.join(n.rsplit('/', 1)[-1] for n in names)}",
            check=check,
        )


__all__ = ["TRANSFER_PERM", "customer_transfer_in", "entitlements_transfer_to_google", "transfer_in_target"]
