"""Cloud Channel's staff actions, each declared once: which action, on what, from which state
to which, the rules beyond the state (plans, trials, suspension reasons, a Cloud Identity),
who may, and the form, service, executor and template that carry it out.

From the method descriptions in channel-api.md (§3, §9.5). Registered from
`fulfillment.channel.registration`; the services check these rules against the mirror before
queuing anything (and again under the row's lock), the admin offers only the forms they
allow, and the outbox's "already applied" check uses the target states. The upstream checks
again; a rule here exists so staff get a clear refusal before anything is queued, not
instead of it.
"""

from __future__ import annotations

from channelhub.actions.specs import ActionSpec, spec_of
from channelhub.services import ServiceError

from . import forms, services
from .choices import PaymentPlan, ProvisioningState, SuspensionReason
from .display import ACTION_FORM_TEMPLATE
from .executors import CustomerExecutor, EntitlementCreateExecutor, EntitlementExecutor, PartnerLinkExecutor
from .executors_transfer import TransferInExecutor, TransferToGoogleExecutor
from .models import ChannelPartnerLink, Customer, Entitlement
from .services.partner_links import LINK_STATE_TRANSITIONS, link_state_words

ACTIVE, SUSPENDED = ProvisioningState.ACTIVE, ProvisioningState.SUSPENDED

__all__ = [
    "ACTIONS",
    "LINK_STATE_TRANSITIONS",
    "allowed_entitlement_actions",
    "entitlement_refusal",
    "is_trial",
    "suspension_reason_words",
]


def is_trial(entitlement) -> bool:
    """Whether the entitlement is a trial (its flag, or a trial plan)."""
    return bool(entitlement.trial) or entitlement.payment_plan == PaymentPlan.TRIAL


def suspension_reason_words(reason: str) -> str:
    """A suspension reason in words."""
    return SuspensionReason(reason).label if reason in SuspensionReason.values else reason


# --- the rules beyond the state: each (spec, obj) raises ServiceError to refuse ---------------------


def still_listed(spec: ActionSpec, obj) -> None:
    """Nothing is done on an object reconcile found gone upstream."""
    if not obj.is_gone:
        return
    if isinstance(obj, Entitlement):
        raise ServiceError(
            f"{spec.what} {obj} is no longer listed upstream ({obj.get_gone_reason_display().lower()}); "
            "nothing can be done on it.",
            code="transition",
        )
    raise ServiceError(f"{spec.what} {obj} is no longer listed upstream.", code="missing")


def entitlement_state_refusal(spec: ActionSpec, entitlement) -> str:
    """'Entitlement E is suspended; 'suspend' is only possible when it is active.'"""
    allowed = " or ".join(ProvisioningState(s).label.lower() for s in spec.from_states)
    state = entitlement.provisioning_state
    shown = (
        ProvisioningState(state).label.lower()
        if state in ProvisioningState.values
        else state or "in no known state"
    )
    return f"{spec.what} {entitlement} is {shown}; '{spec.verb}' is only possible when it is {allowed}."


def on_plans(*plans: str):
    """A check: the entitlement is on one of these payment plans."""

    def check(spec: ActionSpec, entitlement) -> None:
        if entitlement.payment_plan not in plans:
            words = " or ".join(PaymentPlan(p).label.lower() for p in plans)
            plan = entitlement.get_payment_plan_display().lower() if entitlement.payment_plan else "unknown"
            raise ServiceError(
                f"{spec.what} {entitlement} is on a {plan} plan; '{spec.verb}' applies to {words} plans only.",
                code="transition",
            )

    return check


def trial_only(spec: ActionSpec, entitlement) -> None:
    """A check: the entitlement is a trial."""
    if not is_trial(entitlement):
        raise ServiceError(
            f"{spec.what} {entitlement} is not a trial; '{spec.verb}' applies to trials only.",
            code="transition",
        )


