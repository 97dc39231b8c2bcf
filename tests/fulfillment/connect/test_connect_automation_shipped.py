"""The processors Connect ships beyond the purchase rules, against the sandbox over HTTP: seed
000's FulfillmentExample ported to the contract (same outcomes as the example's own logic on
the sandbox's pending requests), and the tier config setup processor."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests

from channelhub import registry
from channelhub.automation import processors as processor_registry
from channelhub.models import TaskStatus
from channelhub.sync.engine import run_stream
from fulfillment.connect.automation.sdk_example import FulfillmentExample
from fulfillment.models import TierConfigRequest
from tests.channelhub.actions.helpers import HEADERS, upstream
from tests.channelhub.sync.helpers import control

from .automation_helpers import (
    a_product_with_pending_purchases,
    enable,
    fulfillment_template,
    pending_purchases,
    run_and_send,
    tasks_of,
)

pytestmark = pytest.mark.django_db

EXAMPLE = "connect.sdk_example"
EMAIL_ERROR = "Email address has not been provided, please provide one"


def example_outcome(raw: dict, *, email_name: str, purchase_param: str, template_id: str):
    """What seed 000's `FulfillmentExample.process_request` does with one request, read
    straight off the upstream's JSON as the legacy SDK saw it: (status after, detail)."""
    params = raw["asset"]["params"]
    migration = next((p for p in params if p["id"] == "migration_info"), None)
    if migration and str(migration.get("value") or "").strip():
        return "pending", "skipped: needs migration"
    if raw["type"] != "purchase":
        return "pending", "not a purchase"
    if any(Decimal(str(item["quantity"])) > 100000 for item in raw["asset"]["items"]):
        return "failed", "Is not possible to purchase product in such quantities"
    for param in params:
        if param["name"] == email_name and not param.get("value"):
            return "inquiring", {param["id"]: EMAIL_ERROR}
    if not any(p["id"] == purchase_param for p in params):
        return "failed", f'The asset is expected to have a "{purchase_param}" param.'
    return "approved", template_id


def outcome_upstream(raw: dict):
    """The request's status upstream now, with the detail `example_outcome` names."""
    status = raw["status"]
    if status == "failed":
        return status, raw["reason"]
    if status == "inquiring":
        return status, {p["id"]: p["value_error"] for p in raw["asset"]["params"] if p.get("value_error")}
    if status == "approved":
        return status, raw["template"]["id"]
    return status, None


def blank_param(sandbox, request_id: str, param_id: str) -> None:
    """A customer who left a parameter empty: the request's parameter blanked upstream."""
    response = requests.put(
        f"{sandbox.connect_url}/requests/{request_id}",
        json={"asset": {"params": [{"id": param_id, "value": ""}]}},
        headers=HEADERS,
        timeout=30,
    )
    response.raise_for_status()


def product_with_pending_purchases(sandbox, at_least: int) -> str:
    """A product with `at_least` pending purchases, ticking the sandbox until one has them."""
    for _ in range(10):
        try:
            return a_product_with_pending_purchases(at_least)
        except AssertionError:
            control(sandbox, "POST", "tick")
            assert run_stream("connect.requests").status == "succeeded"
    return a_product_with_pending_purchases(at_least)


def run_until_settled(rounds: int = 4) -> None:
    """Run the processors and send their actions, syncing between rounds (an update of
    parameters is followed, once the sync brings it back, by the approval)."""
    for _ in range(rounds):
        if not run_and_send():
            return
        assert run_stream("connect.requests").status == "succeeded"


@pytest.fixture
def adapted_example(monkeypatch):
    """The example as a team would adapt it to the sandbox's product (its email parameter is
    `admin_email`, the id from "the external service" goes into `tenant_id`), registered
    beside the shipped one."""

    def register(template_id: str) -> str:
        adapted = type(
            "AdaptedExample",
            (FulfillmentExample,),
            {
                "name": "test.sdk_example_adapted",
                "email_param_name": "admin_email",
                "purchase_param_id": "tenant_id",
                "template_id": template_id,
            },
        )
        store = registry.STORES["processors"]
        monkeypatch.setattr(store, "_items", [*store._items, adapted])
        processor_registry._by_name.cache_clear()
        return adapted.name

    yield register
    processor_registry._by_name.cache_clear()


@pytest.mark.parametrize("adapted", [False, True], ids=["as-written", "adapted-to-the-product"])
def test_the_ported_sdk_example_has_the_example_s_outcomes(mirrored, supervisor, adapted_example, adapted):
    product = product_with_pending_purchases(mirrored, at_least=2)
    targets = sorted(pending_purchases(product_id=product).values_list("pk", flat=True))
    template = fulfillment_template(product).pk
    if adapted:
        name = adapted_example(template)
        email_name, purchase_param = "admin_email", "tenant_id"
        blank_param(mirrored, targets[0], "admin_email")  # one customer left the email empty
        assert run_stream("connect.requests").status == "succeeded"
    else:
        name, email_name, purchase_param, template = EXAMPLE, "email", "purchase_id", "TL-497-535-242"
    before = {pk: upstream(mirrored, f"/requests/{pk}") for pk in targets}
    expected = {
        pk: example_outcome(raw, email_name=email_name, purchase_param=purchase_param, template_id=template)
        for pk, raw in before.items()
    }
    enable(name, supervisor, product_id=product)
    run_until_settled()
    after = {pk: outcome_upstream(upstream(mirrored, f"/requests/{pk}")) for pk in targets}
    assert after == expected
    kinds = {status for status, _ in expected.values()}
    assert kinds == ({"approved", "inquiring"} if adapted else {"failed"})
    for pk, (status, _) in expected.items():
        if status == "approved":
            params = {p["id"]: p["value"] for p in upstream(mirrored, f"/requests/{pk}")["asset"]["params"]}
            assert params["tenant_id"] == (before_value(before[pk], "tenant_id") or "...")
            assert tasks_of(name, target_id=pk).order_by("pk").last().decision == "approve"


def before_value(raw: dict, param_id: str) -> str:
    return next((p.get("value") or "" for p in raw["asset"]["params"] if p["id"] == param_id), "")


def test_tier_setups_with_required_parameters_filled_are_approved_the_others_named(mirrored, supervisor):
    setups = list(TierConfigRequest.objects.filter(status="pending", type="setup").order_by("pk"))
    assert setups, "the sandbox has no pending tier config setup"
    enable("connect.tier_setup", supervisor)
    done = {task.target_id: task for task in run_and_send()}
    assert set(done) == {setup.pk for setup in setups}
    for setup in setups:
        empty = [
            p["id"] for p in setup.params if p.get("constraints", {}).get("required") and not p.get("value")
        ]
        answer = upstream(mirrored, f"/tier/config-requests/{setup.pk}")
        task = done[setup.pk]
        if empty:
            assert task.status == TaskStatus.SKIPPED
            assert task.reason == f"Required parameters are empty: {', '.join(empty)}; left for a person."
            assert answer["status"] == "pending"
        else:
            assert task.status == TaskStatus.DECIDED and task.decision == "approve"
            assert answer["status"] == "approved"
