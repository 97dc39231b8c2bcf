"""How the two transfer actions are sent, followed and written back (see executors.py for
the long-running operation mechanics they share with every entitlement action).

Transfer in (`channel.customer.transfer_in`), one outbox attempt:
1. the customer: the one named in the payload, or the one an earlier attempt imported
   (kept on the action), or `customers:import` of the Cloud Identity now (a repeat answers
   the same customer, so a lost answer costs nothing); it is written to the mirror at once;
2. `transferEntitlements` with the action's `requestId`, followed like every operation (a
   re-sent POST is the same operation upstream: one transfer, however many attempts);
3. done -> the new entitlements into the mirror, then each re-read.

Transfer to Google (`channel.customer.transfer_to_google`): the operation, then the
entitlements marked gone as transferred (the sync's history check agrees: RELATIONSHIP_ENDED
or PARTIAL_TRANSFER).

Wrappers: {"customer": {...}, "entitlements": [...], "operation": name} and {"gone_many":
[names], "model": "Entitlement", "reason": "transferred", "operation": name}.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from channelhub.models import GoneReason, UpstreamAction
from channelhub.sync.upsert import upsert_rows
from channelhub.upstream.errors import UpstreamNotFound, UpstreamRetryable

from . import mappers
from .executors import ChannelExecutor, _customer_name, _model, _offer_payload, _remember

logger = logging.getLogger(__name__)


def _sku_of(entitlement: dict) -> str:
    service = entitlement.get("provisionedService") or {}
    product, sku = service.get("productId"), service.get("skuId")
    return f"products/{product}/skus/{sku}" if product and sku else ""


class TransferInExecutor(ChannelExecutor):
    """Import the customer if need be, then transfer its chosen subscriptions to us."""

    def _customer(self, action: UpstreamAction, client) -> str:
        """Our customer's name for the Cloud Identity: given, remembered, or imported now."""
        payload = action.payload or {}
        state = dict(action.response or {})
        name = payload.get("customer") or state.get("customer")
        if name:
            return name
        doc = client.import_customer(
            cloud_identity_id=payload["cloudIdentityId"], domain=payload.get("domain") or ""
        )
        with transaction.atomic():
            self.write_mirror({"customer": doc})
        state["customer"] = doc["name"]
        _remember(action, state)
        logger.info("action %s: imported customer %s", action.pk, doc["name"])
        return doc["name"]

    def send(self, action, client) -> dict:
        """Import (if needed) and transfer; the customer and its new entitlements as they are now."""
        customer = self._customer(action, client)
        entitlements = (action.payload or {}).get("entitlements") or []
        operation, result = self.run_operation(
            action, client, lambda rid: client.transfer_entitlements(customer, entitlements, request_id=rid)
        )
        moved = [e for e in result.get("entitlements") or [] if isinstance(e, dict) and e.get("name")]
        with transaction.atomic():
            self.write_mirror({"entitlements": moved})
        current = []
        for doc in moved:
            try:
                current.append(client.get_entitlement(doc["name"]))
            except (UpstreamRetryable, UpstreamNotFound):
                current.append(doc)  # the operation's answer stands
        out = {"customer_name": customer, "entitlements": current, "operation": operation}
        try:
            out["customer"] = client.get_customer(customer)
        except (UpstreamRetryable, UpstreamNotFound):
            logger.warning("action %s: could not re-read customer %s after the transfer", action.pk, customer)
        return out

    def current(self, action, client) -> dict:
        """The customer's entitlements upstream, when the customer is known to be ours."""
        name = (action.payload or {}).get("customer") or (action.response or {}).get("customer")
        if not name:
            return {}
        try:
            return {
                "customer": client.get_customer(name),
                "customer_name": name,
                "entitlements": client.customer_entitlements(customer=name),
            }
        except UpstreamNotFound:
            return {}

    def is_applied(self, action, obj) -> bool:
        """Applied when the customer holds every SKU asked for."""
        wanted = set((action.payload or {}).get("skus") or [])
        held = {_sku_of(e) for e in obj.get("entitlements") or []}
        return bool(wanted) and wanted <= held

    def write_mirror(self, obj: dict) -> None:
        """The customer, then its entitlements."""
        if obj.get("customer"):
            super().write_mirror({"customer": obj["customer"]})
        rows = [
            (
                doc["name"],
                mappers.map_entitlement(doc, customer_name=_customer_name(doc), offer=_offer_payload(doc)),
                doc,
            )
            for doc in obj.get("entitlements") or []
        ]
        if rows:
            upsert_rows(_model("Entitlement"), rows)

    def snapshot(self, obj: dict) -> dict:
        """The customer and what came over."""
        return {
            "customer": obj.get("customer_name") or (obj.get("customer") or {}).get("name", ""),
            "transferred": [e.get("name") for e in obj.get("entitlements") or []],
            "operation": obj.get("operation", ""),
        }


class TransferToGoogleExecutor(ChannelExecutor):
    """`transferEntitlementsToGoogle` for some of a customer's entitlements."""

    def send(self, action, client) -> dict:
        """The operation; then those entitlements are gone for us."""
        names = (action.payload or {}).get("entitlements") or []
        operation, _ = self.run_operation(
            action,
            client,
            lambda rid: client.transfer_entitlements_to_google(action.target_id, names, request_id=rid),
        )
        return {
            "gone_many": names,
            "model": "Entitlement",
            "reason": GoneReason.TRANSFERRED,
            "operation": operation,
        }

    def current(self, action, client) -> dict:
        """Which of the entitlements the customer still has upstream."""
        names = set((action.payload or {}).get("entitlements") or [])
        held = {e.get("name") for e in client.customer_entitlements(customer=action.target_id)}
        return {
            "still_held": sorted(names & held),
            "gone_many": sorted(names - held),
            "reason": GoneReason.TRANSFERRED,
        }

    def is_applied(self, action, obj) -> bool:
        """Applied when none of them is held any more."""
        return "still_held" in obj and not obj["still_held"]

    def write_mirror(self, obj: dict) -> None:
        """The entitlements that left, marked gone as transferred."""
        names = obj.get("gone_many") or []
        if names:
            _model("Entitlement").objects.filter(pk__in=names, gone_at__isnull=True).update(
                gone_at=timezone.now(), gone_reason=obj.get("reason") or GoneReason.TRANSFERRED
            )

    def snapshot(self, obj: dict) -> dict:
        """What went to Google."""
        return {"to_google": obj.get("gone_many") or [], "operation": obj.get("operation", "")}
