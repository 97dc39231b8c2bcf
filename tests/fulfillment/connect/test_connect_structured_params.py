"""Editing phone, address and checkbox parameters (Connect's `structured_value`) from the back office.

End to end where the sandbox has such parameters (its products ask for a contact phone and a
billing address): the form on the request's page, the POST to the admin, the outbox sending the
PUT, the sandbox's stored request, the page after the answer and after a sync. Checkboxes (no
sandbox product has one) and the service's refusals use the recorded Connect fixture.
"""

from __future__ import annotations

from typing import ClassVar

import pytest
from django.urls import reverse

from channelhub import registry
from channelhub.actions.sender import send_action
from channelhub.actions.specs import spec_for
from channelhub.automation import processors as processor_registry
from channelhub.automation.contract import Decision, Processor
from channelhub.automation.runner import run_due
from channelhub.automation.services import processor_enable
from channelhub.models import ActionStatus, TaskStatus, UpstreamAction
from channelhub.services import ServiceError
from channelhub.sync.engine import run_stream
from fulfillment.connect import services
from fulfillment.connect.executors import RequestExecutor
from fulfillment.connect.forms import UpdateParamsForm
from fulfillment.models import FulfillmentRequest
from tests.channelhub.actions.helpers import log_entries, pick_request, upstream
from tests.fulfillment.connect.factories import FulfillmentRequestFactory, load_fixture

pytestmark = pytest.mark.django_db

NEW_PHONE = {"country_code": "+44", "area_code": "20", "phone_number": "71234567", "extension": "12"}


def _act_url(obj) -> str:
    return reverse(f"admin:fulfillment_{obj._meta.model_name}_act", args=[obj.pk, "update_params"])


def _change_url(obj) -> str:
    return reverse(f"admin:fulfillment_{obj._meta.model_name}_change", args=[obj.pk])


def _as_shown(obj) -> dict:
    """The form's data as the browser posts it untouched: every field with its initial value."""
    form = UpdateParamsForm(obj=obj, prefix="update_params")
    return {form.add_prefix(name): form[name].initial for name in form.fields}


def _param(obj, kind: str) -> dict:
    found = [p for p in obj.params if p["type"] == kind]
    assert found, f"{obj.pk} has no {kind} parameter"
    return found[0]


def _field(pid: str, part: str = "") -> str:
    return f"update_params-value__{pid}__{part}" if part else f"update_params-value__{pid}"


def _upstream_param(sandbox, request_id: str, pid: str) -> dict:
    doc = upstream(sandbox, f"/requests/{request_id}")
    return {p["id"]: p for p in doc["asset"]["params"]}[pid]


@pytest.fixture
def staff(client, support):
    client.force_login(support)
    return client


def test_the_form_shows_phone_and_address_parts_prefilled(mirrored, staff):
    request = pick_request("pending")
    phone, address = _param(request, "phone"), _param(request, "address")
    assert phone["structured_value"]["phone_number"] and address["structured_value"]["city"]
    html = staff.get(_change_url(request)).content.decode()
    for pid, structured in (
        (phone["id"], phone["structured_value"]),
        (address["id"], address["structured_value"]),
    ):
        for part, value in structured.items():
            name = _field(pid, part)
            assert f'name="{name}"' in html, name
            if value:
                assert f'value="{value}"' in html.split(f'name="{name}"', 1)[1][:200], (name, value)
        assert f'name="{_field(pid, "shown")}"' in html


def test_a_new_phone_number_reaches_the_sandbox_and_the_page(mirrored, staff):
    request = pick_request("pending")
    pid = _param(request, "phone")["id"]
    data = _as_shown(request)
    data.update({_field(pid, part): value for part, value in NEW_PHONE.items()})
    data[_field(pid, "area_code")] = " 20 "  # separators and spaces are dropped
    response = staff.post(_act_url(request), data)
    assert response.status_code == 302, response.content.decode()[:2000]

    action = UpstreamAction.objects.get(target_id=request.pk)
    # Only the phone: the address and text parameters were posted unchanged.
    assert action.payload == {
        "params": [{"id": pid, "value": "+442071234567", "structured_value": NEW_PHONE}]
    }
    done = send_action(action.pk)
    assert done.status == ActionStatus.SUCCEEDED, done.last_error
    stored = _upstream_param(mirrored, request.pk, pid)
    assert stored["structured_value"] == NEW_PHONE
    assert stored["value"] == "+442071234567"

    after_answer = staff.get(_change_url(request)).content.decode()
    assert "+442071234567" in after_answer  # the parameters table, from the mirror the answer updated
    assert 'value="71234567"' in after_answer  # and the form starts from the new value

    assert run_stream("connect.requests").status == "succeeded"
    synced = FulfillmentRequest.objects.get(pk=request.pk)
    assert next(p for p in synced.params if p["id"] == pid)["structured_value"] == NEW_PHONE
    assert "+442071234567" in staff.get(_change_url(request)).content.decode()


