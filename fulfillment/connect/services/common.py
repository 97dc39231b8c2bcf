"""What the request and TCR services share: input checks and the snapshot kept as 'before'.

Permission, the fresh read and the transition check are `channelhub.actions.targets.ActionTarget`'s,
from the specs in fulfillment.connect.transitions."""

from __future__ import annotations

from channelhub.services import ServiceError

from .. import selectors
from ..choices import ParamType, TemplateType

# The keys of Connect's structured_value for each structured type (connect-openapi-v37.yml,
# PUT /requests/{id}); a checkbox's is {option: bool}.
STRUCTURED_KEYS = {
    ParamType.PHONE: ("country_code", "area_code", "phone_number", "extension"),
    ParamType.ADDRESS: ("address_line1", "address_line2", "city", "state", "postal_code", "country"),
}


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


def param_changes(obj, values: dict, what: str) -> list[dict]:
    """The `params` of an update: `{id, value}` for a text value, `{id, value, structured_value}` for
    a dict (phone, address, checkbox). Refused: nothing to change, unknown ids, a dict for a
    parameter that takes text, or a dict of the wrong shape."""
    if not values:
        raise ServiceError("No parameter values to change.")
    check_params_exist(obj, values, what)
    known = param_ids(obj)
    return [_param_change(known[k], str(k), v) for k, v in values.items()]


def _param_change(row: dict, pid: str, value) -> dict:
    if not isinstance(value, dict):
        return {"id": pid, "value": "" if value is None else str(value)}
    kind = row.get("type")
    if kind == ParamType.CHECKBOX:
        if not all(isinstance(k, str) and isinstance(v, bool) for k, v in value.items()):
            raise ServiceError(
                f"Parameter {pid} is a checkbox: its options must be on or off.", code="params"
            )
        # Connect keeps a checkbox's value empty; ours names the ticked options, as the page shows them.
        return {
            "id": pid,
            "value": ", ".join(k for k, v in value.items() if v),
            "structured_value": dict(value),
        }
    keys = STRUCTURED_KEYS.get(kind)
    if keys is None:
        raise ServiceError(
            f"Parameter {pid} is a {kind or 'untyped'} parameter: it takes a text value, not parts.",
            code="params",
        )
    unknown = sorted(str(k) for k in value if k not in keys)
    if unknown or not all(isinstance(v, str) for v in value.values()):
        raise ServiceError(
            f"Parameter {pid} is a {kind}: its parts are {', '.join(keys)}, each a text"
            + (f" (not {', '.join(unknown)})." if unknown else "."),
            code="params",
        )
    structured = {k: value.get(k) or "" for k in keys}  # Connect wants every key present
    return {"id": pid, "value": structured_text(kind, structured), "structured_value": structured}


def structured_text(kind: str, structured: dict) -> str:
    """The one-line `value` Connect shows beside a structured value: a phone as +<country><area><number>
    (`+34687769698`), an address as its non-empty parts joined by spaces."""
    if kind == ParamType.PHONE:
        return "".join(structured[k] for k in ("country_code", "area_code", "phone_number"))
    return " ".join(v for v in structured.values() if v)


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
