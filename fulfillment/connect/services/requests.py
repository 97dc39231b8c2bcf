"""Staff actions on Connect fulfillment requests (the SDK's approve/inquire/fail/... on PR-...)."""

from __future__ import annotations

from django.db import transaction

from channelhub.actions.targets import ActionTarget
from channelhub.models import UpstreamAction
from channelhub.services import ServiceError

from ..models import FulfillmentRequest
from .common import (
    FULFILLMENT_TEMPLATES,
    INQUIRE_TEMPLATES,
    check_params_exist,
    check_template,
    clean_text,
    param_changes,
    snapshot,
)

TARGET = ActionTarget(FulfillmentRequest, snapshot=snapshot)
_prepare, _record = TARGET.prepare, TARGET.record


@transaction.atomic
def request_approve(
    *,
    request: FulfillmentRequest,
    template_id: str | None = None,
    activation_tile: str | None = None,
    actor,
) -> UpstreamAction:
    """Approve a pending request with one of its product's fulfillment templates, or a tile."""
    request = _prepare(request, actor, "approve", "approve requests")
    template_id = clean_text(template_id, "Template", required=False)
    tile = clean_text(activation_tile, "Activation tile", required=False)
    if bool(template_id) == bool(tile):
        raise ServiceError("Choose a fulfillment template or write an activation tile (one of the two).")
    if template_id:
        check_template(
            product_id=request.product_id,
            template_id=template_id,
            types=FULFILLMENT_TEMPLATES,
            scopes=("asset",),
        )
        payload = {"template_id": template_id}
    else:
        payload = {"activation_tile": tile}
    return _record(request, actor, "approve", payload)


@transaction.atomic
def request_inquire(
    *,
    request: FulfillmentRequest,
    param_errors: dict[str, str],
    template_id: str | None = None,
    actor,
) -> UpstreamAction:
    """Ask the customer to fix parameters: set each one's value_error, then inquire."""
    request = _prepare(request, actor, "inquire", "inquire on requests")
    errors = {str(k): (v or "").strip() for k, v in (param_errors or {}).items() if (v or "").strip()}
    if not errors:
        raise ServiceError("Say what is wrong with at least one parameter (its value error).")
    check_params_exist(request, errors, TARGET.what)
    payload = {"param_errors": errors}
    template_id = clean_text(template_id, "Template", required=False)
    if template_id:
        check_template(
            product_id=request.product_id, template_id=template_id, types=INQUIRE_TEMPLATES, scopes=("asset",)
        )
        payload["template_id"] = template_id
    return _record(request, actor, "inquire", payload)


@transaction.atomic
def request_fail(*, request: FulfillmentRequest, reason: str, actor) -> UpstreamAction:
    """Fail a request for good; the reason is shown to the customer."""
    request = _prepare(request, actor, "fail", "fail requests")
    reason = clean_text(reason, "A reason", required=True)
    return _record(request, actor, "fail", {"reason": reason}, message=reason)


@transaction.atomic
def request_pend(*, request: FulfillmentRequest, actor) -> UpstreamAction:
    """Put an inquiring request back to pending (the customer answered by other means)."""
    request = _prepare(request, actor, "pend", "pend requests")
    return _record(request, actor, "pend", {})


@transaction.atomic
def request_update_params(
    *, request: FulfillmentRequest, values: dict[str, str | dict], actor
) -> UpstreamAction:
    """Change parameter values: a text, or the parts of a phone, address or checkbox (sent as
    `value` and `structured_value`, the only keys Connect lets us change besides `value_error`)."""
    request = _prepare(request, actor, "update_params", "edit request parameters")
    params = param_changes(request, values, TARGET.what)
    return _record(request, actor, "update_params", {"params": params})


@transaction.atomic
def request_assign(*, request: FulfillmentRequest, assignee: str, actor) -> UpstreamAction:
    """Assign to a Connect user, by id (UR-...) or email."""
    request = _prepare(request, actor, "assign", "assign requests")
    assignee = clean_text(assignee, "An assignee (user id or email)", required=True)
    body = {"email": assignee} if "@" in assignee else {"id": assignee}
    return _record(request, actor, "assign", body)


@transaction.atomic
def request_unassign(*, request: FulfillmentRequest, actor) -> UpstreamAction:
    """Take the request from its assignee (refused when nobody is assigned)."""
    request = _prepare(request, actor, "unassign", "unassign requests")
    return _record(request, actor, "unassign", {})


@transaction.atomic
def request_add_note(*, request: FulfillmentRequest, text: str, actor) -> UpstreamAction:
    """Post a message to the request's conversation."""
    request = _prepare(request, actor, "add_note", "add notes")
    text = clean_text(text, "The note", required=True)
    if len(text) > 10000:
        raise ServiceError("The note is too long (10,000 characters at most).")
    return _record(request, actor, "add_note", {"text": text})
