"""Which Channel action is allowed on which mirrored state: the one place that says so.

From the method descriptions in channel-api.md (§3, §9.5). The services check these rules
against the mirror before queuing anything, the admin offers only the forms they allow, and
the outbox's "already applied" check uses `target_state`. The upstream checks again; a rule
here exists so staff get a clear refusal before anything is queued, not instead of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .choices import LinkState, PaymentPlan, ProvisioningState, SuspensionReason

ACTIVE, SUSPENDED = ProvisioningState.ACTIVE, ProvisioningState.SUSPENDED


@dataclass(frozen=True)
class EntitlementRule:
    """When one entitlement action is possible.

    - `states`: provisioning states it is allowed from;
    - `plans`: payment plans it applies to (None: any);
    - `trial_only`: only on a trial;
    - `reasons_required` / `reasons_refused`: suspension reasons that must / must not be there;
    - `target_state`: the provisioning state it leads to (None: unchanged);
    - `perm`: the role permission it needs (channelhub.roles).
    """

    states: tuple[str, ...]
    perm: str = "fulfillment.act_entitlement"
    plans: tuple[str, ...] | None = None
    trial_only: bool = False
    reasons_required: tuple[str, ...] = ()
    reasons_refused: tuple[str, ...] = ()
    target_state: str | None = None
    label: str = ""


ENTITLEMENT_RULES: dict[str, EntitlementRule] = {
    # suspend: "needs ACTIVE (otherwise NOT_ACTIVE)"
    "suspend": EntitlementRule(states=(ACTIVE,), target_state=SUSPENDED, label="Suspend"),
    # activate: only a suspension we made ourselves, never one waiting on the customer's ToS
    "activate": EntitlementRule(
        states=(SUSPENDED,),
        reasons_required=SuspensionReason.REVOCABLE,
        reasons_refused=(SuspensionReason.PENDING_TOS_ACCEPTANCE,),
        target_state=ACTIVE,
        label="Activate",
    ),
    "change_parameters": EntitlementRule(states=(ACTIVE,), label="Change seats"),
    "change_offer": EntitlementRule(states=(ACTIVE,), label="Change offer"),
    # changeRenewalSettings: "needs a COMMITMENT plan" (NOT_COMMITMENT_PLAN); a suspended
    # commitment (renewal set to cancel) is revived by turning renewal back on.
    "change_renewal": EntitlementRule(
        states=(ACTIVE, SUSPENDED), plans=(PaymentPlan.COMMITMENT,), label="Change renewal"
    ),
    # startPaidService: "needs a trial" (NOT_IN_TRIAL)
    "start_paid_service": EntitlementRule(
        states=(ACTIVE, SUSPENDED), trial_only=True, label="Start paid service"
    ),
    "cancel": EntitlementRule(
        states=(ACTIVE, SUSPENDED), perm="fulfillment.cancel_entitlement", label="Cancel entitlement"
    ),
}


def entitlement_refusal(entitlement, action: str) -> str | None:
    """Why `action` is not possible on the mirrored entitlement now, in words; None if it is."""
    rule = ENTITLEMENT_RULES[action]
    what = f"Entitlement {entitlement}"
    verb = rule.label.lower() or action.replace("_", " ")
    if entitlement.is_gone:
        return f"{what} is no longer listed upstream ({entitlement.get_gone_reason_display().lower()}); nothing can be done on it."
    state = entitlement.provisioning_state
    if state not in rule.states:
        allowed = " or ".join(ProvisioningState(s).label.lower() for s in rule.states)
        shown = (
            ProvisioningState(state).label.lower()
            if state in ProvisioningState.values
            else state or "in no known state"
        )
        return f"{what} is {shown}; '{verb}' is only possible when it is {allowed}."
    if rule.plans is not None and entitlement.payment_plan not in rule.plans:
        plans = " or ".join(PaymentPlan(p).label.lower() for p in rule.plans)
        plan = entitlement.get_payment_plan_display().lower() if entitlement.payment_plan else "unknown"
        return f"{what} is on a {plan} plan; '{verb}' applies to {plans} plans only."
    if rule.trial_only and not is_trial(entitlement):
        return f"{what} is not a trial; '{verb}' applies to trials only."
    reasons = set(entitlement.suspension_reasons or [])
    refused = reasons & set(rule.reasons_refused)
    if refused:
        words = ", ".join(suspension_reason_words(r) for r in sorted(refused))
        return f"{what} is suspended because: {words}; '{verb}' cannot lift that."
    if rule.reasons_required and not reasons & set(rule.reasons_required):
        words = ", ".join(suspension_reason_words(r) for r in sorted(reasons)) or "no reason given"
        return (
            f"{what} is suspended because: {words}; only a suspension we made ourselves "
            f"({SuspensionReason.RESELLER_INITIATED.label.lower()}) can be lifted here."
        )
    return None


def allowed_entitlement_actions(entitlement) -> list[str]:
    """The entitlement actions its state allows, in the table's order (for the UI)."""
    return [action for action in ENTITLEMENT_RULES if entitlement_refusal(entitlement, action) is None]


def is_trial(entitlement) -> bool:
    return bool(entitlement.trial) or entitlement.payment_plan == PaymentPlan.TRIAL


def suspension_reason_words(reason: str) -> str:
    return SuspensionReason(reason).label if reason in SuspensionReason.values else reason


# Customer actions: none depends on a state beyond what the services check (a Cloud
# Identity, live entitlements), so they have no table; their permissions are here.
CUSTOMER_ACTION_PERMS: dict[str, str] = {
    "update": "fulfillment.act_customer",
    "provision_cloud_identity": "fulfillment.act_customer",
    "create_entitlement": "fulfillment.act_entitlement",
    "delete": "fulfillment.remove_customer",
}

# Channel partner link states: from -> the states a patch may set. The documented rule is
# that an INVITED link cannot become ACTIVE or SUSPENDED (INVALID_ARGUMENT); a revoked link
# is taken as final [inferred].
LINK_STATE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    LinkState.INVITED: (LinkState.REVOKED,),
    LinkState.ACTIVE: (LinkState.SUSPENDED, LinkState.REVOKED),
    LinkState.SUSPENDED: (LinkState.ACTIVE, LinkState.REVOKED),
    LinkState.REVOKED: (),
}