def suspended_by(*, required: tuple[str, ...], refused: tuple[str, ...]):
    """A check on the suspension reasons: none of `refused`, one of `required`."""

    def check(spec: ActionSpec, entitlement) -> None:
        reasons = set(entitlement.suspension_reasons or [])
        if reasons & set(refused):
            words = ", ".join(suspension_reason_words(r) for r in sorted(reasons & set(refused)))
            raise ServiceError(
                f"{spec.what} {entitlement} is suspended because: {words}; '{spec.verb}' cannot lift that.",
                code="transition",
            )
        if required and not reasons & set(required):
            words = ", ".join(suspension_reason_words(r) for r in sorted(reasons)) or "no reason given"
            raise ServiceError(
                f"{spec.what} {entitlement} is suspended because: {words}; only a suspension we made "
                f"ourselves ({SuspensionReason.RESELLER_INITIATED.label.lower()}) can be lifted here.",
                code="transition",
            )

    return check


def has_live_entitlements(spec: ActionSpec, customer) -> None:
    """A check: the customer has entitlements still listed upstream."""
    if not customer.entitlements.filter(gone_at__isnull=True).exists():
        raise ServiceError(f"Customer {customer} has no live entitlements.", code="entitlements")


def without_cloud_identity(spec: ActionSpec, customer) -> None:
    """A check: the customer has no Cloud Identity yet."""
    if customer.has_cloud_identity:
        raise ServiceError(
            f"Customer {customer} already has a Cloud Identity ({customer.cloud_identity_id})."
        )


def can_buy(spec: ActionSpec, customer) -> None:
    """A guard: we buy for a live customer of ours that has a Cloud Identity."""
    if customer.is_gone:
        raise ServiceError(
            f"Customer {customer.pk} is not in the mirror (or is gone upstream).", code="missing"
        )
    if customer.partner_link_id:
        raise ServiceError(f"Customer {customer} belongs to a channel partner; the partner buys for it.")
    if not customer.has_cloud_identity:
        raise ServiceError(
            f"Customer {customer} has no Cloud Identity yet; provision it first (customer actions).",
            code="identity",
        )


def link_state_refusal(spec: ActionSpec, link) -> str:
    """A revoked link goes nowhere."""
    return f"Partner link {link} is {link_state_words(link.link_state)}; it can become nothing else."


# --- the specs ---------------------------------------------------------------------------------------


def _entitlement(
    verb, label, states, form, service, *, to_state=None, perm="fulfillment.act_entitlement", checks=()
):
    return ActionSpec(
        kind=f"channel.entitlement.{verb}",
        model=Entitlement,
        what="Entitlement",
        label=label,
        perm=perm,
        state_field="provisioning_state",
        from_states=states,
        to_state=to_state,
        guards=(still_listed,),
        checks=checks,
        refusal=entitlement_state_refusal,
        form=form,
        service=service,
        executor=EntitlementExecutor,
        template=ACTION_FORM_TEMPLATE,
    )


def _customer(
    kind,
    label,
    form,
    service,
    *,
    action="",
    perm="fulfillment.act_customer",
    guards=(still_listed,),
    checks=(),
    executor=CustomerExecutor,
    creates=False,
):
    return ActionSpec(
        kind=kind,
        action=action,
        model=Customer,
        what="Customer",
        label=label,
        perm=perm,
        guards=guards,
        checks=checks,
        form=form,
        service=service,
        executor=executor,
        template=ACTION_FORM_TEMPLATE,
        creates=creates,
    )


ENTITLEMENT_ACTIONS = (
    # suspend: "needs ACTIVE (otherwise NOT_ACTIVE)"
    _entitlement(
        "suspend", "Suspend", (ACTIVE,), forms.SuspendForm, services.entitlement_suspend, to_state=SUSPENDED
    ),
    # activate: only a suspension we made ourselves, never one waiting on the customer's ToS
    _entitlement(
        "activate",
        "Activate",
        (SUSPENDED,),
        forms.ActivateForm,
        services.entitlement_activate,
        to_state=ACTIVE,
        checks=(
            suspended_by(
                required=SuspensionReason.REVOCABLE, refused=(SuspensionReason.PENDING_TOS_ACCEPTANCE,)
            ),
        ),
    ),
    _entitlement(
        "change_parameters",
        "Change seats",
        (ACTIVE,),
        forms.ChangeSeatsForm,
        services.entitlement_change_parameters,
    ),
    _entitlement(
        "change_offer", "Change offer", (ACTIVE,), forms.ChangeOfferForm, services.entitlement_change_offer
    ),
    # changeRenewalSettings: "needs a COMMITMENT plan" (NOT_COMMITMENT_PLAN); a suspended
    # commitment (renewal set to cancel) is revived by turning renewal back on.
    _entitlement(
        "change_renewal",
        "Change renewal",
        (ACTIVE, SUSPENDED),
        forms.ChangeRenewalForm,
        services.entitlement_change_renewal,
        checks=(on_plans(PaymentPlan.COMMITMENT),),
    ),
    # startPaidService: "needs a trial" (NOT_IN_TRIAL)
    _entitlement(
        "start_paid_service",
        "Start paid service",
        (ACTIVE, SUSPENDED),
        forms.StartPaidServiceForm,
        services.entitlement_start_paid_service,
        checks=(trial_only,),
    ),
    _entitlement(
        "cancel",
        "Cancel entitlement",
        (ACTIVE, SUSPENDED),
        forms.CancelEntitlementForm,
        services.entitlement_cancel,
        perm="fulfillment.cancel_entitlement",
    ),
)

