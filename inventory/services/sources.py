"""Adding, changing and removing inventory sources (supervisors; operators through
`manage.py inventory_source`). Parameters are audited censored; a masked value posted back
keeps the stored secret (`inventory.secrets.merged`)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from channelhub.actions.services import audit
from channelhub.services import ServiceError, require_perm

from ..models import InventorySource, SourceKind
from ..secrets import censored, merged

PERM_CHANGE = "inventory.change_inventorysource"
PERM_ADD = "inventory.add_inventorysource"
PERM_DELETE = "inventory.delete_inventorysource"


def check_parameters(kind: str, parameters: dict) -> None:
    """Refuse parameters a source of `kind` cannot be read with (a clear message each)."""
    if not isinstance(parameters, dict):
        raise ServiceError("Parameters must be a JSON object.")
    if kind == SourceKind.CONNECTOR and not str(parameters.get("module") or "").strip():
        raise ServiceError("A connector source needs 'module': a dotted module path or a .py file.")
    if kind == SourceKind.HTTP:
        url = str(parameters.get("url") or "")
        if not url.startswith(("http://", "https://")):
            raise ServiceError("An HTTP feed needs 'url', an http(s) URL answering the nflex JSON.")
    if kind == SourceKind.SANDBOX:
        creds = parameters.get("credentials") or {}
        if not creds.get("url"):
            raise ServiceError("A sandbox source needs credentials.url (the sandbox's /cmp/api URL).")
    for key in ("credentials", "parameters", "metrics"):
        if key in parameters and not isinstance(parameters[key], dict | bool):
            raise ServiceError(f"'{key}' must be a JSON object.")


def _validated(source: InventorySource) -> None:
    try:
        source.full_clean()
    except ValidationError as exc:
        words = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
        raise ServiceError(f"The source is not valid: {words}") from None


@transaction.atomic
def source_add(*, actor, name: str, kind: str, parameters: dict, **fields) -> InventorySource:
    """A new source (enabled unless told); audited with its parameters censored."""
    require_perm(actor, PERM_ADD, "add inventory sources")
    if kind not in SourceKind.values:
        raise ServiceError(f"Unknown kind {kind!r}: one of {', '.join(SourceKind.values)}.")
    check_parameters(kind, parameters)
    if InventorySource.objects.filter(name=name).exists():
        raise ServiceError(f"A source called {name!r} exists already.", code="conflict")
    source = InventorySource(name=name, kind=kind, parameters=parameters, **fields)
    _validated(source)
    source.save()
    audit(
        actor=actor,
        action="inventory.source.add",
        target_type="inventory.inventorysource",
        target_id=source.name,
        message=f"Source {source.name} ({source.get_kind_display()}) added",
        after={"kind": kind, "parameters": censored(parameters), **_plain(fields)},
    )
    return source


@transaction.atomic
def source_change(
    *, actor, source: InventorySource, parameters: dict | None = None, **fields
) -> InventorySource:
    """Change a source; a masked secret keeps its stored value; audited censored."""
    require_perm(actor, PERM_CHANGE, "change inventory sources")
    source = InventorySource.objects.select_for_update().get(pk=source.pk)
    before = {"parameters": censored(source.parameters), **{k: getattr(source, k) for k in fields}}
    if parameters is not None:
        parameters = merged(source.parameters, parameters)
        check_parameters(fields.get("kind", source.kind), parameters)
        source.parameters = parameters
    for key, value in fields.items():
        setattr(source, key, value)
    _validated(source)
    source.save()
    audit(
        actor=actor,
        action="inventory.source.change",
        target_type="inventory.inventorysource",
        target_id=source.name,
        message=f"Source {source.name} changed",
        before=_plain(before),
        after=_plain({"parameters": censored(source.parameters), **{k: getattr(source, k) for k in fields}}),
    )
    return source


@transaction.atomic
def source_remove(*, actor, source: InventorySource) -> int:
    """Remove a source and its mirrored resources (a decision, not a reconcile: audited with
    the count). Returns how many resources went with it."""
    require_perm(actor, PERM_DELETE, "remove inventory sources")
    count = source.resources.count()
    name = source.name
    audit(
        actor=actor,
        action="inventory.source.remove",
        target_type="inventory.inventorysource",
        target_id=name,
        message=f"Source {name} removed with its {count} resources",
        before={"kind": source.kind, "parameters": censored(source.parameters)},
    )
    source.delete()
    return count


def _plain(values: dict) -> dict:
    return {
        k: (v if isinstance(v, str | int | float | bool | dict | list | type(None)) else str(v))
        for k, v in values.items()
    }