def test_a_changed_address_is_sent_whole(mirrored, staff):
    request = pick_request("pending")
    address = _param(request, "address")
    data = _as_shown(request)
    data[_field(address["id"], "city")] = "Springfield"
    data[_field(address["id"], "country")] = "ca"
    assert staff.post(_act_url(request), data).status_code == 302
    action = UpstreamAction.objects.get(target_id=request.pk)
    expected = {**address["structured_value"], "city": "Springfield", "country": "CA"}
    assert action.payload["params"][0]["structured_value"] == expected
    assert send_action(action.pk).status == ActionStatus.SUCCEEDED
    stored = _upstream_param(mirrored, request.pk, address["id"])
    assert stored["structured_value"] == expected
    assert "Springfield" in stored["value"] and stored["value"].endswith(" CA")


@pytest.mark.parametrize("part, typed, error", [
    ("phone_number", "12ab34", "Should be digits only."),
    ("country_code", "+12345", "Should be a + and digits"),
    ("phone_number", "", "Needed too"),
])  # fmt: skip
def test_a_malformed_phone_is_a_form_error_and_nothing_is_sent(mirrored, staff, part, typed, error):
    request = pick_request("pending")
    pid = _param(request, "phone")["id"]
    data = _as_shown(request)
    data.update({_field(pid, p): v for p, v in NEW_PHONE.items()})
    data[_field(pid, part)] = typed
    response = staff.post(_act_url(request), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert error in html and "Please correct the errors below." in html
    assert f'value="{typed}"' in html or not typed  # what was typed is kept
    assert not UpstreamAction.objects.exists()
    assert log_entries(mirrored, f"/requests/{request.pk}", method="PUT") == []
    assert _upstream_param(mirrored, request.pk, pid)["structured_value"] != NEW_PHONE


def test_an_incomplete_address_is_a_form_error(mirrored, staff):
    request = pick_request("pending")
    pid = _param(request, "address")["id"]
    data = _as_shown(request)
    data[_field(pid, "city")] = ""
    data[_field(pid, "country")] = "USA"
    html = staff.post(_act_url(request), data).content.decode()
    assert "Needed too" in html and "Should be a two-letter country code" in html
    assert not UpstreamAction.objects.exists()


def test_a_page_without_the_parts_leaves_the_phone_alone(mirrored, staff):
    request = pick_request("pending")
    phone = _param(request, "phone")
    data = {k: v for k, v in _as_shown(request).items() if not k.startswith(_field(phone["id"], ""))}
    text = next(p for p in request.params if p["type"] == "text" and not p["secret"])
    data[_field(text["id"])] = "changed text"
    assert staff.post(_act_url(request), data).status_code == 302
    assert UpstreamAction.objects.get().payload == {"params": [{"id": text["id"], "value": "changed text"}]}


def test_nothing_changed_is_refused_by_the_service(mirrored, staff):
    request = pick_request("pending")
    html = staff.post(_act_url(request), _as_shown(request)).content.decode()
    assert "No parameter values to change." in html
    assert not UpstreamAction.objects.exists()


# --- checkboxes and the service's rules (the recorded Connect request) -------------------------


def test_a_checkbox_has_one_tick_per_option_and_is_sent_as_options(db, staff):
    request = FulfillmentRequestFactory()
    checkbox = _param(request, "checkbox")
    assert checkbox["structured_value"] == {"V-1": True, "V-2": False, "V-3": False}
    html = staff.get(_change_url(request)).content.decode()
    assert html.count(f'name="{_field(checkbox["id"])}"') == 3
    data = _as_shown(request)
    assert data[_field(checkbox["id"])] == ["V-1"]
    data[_field(checkbox["id"])] = ["V-2", "V-3"]
    assert staff.post(_act_url(request), data).status_code == 302
    assert UpstreamAction.objects.get().payload == {
        "params": [
            {
                "id": checkbox["id"],
                "value": "V-2, V-3",
                "structured_value": {"V-1": False, "V-2": True, "V-3": True},
            }
        ]
    }


def test_a_checkbox_whose_product_lists_no_options_is_not_offered(db):
    payload_params = load_fixture("fulfillment_request.json")["asset"]["params"]
    for p in payload_params:
        if p["type"] == "checkbox":
            p.pop("value_choices", None)
            p["constraints"]["meta"] = {}
    request = FulfillmentRequestFactory(params=payload_params)
    checkbox = _param(request, "checkbox")
    form = UpdateParamsForm(obj=request, prefix="update_params")
    assert not [name for name in form.fields if checkbox["id"] in name]
    assert any(name.startswith(f"value__{_param(request, 'phone')['id']}__") for name in form.fields)
    assert not [name for name in form.fields if _param(request, "object")["id"] in name]


@pytest.mark.parametrize("kind, value, message", [
    ("text", {"city": "Paris"}, "it takes a text value, not parts"),
    ("phone", {"number": "123"}, "its parts are country_code, area_code, phone_number, extension"),
    ("address", {"city": 5}, "each a text"),
    ("checkbox", {"V-1": "yes"}, "must be on or off"),
])  # fmt: skip
def test_the_service_refuses_structured_values_of_the_wrong_shape(db, support, kind, value, message):
    request = FulfillmentRequestFactory()
    pid = _param(request, kind)["id"]
    with pytest.raises(ServiceError, match=message):
        services.request_update_params(request=request, values={pid: value}, actor=support)
    assert not UpstreamAction.objects.exists()


def test_the_service_fills_missing_parts_and_writes_the_value(db, support):
    request = FulfillmentRequestFactory()
    pid = _param(request, "phone")["id"]
    action = services.request_update_params(
        request=request, values={pid: {"country_code": "+1", "phone_number": "5550123"}}, actor=support
    )
    assert action.payload["params"] == [
        {
            "id": pid,
            "value": "+15550123",
            "structured_value": {
                "country_code": "+1",
                "area_code": "",
                "phone_number": "5550123",
                "extension": "",
            },
        }
    ]


def test_a_retry_sees_an_extension_only_change_as_not_applied_yet(db, support):
    """The one-line value of a phone leaves the extension out: a send that may have reached
    Connect is taken as applied only when the structured value matches too."""
    request = FulfillmentRequestFactory()
    pid = _param(request, "phone")["id"]
    sent = {"country_code": "+1", "area_code": "", "phone_number": "5550123", "extension": "42"}
    action = services.request_update_params(request=request, values={pid: sent}, actor=support)
    executor = RequestExecutor(spec_for(action.kind))
    before = {**sent, "extension": ""}
    upstream = {"asset": {"params": [{"id": pid, "value": "+15550123", "structured_value": before}]}}
    assert not executor.is_applied(action, upstream)
    upstream["asset"]["params"][0]["structured_value"] = sent
    assert executor.is_applied(action, upstream)


class _Phoner(Processor):
    """Sets one request's phone parameter from its read-only view (a frozen mapping)."""

    name = "test.phoner"
    events: ClassVar = {"asset_purchase_request_processing": ("pending",)}
    target = ""

    def process(self, request):
        if request.id != type(self).target:
            return Decision.skip("not the test's request")
        phone = next(p for p in request.asset.params if p.type == "phone")
        return Decision.update_params({phone.id: {**phone.structured_value, "extension": "77"}})


def test_a_processor_updates_a_phone_from_its_view(mirrored, supervisor, monkeypatch):
    store = registry.STORES["processors"]
    monkeypatch.setattr(store, "_items", [*store._items, _Phoner])
    processor_registry._by_name.cache_clear()
    request = pick_request("pending", type="purchase")
    pid = _param(request, "phone")["id"]
    _Phoner.target = request.pk
    try:
        processor_enable(name=_Phoner.name, actor=supervisor, product_id=request.product_id)
        task = next(t for t in run_due(limit=1000) if t.target_id == request.pk)
    finally:
        processor_registry._by_name.cache_clear()
    assert (task.status, task.decision) == (TaskStatus.DECIDED, "update_params")
    assert send_action(task.action_id).status == ActionStatus.SUCCEEDED
    assert _upstream_param(mirrored, request.pk, pid)["structured_value"]["extension"] == "77"
