"""One declaration per staff action: `ActionSpec`.

An app declares each action it offers once, in its `transitions.py`, and registers the specs
from its `AppConfig.ready()` (`channelhub.registry.register_action`). Everything else reads
them: the services (permission, from-states and checks, through `ActionTarget`), the outbox
(the executor, built with its spec, and the target state its "already applied" check uses),
the admin (which forms to offer, which service a form calls, which template draws it) and a
system check (channelhub.actions.checks) that fails start-up when a spec is declared wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from django.apps import apps
from django.db import models

from channelhub import registry
from channelhub.services import ServiceError


def _connect_style_refusal(spec: ActionSpec, obj) -> str:
    """'Request PR-1 is approved; 'approve' is only possible when it is pending.'"""
    state = getattr(obj, spec.state_field, "")
    allowed = " or ".join(sorted(set(spec.from_states or ())))
    return (
        f"{spec.what} {obj.pk} is {state or 'in no known status'}; "
        f"'{spec.action.replace('_', ' ')}' is only possible when it is {allowed}."
    )


@dataclass(frozen=True, eq=False)
class ActionSpec:
    """One staff action: what it is called, on what, from which states to which, who may do
    it, and the form, service, executor and template that carry it out.

    - `kind`: the outbox's name for it, `<upstream>.<target>.<verb>` (`connect.request.approve`);
    - `model`: the mirrored model of its target (a class, or "app_label.Model");
    - `action`: the admin's name for it (URL segment, form prefix); the kind's last part by default;
    - `from_states` / `to_state`: values of `model.<state_field>` it is allowed from, and the one
      it leads to (None: any state / unchanged);
    - `guards` run before the state check (is the object actionable at all: gone, a migration),
      `checks` after it (plans, trials, suspension reasons, ...): each `(spec, obj)` raises
      `ServiceError` to refuse. Both decide which forms the admin offers and run again on the
      row locked when the action is recorded;
    - `refusal`: the words of a state refusal (`(spec, obj) -> str`);
    - `executor`: an `Executor` class, built once with this spec (its kind is the spec's);
    - `creates`: the action makes its target (no mirrored row to check or to offer it on).
    """

    kind: str
    model: type[models.Model] | str
    label: str
    perm: str
    what: str = ""
    action: str = ""
    from_states: tuple[str, ...] | None = None
    to_state: str | None = None
    state_field: str = "status"
    guards: tuple[Callable, ...] = ()
    checks: tuple[Callable, ...] = ()
    refusal: Callable[[ActionSpec, object], str] = _connect_style_refusal
    form: type | None = None
    service: Callable | None = None
    executor: type | None = None
    template: str = ""
    creates: bool = False
    _built: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        if not self.action:
            object.__setattr__(self, "action", self.kind.rsplit(".", 1)[-1])

    def __repr__(self):
        return f"<ActionSpec {self.kind}>"

    @property
    def model_class(self) -> type[models.Model]:
        """The target model (LookupError / ValueError when `model` names none)."""
        if isinstance(self.model, str):
            return apps.get_model(self.model)
        return self.model

    @property
    def target_type(self) -> str:
        """`app_label.model_name`, the `target_type` of this action's outbox rows."""
        return target_type_of(self.model_class)

    @property
    def verb(self) -> str:
        """The action in words for messages ("change renewal")."""
        return self.label.lower() if self.label else self.action.replace("_", " ")

    def make_executor(self):
        """The executor of this kind, built once from `executor` (None when there is none)."""
        if self.executor is None:
            return None
        if "executor" not in self._built:
            self._built["executor"] = self.executor(self)
        return self._built["executor"]

    def allows_state(self, obj) -> bool:
        """Whether the object's state is one this action is allowed from."""
        return self.from_states is None or getattr(obj, self.state_field, None) in self.from_states

    def check(self, obj) -> None:
        """Guards, state, checks on the mirrored object; raises ServiceError to refuse."""
        for guard in self.guards:
            guard(self, obj)
        if not self.allows_state(obj):
            raise ServiceError(self.refusal(self, obj), code="transition")
        for check in self.checks:
            check(self, obj)

    def refusal_of(self, obj) -> str | None:
        """Why the action is not possible on `obj` now, in words; None if it is."""
        try:
            self.check(obj)
        except ServiceError as refused:
            return refused.message
        return None


def target_type_of(model: type[models.Model]) -> str:
    """`app_label.model_name`, the `target_type` of actions on `model`'s rows."""
    return f"{model._meta.app_label}.{model._meta.model_name}"


# --- the registered specs -------------------------------------------------------------------


def all_specs() -> tuple[ActionSpec, ...]:
    """Every registered spec, in registration order."""
    return registry.action_specs()


@cache
def _by_kind() -> dict[str, ActionSpec]:
    return {spec.kind: spec for spec in all_specs()}


def spec_for(kind: str) -> ActionSpec:
    """The spec of an action kind (LookupError when none is registered)."""
    try:
        return _by_kind()[kind]
    except KeyError:
        raise LookupError(f"no action spec for kind {kind!r}") from None


def specs_of(model: type[models.Model]) -> list[ActionSpec]:
    """The specs whose target is `model`, in registration order (the order forms show in)."""
    return [spec for spec in all_specs() if spec.model_class is model]


def spec_of(model: type[models.Model], action: str) -> ActionSpec:
    """The spec of `action` on `model`'s rows (LookupError when there is none)."""
    for spec in specs_of(model):
        if spec.action == action:
            return spec
    raise LookupError(f"no action {action!r} on {model._meta.label}")


def transition_table(specs) -> dict[str, tuple[tuple[str, ...] | None, str | None]]:
    """{action: (from-states, to-state)} of some specs: the transition table they make."""
    return {spec.action: (spec.from_states, spec.to_state) for spec in specs}
