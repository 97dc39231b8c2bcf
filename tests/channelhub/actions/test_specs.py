"""ActionSpec: one declaration per staff action, and the system check that refuses a wrong one.

Each bad spec is built here (not registered) and handed to the check the start-up check runs
on the registry's specs; a spec that is right passes it, so each failure names one mistake.
"""

from __future__ import annotations

import pytest
from django.core import checks

from channelhub.actions import registry as executors
from channelhub.actions.checks import check_actions, check_specs
from channelhub.actions.executors import Executor
from channelhub.actions.specs import ActionSpec, all_specs, spec_for, specs_of
from channelhub.forms import ActionForm
from fulfillment.connect.choices import RequestStatus
from fulfillment.connect.models import Conversation, FulfillmentRequest
from fulfillment.connect.transitions import REQUEST_TRANSITIONS


class _Executor(Executor):
    """Sends nothing: only its kind matters here."""


class _Form(ActionForm):
    """No fields."""


def _service(**kwargs):
    """Queues nothing."""


def _spec(**changes) -> ActionSpec:
    fields = {
        "kind": "test.request.approve",
        "model": FulfillmentRequest,
        "label": "Approve",
        "perm": "fulfillment.act_fulfillmentrequest",
        "from_states": (RequestStatus.PENDING,),
        "to_state": RequestStatus.APPROVED,
        "form": _Form,
        "service": _service,
        "executor": _Executor,
    }
    return ActionSpec(**{**fields, **changes})


def _ids(errors) -> list[str]:
    return [error.id for error in errors]


def test_a_spec_declared_right_passes():
    assert check_specs([_spec()]) == []


def test_the_registered_specs_pass_the_start_up_check():
    assert check_actions in checks.registry.registry.get_checks()  # it runs at start-up
    assert check_actions() == []
    assert not [e for e in checks.run_checks() if e.id.startswith("channelhub.E01")]


@pytest.mark.parametrize(
    "changes, code, words",
    [
        ({"executor": None}, "channelhub.E012", "has no executor"),
        ({"kind": "Approve!"}, "channelhub.E010", "is not a kind"),
        ({"model": "fulfillment.NoSuchModel"}, "channelhub.E014", "not a model"),
        ({"model": dict}, "channelhub.E014", "not a model"),
        ({"from_states": ("pending", "nirvana")}, "channelhub.E015", "'nirvana'"),
        ({"to_state": "done-ish"}, "channelhub.E015", "'done-ish'"),
        ({"state_field": "mood"}, "channelhub.E015", "no state field"),
        ({"model": Conversation, "perm": "fulfillment.view_conversation"}, "channelhub.E015", "no choices"),
        ({"perm": "fulfillment.approve_everything"}, "channelhub.E016", "approve_everything"),
        ({"perm": "nowhere.act_fulfillmentrequest"}, "channelhub.E016", "nowhere"),
        ({"form": dict}, "channelhub.E017", "not a form class"),
        ({"service": None}, "channelhub.E017", "no service"),
    ],
    ids=[
        "no-executor",
        "bad-kind",
        "unknown-model",
        "not-a-model",
        "unknown-from-state",
        "unknown-to-state",
        "no-state-field",
        "state-field-without-choices",
        "unknown-permission",
        "permission-of-no-app",
        "form-not-a-form",
        "no-service",
    ],
)
def test_each_mistake_fails_the_check(changes, code, words):
    errors = check_specs([_spec(**changes)])
    assert code in _ids(errors), errors
    assert any(words in error.msg for error in errors), [e.msg for e in errors]


def test_a_default_permission_is_a_permission():
    assert check_specs([_spec(perm="fulfillment.change_fulfillmentrequest")]) == []


def test_an_executor_of_another_kind_fails_the_check():
    class Elsewhere(Executor):
        """Claims another kind than its spec's."""

        def __init__(self, spec):
            super().__init__(spec)
            self.kind = "test.request.other"

    errors = check_specs([_spec(executor=Elsewhere)])
    assert _ids(errors) == ["channelhub.E012"]
    assert "of kind 'test.request.other'" in errors[0].msg


def test_a_kind_declared_twice_fails_the_check():
    assert "channelhub.E011" in _ids(check_specs([_spec(), _spec()]))


def test_an_executor_without_a_spec_fails_the_check():
    lonely = _Executor()
    lonely.kind = "test.request.orphan"
    errors = check_specs([], {lonely.kind: lonely})
    assert _ids(errors) == ["channelhub.E013"]
    assert "'test.request.orphan' has an executor but no ActionSpec" in errors[0].msg


def test_every_executor_comes_from_its_spec():
    assert executors.undeclared() == {}
    for spec in all_specs():
        executor = executors.get(spec.kind)
        assert executor.kind == spec.kind and executor.spec is spec
        assert spec_for(spec.kind) is spec


def test_the_transition_tables_are_what_the_specs_say():
    approve = spec_for("connect.request.approve")
    assert REQUEST_TRANSITIONS["approve"] == (approve.from_states, approve.to_state)
    assert [s.action for s in specs_of(FulfillmentRequest)] == list(REQUEST_TRANSITIONS)
    assert approve.target_type == "fulfillment.fulfillmentrequest"
    assert approve.template == "admin/fulfillment/actions/_approve.html"
    assert spec_for("connect.tcr.approve").template == "admin/fulfillment/actions/_tcr_approve.html"


def test_a_form_takes_its_name_and_label_from_its_spec():
    spec = spec_for("connect.request.pend")
    form = spec.form(obj=None, spec=spec)
    assert (form.action, form.label, form.prefix) == ("pend", "Back to pending", "pend")