# Customer actions depend on no state beyond what the checks say (listed, a Cloud Identity).
CUSTOMER_ACTIONS = (
    _customer(
        "channel.customer.update", "Update details", forms.CustomerUpdateForm, services.customer_update
    ),
    _customer(
        "channel.customer.provision_cloud_identity",
        "Provision Cloud Identity",
        forms.ProvisionCloudIdentityForm,
        services.customer_provision_cloud_identity,
        checks=(without_cloud_identity,),
    ),
    # Buying is an action on the customer (the entitlement does not exist yet).
    _customer(
        "channel.entitlement.create",
        "New entitlement",
        forms.CreateEntitlementForm,
        services.entitlement_create,
        action="create_entitlement",
        perm="fulfillment.act_entitlement",
        guards=(can_buy,),
        executor=EntitlementCreateExecutor,
    ),
    _customer(
        "channel.customer.delete",
        "Delete customer",
        forms.DeleteCustomerForm,
        services.customer_delete,
        perm="fulfillment.remove_customer",
    ),
    # On the changelist: no row yet (one open creation per domain guards it).
    _customer(
        "channel.customer.create",
        "Create customer",
        forms.CustomerCreateForm,
        services.customer_create,
        guards=(),
        creates=True,
    ),
    # Transfers are supervisors' (they move a customer's contracts between resellers).
    _customer(
        "channel.customer.transfer_to_google",
        "Transfer to Google",
        forms.TransferToGoogleForm,
        services.entitlements_transfer_to_google,
        perm=services.TRANSFER_PERM,
        checks=(has_live_entitlements,),
        executor=TransferToGoogleExecutor,
    ),
    # From the transfer page (the customer may not be ours yet): no form on the customer page.
    _customer(
        "channel.customer.transfer_in",
        "Transfer in",
        None,
        services.customer_transfer_in,
        perm=services.TRANSFER_PERM,
        guards=(),
        executor=TransferInExecutor,
        creates=True,
    ),
)

LINK_ACTIONS = (
    ActionSpec(
        kind="channel.partner_link.change_state",
        model=ChannelPartnerLink,
        what="Partner link",
        label="Change link state",
        perm="fulfillment.act_channelpartnerlink",
        state_field="link_state",
        from_states=tuple(state for state, moves in LINK_STATE_TRANSITIONS.items() if moves),
        guards=(still_listed,),
        refusal=link_state_refusal,
        form=forms.LinkStateForm,
        service=services.channel_partner_link_change_state,
        executor=PartnerLinkExecutor,
        template=ACTION_FORM_TEMPLATE,
    ),
)

ACTIONS = ENTITLEMENT_ACTIONS + CUSTOMER_ACTIONS + LINK_ACTIONS


def entitlement_refusal(entitlement, action: str) -> str | None:
    """Why `action` is not possible on the mirrored entitlement now, in words; None if it is."""
    return spec_of(Entitlement, action).refusal_of(entitlement)


def allowed_entitlement_actions(entitlement) -> list[str]:
    """The entitlement actions its state allows, in the specs' order (for the UI)."""
    return [spec.action for spec in ENTITLEMENT_ACTIONS if spec.refusal_of(entitlement) is None]
