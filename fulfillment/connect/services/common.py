"""What the request and TCR services share: input checks and the snapshot kept as 'before'.

Permission, the fresh read and the transition check are `channelhub.actions.targets.ActionTarget`'s,
from the specs in fulfillment.connect.transitions."""

from __future__ import annotations

from channelhub.services import ServiceError

from .. import selectors
from ..choices import TemplateType


def snapshot(obj) -> dict:
    """The request's (or TCR's) status, assignee and update time: an audit event's 'before'."""
    return {
        "status": obj.status,
        "assignee_id": obj.assignee_id or "",
        "updated": obj.updated.isoformat() if obj.updated else None,
    }


def param_ids(obj) -> dict[str, dict]:
    """The object's parameters by id."""
    return {p.get("id"): p for p in (obj.params or []) if isinstance(p, dict) and p.get("id")}


def check_params_exist(obj, ids, what: str) -> None:
    """Refuse (ServiceError) parameter ids the object does not have, naming the ones it has."""
    known = param_ids(obj)
    unknown = sorted(str(i) for i in ids if i not in known)
    if unknown:
        raise ServiceError(
            f"{what} {obj.pk} has no parameter {', '.join(unknown)}; its parameters are: "
            f"{', '.join(sorted(known)) or 'none'}.",
            code="params",
        )


def clean_text(value, field: str, *, required: bool) -> str:
    """The value stripped; refused with a ServiceError when required and empty."""
    text = (value or "").strip() if isinstance(value, str) else ""
    if required and not text:
        raise ServiceError(f"{field} is required.", code="required")
    return text


def check_template(
    *, product_id: str | None, template_id: str, types: tuple[str, ...], scopes: tuple[str, ...]
):
    """The template, refused unless it is mirrored, of the product, and of one of the types and scopes."""
    template = selectors.template_get(template_id=template_id)
    if template is None:
        raise ServiceError(
            f"Template {template_id} is not known (has the templates stream run?).", code="template"
        )
    if template.product_id != product_id:
        raise ServiceError(
            f"Template {template_id} belongs to product {template.product_id}, not {product_id}."
        )
    if template.type not in types or template.scope not in scopes:
        kinds = "/".join(types)
        raise ServiceError(
            f"Template {template_id} is a {template.scope} {template.type} template; a {kinds} template "
            f"of scope {'/'.join(scopes)} is needed.",
            code="template",
        )
    return template


FULFILLMENT_TEMPLATES = (TemplateType.FULFILLMENT,)
INQUIRE_TEMPLATES = (TemplateType.INQUIRE,)
