"""How each Channel action kind is sent, followed and written back (see channelhub.actions).

Entitlement actions, entitlement creation and Cloud Identity provisioning are long-running
operations upstream. One outbox attempt:

1. polls the operation an earlier attempt stored on the action, or else POSTs the call with
   `requestId` (the action's idempotency key, so a re-sent POST is ignored upstream) and
   stores the operation's name on the action at once;
2. waits for it up to CHANNEL_LRO_WAIT_SECONDS; still running -> `UpstreamRetryable`, and the
   sender's next attempt polls the stored operation instead of POSTing again;
3. done -> writes its result into the mirror, then re-reads the object (GET), so the mirror
   equals upstream. Cancel answers Empty: the entitlement is marked gone ("cancelled").

An operation that ended in an error is over: the action fails with the upstream's reason in
plain words (or is retried, for transient codes), and the next POST - a retry, or a
supervisor's - starts a new operation with a new requestId derived from the key ("round"),
since the upstream would answer the old requestId with the old, failed operation.

Customers and partner links have no requestId; their calls answer at once. A customer
create that may have reached the upstream is looked up by domain before it is sent again.

Executors hand the sender a small wrapper, stored as the action's response and written to
the mirror: {"entitlement": {...}} / {"customer": {...}} / {"link": {...}} / {"gone": name,
"model": ..., "reason": ...}, plus the "operation" name when there was one.
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from channelhub.actions.executors import Executor
from channelhub.models import GoneReason, UpstreamAction
from channelhub.sync.upsert import upsert_rows
from channelhub.upstream.channel import (
    ChannelClient,
    ChannelOperationFailed,
    ChannelOperationRetryable,
    operation_result,
)
from channelhub.upstream.channel_words import plain_words
from channelhub.upstream.errors import UpstreamNotFound, UpstreamRejected, UpstreamRetryable

from . import mappers
from . import models as channel_models
from .choices import ProvisioningState, SuspensionReason

logger = logging.getLogger(__name__)

UPSTREAM = "channel"


def request_id(action: UpstreamAction) -> str:
    """The requestId of the action's current round: its idempotency key, made when it was
    queued and reused by every retry; a new one only after an operation definitively ended."""
    round_ = int((action.response or {}).get("round") or 0)
    if round_ == 0:
        return str(action.idempotency_key)
    return str(uuid.uuid5(action.idempotency_key, f"round-{round_}"))


def _remember(action: UpstreamAction, state: dict) -> None:
    """Store progress on the action at once (its own UPDATE, outside the sender's bookkeeping),
    so a worker that dies now still leaves the operation to follow."""
    action.response = state
    UpstreamAction.objects.filter(pk=action.pk).update(response=state, updated_at=timezone.now())


class ChannelExecutor(Executor):
    """Base: the client, the mirror writes, and following long-running operations."""

    def client(self):
        """A Cloud Channel client from settings."""
        return ChannelClient.from_settings()

    # -- long-running operations

    def run_operation(self, action: UpstreamAction, client, start) -> tuple[str, dict]:
        """Start (`start(request_id)`, a write of the client) or resume the operation and wait
        for it: (operation name, its result)."""
        state = dict(action.response or {})
        operation = None
        if state.get("operation"):
            try:
                operation = client.get_operation(state["operation"])
                state["polls"] = int(state.get("polls") or 0) + 1
                _remember(action, state)  # counted even when this attempt waits no further
            except UpstreamNotFound:
                # Forgotten upstream: POST again; the same requestId keeps it a single change.
                logger.warning(
                    "action %s: operation %s is gone; sending again", action.pk, state["operation"]
                )
                operation = None
        if operation is None:
            operation = start(request_id(action))
            state["operation"] = operation.get("name") or ""
            state["started_at"], state["polls"] = timezone.now().isoformat(), 0
            _remember(action, state)
            logger.info("action %s %s: operation %s started", action.pk, action.kind, state["operation"])

        def polled(_operation) -> None:
            state["polls"] = int(state.get("polls") or 0) + 1
            _remember(action, state)

        operation = client.wait_operation(
            operation, timeout=settings.CHANNEL_LRO_WAIT_SECONDS, on_poll=polled
        )
        name = operation.get("name") or state.get("operation") or ""
        if not operation.get("done"):
            raise UpstreamRetryable(
                f"operation {name} is still running",
                upstream=UPSTREAM,
                code="OPERATION_RUNNING",
                errors=[f"Google is still working on it (operation {name}); the outbox checks again later."],
                method="OPERATION",
                url=name,
            )
        try:
            return name, operation_result(operation)
        except (ChannelOperationFailed, ChannelOperationRetryable):
            # This operation is over; whatever comes next is a new one with a new requestId.
            failed = [*state.get("failed_operations", []), name][-10:]
            _remember(action, {"round": int(state.get("round") or 0) + 1, "failed_operations": failed})
            raise

    # -- mirror

    def write_mirror(self, obj: dict) -> None:
        """The wrapper's object into the mirror (or its row marked gone)."""
        if obj.get("entitlement"):
            doc = obj["entitlement"]
            fields = mappers.map_entitlement(
                doc, customer_name=_customer_name(doc), offer=_offer_payload(doc)
            )
            upsert_rows(_model("Entitlement"), [(doc["name"], fields, doc)])
        if obj.get("customer"):
            doc = obj["customer"]
            upsert_rows(_model("Customer"), [(doc["name"], mappers.map_customer(doc), doc)])
        if obj.get("link"):
            doc = obj["link"]
            upsert_rows(
                _model("ChannelPartnerLink"), [(doc["name"], mappers.map_channel_partner_link(doc), doc)]
            )
        if obj.get("gone"):
            model = _model(obj.get("model") or "Entitlement")
            model.objects.filter(pk=obj["gone"], gone_at__isnull=True).update(
                gone_at=timezone.now(), gone_reason=obj.get("reason") or GoneReason.UNKNOWN
            )

    def snapshot(self, obj: dict) -> dict:
        """The few fields of the object an audit event keeps as 'after'."""
        if obj.get("entitlement"):
            doc = obj["entitlement"]
            return {
                "provisioning_state": doc.get("provisioningState"),
                "suspension_reasons": doc.get("suspensionReasons") or [],
                "offer": doc.get("offer"),
                "parameters": {p.get("name"): _value(p) for p in doc.get("parameters") or []},
                "operation": obj.get("operation", ""),
            }
        if obj.get("customer"):
            doc = obj["customer"]
            return {
                "name": doc.get("name"),
                "org_display_name": doc.get("orgDisplayName"),
                "domain": doc.get("domain"),
                "cloud_identity_id": doc.get("cloudIdentityId", ""),
                "operation": obj.get("operation", ""),
            }
        if obj.get("link"):
            return {"link_state": obj["link"].get("linkState")}
        if obj.get("gone"):
            return {"gone": obj["gone"], "reason": obj.get("reason"), "operation": obj.get("operation", "")}
        return {}


def _customer_name(entitlement: dict) -> str:
    """The customer's orgDisplayName the entitlement row carries (from the mirror)."""
    name = (
        _model("Customer")
        .objects.filter(pk=mappers.customer_of(entitlement.get("name") or ""))
        .values_list("org_display_name", flat=True)
    ).first()
    return name or ""


def _offer_payload(entitlement: dict) -> dict | None:
    """The mirrored offer's payload: the mapper reads the plan and SKU from it."""
    offer = entitlement.get("offer")
    if not offer:
        return None
    return _model("Offer").objects.filter(pk=offer).values_list("payload", flat=True).first()


def _model(name: str):
    return getattr(channel_models, name)


def _value(parameter: dict):
    value = parameter.get("value") or {}
    for key in ("int64Value", "stringValue", "doubleValue", "boolValue"):
        if key in value:
            return value[key]
    return None


def _read_entitlement(client, name: str, *, gone_reason: str = GoneReason.UNKNOWN) -> dict:
    try:
        return {"entitlement": client.get_entitlement(name)}
    except UpstreamNotFound:
        return {"gone": name, "model": "Entitlement", "reason": gone_reason}


# --- entitlements ----------------------------------------------------------------------------


# Our verb -> the entitlement method upstream.
ENTITLEMENT_METHODS = {
    "suspend": "suspend",
    "activate": "activate",
    "cancel": "cancel",
    "change_parameters": "changeParameters",
    "change_offer": "changeOffer",
    "change_renewal": "changeRenewalSettings",
    "start_paid_service": "startPaidService",
}


class EntitlementExecutor(ChannelExecutor):
    """One entitlement method (`…/entitlements/E:<method>`), a long-running operation."""

    def send(self, action, client) -> dict:
        """Run the method's operation; then the entitlement as it is now (or gone, for cancel)."""
        name = action.target_id
        body = dict(action.payload or {})
        operation, result = self.run_operation(
            action,
            client,
            lambda rid: client.entitlement_operation(
                name, ENTITLEMENT_METHODS[self.verb], body, request_id=rid
            ),
        )
        if self.verb == "cancel":
            return {
                "gone": name,
                "model": "Entitlement",
                "reason": GoneReason.CANCELLED,
                "operation": operation,
            }
        if result.get("name"):
            # The operation's answer first, so the mirror has it even if the re-read fails.
            with transaction.atomic():
                self.write_mirror({"entitlement": result})
        try:
            current = _read_entitlement(client, name)
        except UpstreamRetryable:
            logger.warning("action %s: could not re-read %s; the operation's answer stands", action.pk, name)
            current = {"entitlement": result} if result.get("name") else {}
        return {**current, "operation": operation}

    def current(self, action, client) -> dict:
        """The entitlement upstream (or gone)."""
        reason = GoneReason.CANCELLED if self.verb == "cancel" else GoneReason.UNKNOWN
        return _read_entitlement(client, action.target_id, gone_reason=reason)

    def is_applied(self, action, obj) -> bool:
        """Whether the entitlement upstream already shows this verb done."""
        if self.verb == "cancel":
            return bool(obj.get("gone"))
        doc = obj.get("entitlement")
        if not doc:
            return False
        payload = action.payload or {}
        if self.verb == "suspend":
            return doc.get("provisioningState") == ProvisioningState.SUSPENDED and (
                SuspensionReason.RESELLER_INITIATED in (doc.get("suspensionReasons") or [])
            )
        if self.verb == "activate":
            return doc.get("provisioningState") == ProvisioningState.ACTIVE
        if self.verb == "change_parameters":
            have = {p.get("name"): _value(p) for p in doc.get("parameters") or []}
            return all(have.get(p["name"]) == _value(p) for p in payload.get("parameters", []))
        if self.verb == "change_offer":
            return doc.get("offer") == payload.get("offer")
        if self.verb == "change_renewal":
            have = (doc.get("commitmentSettings") or {}).get("renewalSettings") or {}
            want = payload.get("renewalSettings") or {}
            return all(have.get(k) == v for k, v in want.items())
        if self.verb == "start_paid_service":
            return not (doc.get("trialSettings") or {}).get("trial")
        return False


class EntitlementCreateExecutor(ChannelExecutor):
    """`…/customers/C/entitlements` with {entitlement, requestId}; the target is the customer."""

    def send(self, action, client) -> dict:
        """Create it (an operation); then the new entitlement as it is now."""
        customer = action.target_id
        operation, result = self.run_operation(
            action,
            client,
            lambda rid: client.create_entitlement(customer, action.payload["entitlement"], request_id=rid),
        )
        if not result.get("name"):
            return {"operation": operation}
        with transaction.atomic():
            self.write_mirror({"entitlement": result})
        try:
            current = _read_entitlement(client, result["name"])
        except UpstreamRetryable:
            current = {"entitlement": result}
        return {**current, "operation": operation}

    def current(self, action, client) -> dict:
        """The customer's entitlement of the offer bought, if there is one already."""
        offer = action.payload["entitlement"].get("offer")
        for doc in client.customer_entitlements(customer=action.target_id):
            if doc.get("offer") == offer:
                return {"entitlement": doc}
        return {}

    def is_applied(self, action, obj) -> bool:
        """Bought already when the customer has an entitlement of that offer."""
        return bool(obj.get("entitlement"))


# --- customers ---------------------------------------------------------------------------------


def _domain_of_create(action) -> str:
    return (action.payload.get("customer") or {}).get("domain", "")


class CustomerExecutor(ChannelExecutor):
    """Customer create, update, delete and Cloud Identity provisioning."""

    def current(self, action, client) -> dict:
        """The customer upstream (a creation: looked up by its domain), or gone."""
        if self.verb == "create":
            found = client.customers_with_domain(domain=_domain_of_create(action))
            return {"customer": found[0]} if found else {}
        try:
            return {"customer": client.get_customer(action.target_id)}
        except UpstreamNotFound:
            return {"gone": action.target_id, "model": "Customer", "reason": GoneReason.DELETED}

    def is_applied(self, action, obj) -> bool:
        """Whether the customer upstream already shows this verb done."""
        payload = action.payload or {}
        if self.verb == "delete":
            return bool(obj.get("gone"))
        doc = obj.get("customer")
        if not doc:
            return False
        if self.verb == "create":
            return True
        if self.verb == "provision_cloud_identity":
            return bool(doc.get("cloudIdentityId"))
        if self.verb == "update":
            wanted = payload.get("customer") or {}
            return all(doc.get(k) == v for k, v in wanted.items())
        return False

    def send(self, action, client) -> dict:
        """The verb's write; returns the customer as it is now (or gone)."""
        payload = action.payload or {}
        name = action.target_id
        if self.verb == "create":
            self._check_domain(action, client)
            return {"customer": client.create_customer(payload["customer"])}
        if self.verb == "update":
            return {
                "customer": client.update_customer(
                    name, payload["customer"], update_mask=payload["updateMask"]
                )
            }
        if self.verb == "delete":
            try:
                client.delete_customer(name)
            except UpstreamNotFound:
                pass  # already gone: what was asked
            return {"gone": name, "model": "Customer", "reason": GoneReason.DELETED}
        if self.verb == "provision_cloud_identity":
            operation, result = self.run_operation(
                action,
                client,
                lambda rid: client.provision_cloud_identity(name, dict(payload), request_id=rid),
            )
            if result.get("name"):
                with transaction.atomic():
                    self.write_mirror({"customer": result})
            try:
                current = {"customer": client.get_customer(action.target_id)}
            except UpstreamRetryable:
                current = {"customer": result} if result.get("name") else {}
            return {**current, "operation": operation}
        raise LookupError(self.kind)

    def _check_domain(self, action, client) -> None:
        """The codelab's first step: a domain that already has a Cloud Identity is transferred,
        not created (checked again here: time passed since the action was queued)."""
        domain = _domain_of_create(action)
        for account in client.check_cloud_identity_accounts_exist(domain=domain):
            if account.get("existing"):
                owner = "our customer " + account["customerName"] if account.get("owned") else "someone else"
                raise UpstreamRejected(
                    f"{domain} already has a Cloud Identity account",
                    upstream=UPSTREAM,
                    code="ALREADY_EXISTS",
                    errors=[
                        plain_words("ALREADY_EXISTS"),
                        f"{domain} already has a Cloud Identity account ({owner}); transfer the customer instead.",
                    ],
                    method="POST",
                    url=f"{client.account}:checkCloudIdentityAccountsExist",
                )

    def write_mirror(self, obj: dict) -> None:
        """The customer into the mirror; a deleted one takes its entitlements with it."""
        super().write_mirror(obj)
        if self.verb == "delete" and obj.get("gone"):
            # Its entitlements went with it (deletion needs none, but the mirror may lag).
            _model("Entitlement").objects.filter(customer_id=obj["gone"], gone_at__isnull=True).update(
                gone_at=timezone.now(), gone_reason=GoneReason.DELETED
            )


# --- channel partner links ----------------------------------------------------------------------


class PartnerLinkExecutor(ChannelExecutor):
    """A partner link's new state (a PATCH that answers at once)."""

    def send(self, action, client) -> dict:
        """Set the link state; the link as it is now."""
        return {
            "link": client.update_channel_partner_link_state(action.target_id, action.payload["linkState"])
        }

    def current(self, action, client) -> dict:
        """The link upstream."""
        return {"link": client.get_channel_partner_link(action.target_id)}

    def is_applied(self, action, obj) -> bool:
        """Done when the link upstream has the state asked for."""
        return (obj.get("link") or {}).get("linkState") == action.payload.get("linkState")
