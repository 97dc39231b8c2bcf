"""System check of the staff actions: a kind declared wrong fails start-up, not send time.

Every spec's kind is well formed and unique and has an executor of that kind; every
executor's kind has a spec; the target is a model; the from-states and the result state are
choices of the model's state field; the permission exists (a codename of the app's models'
Meta permissions, or a default one); the form is an ActionForm and the service callable.
"""

from __future__ import annotations

import re

from django import forms
from django.apps import apps
from django.core.checks import Error

from . import registry as executors
from .specs import all_specs

KIND = re.compile(r"[a-z]+(\.[a-z_]+)+")
DEFAULT_PERMISSIONS = ("add", "change", "delete", "view")


def check_actions(app_configs=None, **kwargs) -> list[Error]:
    """The registered specs and executors (`channelhub.actions.checks`, at start-up)."""
    return check_specs(all_specs(), executors.undeclared())


def check_specs(specs, undeclared: dict | None = None) -> list[Error]:
    """What is wrong with these specs, and with executors (by kind) that no spec brings."""
    errors, seen = [], set()
    for spec in specs:
        if spec.kind in seen:
            errors.append(_error(spec, "is declared twice", "E011"))
        seen.add(spec.kind)
        errors += _check_one(spec)
    for kind in sorted(undeclared or {}):
        errors.append(
            Error(
                f"action kind {kind!r} has an executor but no ActionSpec",
                hint="Declare it with registry.register_action(ActionSpec(...)) instead.",
                id="channelhub.E013",
            )
        )
    return errors


def _error(spec, what: str, code: str, hint: str = "") -> Error:
    return Error(f"action {spec.kind!r} {what}", hint=hint or None, obj=spec, id=f"channelhub.{code}")


def _check_one(spec) -> list[Error]:
    errors = []
    if not KIND.fullmatch(spec.kind or ""):
        errors.append(_error(spec, "is not a kind like 'upstream.target.verb'", "E010"))
    errors += _check_executor(spec)
    try:
        model = spec.model_class
        if not hasattr(model, "_meta") or getattr(model._meta, "abstract", True):
            raise TypeError
    except (LookupError, ValueError, TypeError):
        errors.append(_error(spec, f"names {spec.model!r}, which is not a model", "E014"))
        return errors
    errors += _check_states(spec, model)
    errors += _check_perm(spec)
    errors += _check_form_and_service(spec)
    return errors


def _check_executor(spec) -> list[Error]:
    try:
        executor = spec.make_executor()
    except Exception as exc:  # noqa: BLE001 - any failure to build it is what to report
        return [_error(spec, f"has an executor that cannot be built ({exc})", "E012")]
    if executor is None:
        return [_error(spec, "has no executor", "E012", "Give the spec executor=<an Executor class>.")]
    if executor.kind != spec.kind:
        return [_error(spec, f"has an executor of kind {executor.kind!r}", "E012")]
    return []


def _check_states(spec, model) -> list[Error]:
    if spec.from_states is None and spec.to_state is None:
        return []
    try:
        field = model._meta.get_field(spec.state_field)
    except Exception:  # noqa: BLE001 - FieldDoesNotExist, or no such attribute at all
        return [_error(spec, f"has no state field {model.__name__}.{spec.state_field}", "E015")]
    choices = {str(value) for value, _ in field.flatchoices}
    if not choices:
        return [_error(spec, f"reads {model.__name__}.{spec.state_field}, which has no choices", "E015")]
    wrong = [s for s in (*(spec.from_states or ()), spec.to_state) if s is not None and s not in choices]
    if wrong:
        return [
            _error(
                spec,
                f"names states {', '.join(map(repr, wrong))} that are not choices of "
                f"{model.__name__}.{spec.state_field}",
                "E015",
            )
        ]
    return []


def _check_perm(spec) -> list[Error]:
    app_label, _, codename = (spec.perm or "").partition(".")
    try:
        models = apps.get_app_config(app_label).get_models()
    except LookupError:
        models = []
    known = set()
    for model in models:
        known.update(name for name, _ in model._meta.permissions)
        known.update(f"{action}_{model._meta.model_name}" for action in model._meta.default_permissions)
    if codename not in known:
        return [
            _error(
                spec,
                f"needs permission {spec.perm!r}, which no model of app {app_label!r} declares",
                "E016",
                "Add it to the model's Meta.permissions (and a role's grants).",
            )
        ]
    return []


def _check_form_and_service(spec) -> list[Error]:
    errors = []
    if spec.form is not None and not (isinstance(spec.form, type) and issubclass(spec.form, forms.BaseForm)):
        errors.append(_error(spec, f"has form {spec.form!r}, which is not a form class", "E017"))
    if not callable(spec.service):
        errors.append(_error(spec, "has no service to call", "E017"))
    return errors
