"""What the request and TCR services share: checks and the snapshot kept as 'before'."""

from __future__ import annotations

from channelhub.actions.services import action_record
from channelhub.models import UpstreamAction
from channelhub.services import ServiceError, require_perm

from .. import selectors
from ..choices import TemplateType


def check_transition(table: dict, obj, action: str, what: str) -> None:
    sources, _ = table[action]
    if obj.status not in sources:
        allowed = " or ".join(sorted(set(sources)))
        raise ServiceError(
            f"{what} {obj.pk} is {obj.status or 'in no known status'}; "
            f"'{action.replace('_', ' ')}' is only possible when it is {allowed}.",
            code="transition",
        )


def snapshot(obj) -> dict:
    return {
        "status": obj.status,
        "assignee_id": obj.assignee_id or "",
        "updated": obj.updated.isoformat() if obj.updated else None,
    }


def param_ids(obj) -> dict[str, dict]:
    return {p.get("id"): p for p in (obj.params or []) if isinstance(p, dict) and p.get("id")}


def check_params_exist(obj, ids, what: str) -> None:
    known = param_ids(obj)
    unknown = sorted(str(i) for i in ids if i not in known)
    if unknown:
        raise ServiceError(
            f"{what} {obj.pk} has no parameter {', '.join(unknown)}; its parameters are: "
            f"{', '.join(sorted(known)) or 'none'}.",
            code="params",
        )


def clean_text(value, field: str, *, required: bool) -> str:
    text = (value or "").strip() if isinstance(value, str) else ""
    if required and not text:
        raise ServiceError(f"{field} is required.", code="required")
    return text


def check_template(
    *, product_id: str | None, template_id: str, types: tuple[str, ...], scopes: tuple[str, ...]
):
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


class ActionTarget:
    """What the request and TCR services differ in: model, permission, transitions, names."""

    def __init__(self, *, model, perm: str, transitions: dict, what: str, kind_prefix: str):
        self.model = model
        self.perm = perm
        self.transitions = transitions
        self.what = what
        self.kind_prefix = kind_prefix
        self.target_type = f"{model._meta.app_label}.{model._meta.model_name}"

    def prepare(self, obj, actor, action: str, doing: str):
        """Permission, a fresh read of the mirrored object (the caller's copy may be stale),
        and the transition check. Returns the fresh object."""
        require_perm(actor, self.perm, doing)
        fresh = self.model.objects.filter(pk=obj.pk).first()
        self.check(fresh, obj.pk, action)
        return fresh

    def check(self, fresh, pk: str, action: str) -> None:
        """The checks of `action` on the mirrored row: run by prepare, and again by
        action_record on the row read under its lock."""
        if fresh is None:
            raise ServiceError(f"{self.what} {pk} is not in the mirror.", code="missing")
        if getattr(fresh, "is_migration", False) and action != "add_note":
            raise ServiceError(
                f"{self.what} {fresh.pk} is a migration (its asset has migration_info); migrations are "
                "processed by the migration tool, not acted on here.",
                code="migration",
            )
        check_transition(self.transitions, fresh, action, self.what)

    def record(self, obj, actor, action: str, payload: dict, message: str = "") -> UpstreamAction:
        return action_record(
            kind=f"{self.kind_prefix}.{action}",
            target_type=self.target_type,
            target_id=obj.pk,
            check=lambda row: self.check(row, obj.pk, action),
            payload=payload,
            actor=actor,
            before=snapshot,
            message=message,
        )
