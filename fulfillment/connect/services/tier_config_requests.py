"""Staff actions on Connect tier config requests (TCR-...)."""

from __future__ import annotations

from django.db import transaction

from channelhub.actions.targets import ActionTarget
from channelhub.models import UpstreamAction
from channelhub.services import ServiceError

from ..models import TierConfigRequest
from .common import (
    FULFILLMENT_TEMPLATES,
    check_params_exist,
    check_template,
    clean_text,
    param_changes,
    snapshot,
)

TARGET = ActionTarget(TierConfigRequest, snapshot=snapshot)
_prepare, _record = TARGET.prepare, TARGET.record


@transaction.atomic
def tier_config_request_approve(
    *, tier_config_request: TierConfigRequest, template_id: str | None = None, actor
) -> UpstreamAction:
    """Approve a TCR, optionally with a fulfillment template of its tier's scope."""
    tcr = _prepare(tier_config_request, actor, "approve", "approve tier config requests")
    template_id = clean_text(template_id, "Template", required=False)
    payload = {}
    if template_id:
        scope = f"tier{tcr.tier_level}" if tcr.tier_level in (1, 2) else "tier1"
        check_template(
            product_id=tcr.product_id, template_id=template_id, types=FULFILLMENT_TEMPLATES, scopes=(scope,)
        )
        payload = {"template": {"id": template_id}}
    return _record(tcr, actor, "approve", payload)


@transaction.atomic
def tier_config_request_inquire(
    *, tier_config_request: TierConfigRequest, param_errors: dict[str, str], actor
) -> UpstreamAction:
    """Ask for fixes: set each parameter's value_error, then inquire (at least one is needed)."""
    tcr = _prepare(tier_config_request, actor, "inquire", "inquire on tier config requests")
    errors = {str(k): (v or "").strip() for k, v in (param_errors or {}).items() if (v or "").strip()}
    if not errors:
        raise ServiceError("Say what is wrong with at least one parameter (its value error).")
    check_params_exist(tcr, errors, TARGET.what)
    return _record(tcr, actor, "inquire", {"param_errors": errors})


@transaction.atomic
def tier_config_request_fail(*, tier_config_request: TierConfigRequest, reason: str, actor) -> UpstreamAction:
    """Fail a TCR for good; a reason is required."""
    tcr = _prepare(tier_config_request, actor, "fail", "fail tier config requests")
    reason = clean_text(reason, "A reason", required=True)
    return _record(tcr, actor, "fail", {"reason": reason}, message=reason)


@transaction.atomic
def tier_config_request_pend(*, tier_config_request: TierConfigRequest, actor) -> UpstreamAction:
    """Put a TCR back to pending."""
    tcr = _prepare(tier_config_request, actor, "pend", "pend tier config requests")
    return _record(tcr, actor, "pend", {})


@transaction.atomic
def tier_config_request_update_params(
    *, tier_config_request: TierConfigRequest, values: dict[str, str | dict], actor
) -> UpstreamAction:
    """Change parameter values of the TCR: a text, or a structured value's parts (as for requests)."""
    tcr = _prepare(tier_config_request, actor, "update_params", "edit tier config request parameters")
    params = param_changes(tcr, values, TARGET.what)
    return _record(tcr, actor, "update_params", {"params": params})


@transaction.atomic
def tier_config_request_assign(
    *, tier_config_request: TierConfigRequest, assignee: str, actor
) -> UpstreamAction:
    """Assign the TCR to a Connect user, by id (UR-...) or email."""
    tcr = _prepare(tier_config_request, actor, "assign", "assign tier config requests")
    assignee = clean_text(assignee, "An assignee (user id or email)", required=True)
    body = {"email": assignee} if "@" in assignee else {"id": assignee}
    return _record(tcr, actor, "assign", body)


@transaction.atomic
def tier_config_request_unassign(*, tier_config_request: TierConfigRequest, actor) -> UpstreamAction:
    """Take the TCR from its assignee (refused when nobody is assigned)."""
    tcr = _prepare(tier_config_request, actor, "unassign", "unassign tier config requests")
    return _record(tcr, actor, "unassign", {})
