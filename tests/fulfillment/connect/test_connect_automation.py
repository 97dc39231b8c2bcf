"""The shipped purchase-rules processor against the sandbox, over HTTP: each decision kind end
to end, dry run, the audit naming the processor, and the sync as the trigger."""

from __future__ import annotations

import pytest

from channelhub.automation.selectors import dry_run_summary
from channelhub.models import AuditEvent, TaskStatus, UpstreamAction
from channelhub.sync.engine import run_stream
from tests.channelhub.actions.helpers import upstream
from tests.channelhub.sync.helpers import control

from .automation_helpers import (
    a_product_with_pending_purchases,
    enable,
    pending_purchases,
    rules_for,
    run_and_send,
    tasks_of,
)

pytestmark = pytest.mark.django_db

RULES = "connect.purchase_rules"


def first_text_param(request) -> str:
    return next(p["id"] for p in request.params if p.get("type") in ("text", "email") and p.get("value"))


def test_approves_a_purchase_whose_parameters_hold_and_says_who_decided(mirrored, supervisor):
    product = a_product_with_pending_purchases()
    rules = rules_for(product)
    queued = enable(RULES, supervisor, product_id=product)
    targets = set(pending_purchases(product_id=product).values_list("pk", flat=True))
    assert queued == len(targets) > 0
    done = run_and_send()
    assert {t.target_id for t in done} == targets
    assert {t.status for t in done} == {TaskStatus.DECIDED}
    for request_id in targets:
        answer = upstream(mirrored, f"/requests/{request_id}")
        assert answer["status"] == "approved"
        assert answer["template"]["id"] == rules.template_id
    queued_event = AuditEvent.objects.filter(
        target_id=next(iter(targets)), action="connect.request.approve.queued"
    ).get()
    assert queued_event.actor_name == "channelhub-system"
    assert queued_event.message.startswith(f"Decided by processor {RULES} 1.0: Every parameter rule holds")


def test_inquires_naming_exactly_the_parameters_that_break_their_rules(mirrored, supervisor):
    product = a_product_with_pending_purchases()
    request = pending_purchases(product_id=product).order_by("pk").first()
    broken = first_text_param(request)
    kept = next(p["id"] for p in request.params if p["id"] != broken and p.get("value"))
    rules_for(
        product,
        params=[
            {"parameter_id": broken, "pattern": r"ZZZ-\d+", "message": "Use your ZZZ number"},
            {"parameter_id": kept, "required": True},
        ],
    )
    enable(RULES, supervisor, product_id=product)
    run_and_send()
    answer = upstream(mirrored, f"/requests/{request.pk}")
    assert answer["status"] == "inquiring"
    errors = {p["id"]: p.get("value_error") for p in answer["asset"]["params"] if p.get("value_error")}
    assert errors == {broken: "Use your ZZZ number"}
    task = tasks_of(RULES, target_id=request.pk).get()
    assert task.decision == "inquire" and task.detail["param_errors"] == {broken: "Use your ZZZ number"}


def test_fails_a_quantity_over_the_limit(mirrored, supervisor):
    product = a_product_with_pending_purchases()
    rules_for(product, max_quantity=0)  # every sandbox purchase orders at least one
    enable(RULES, supervisor, product_id=product)
    run_and_send()
    request = pending_purchases(product_id=product).first()
    assert request is None  # none left pending
    task = tasks_of(RULES).order_by("pk").first()
    answer = upstream(mirrored, f"/requests/{task.target_id}")
    assert answer["status"] == "failed"
    assert "over the limit of 0" in answer["reason"]


def test_a_product_without_rules_is_left_for_a_person(mirrored, supervisor):
    enable(RULES, supervisor)
    done = run_and_send()
    assert done and {t.status for t in done} == {TaskStatus.SKIPPED}
    assert "No purchase rules" in done[0].reason
    assert not UpstreamAction.objects.exists()


def test_dry_run_records_decisions_without_doing_them(mirrored, supervisor):
    product = a_product_with_pending_purchases()
    rules_for(product)
    enable(RULES, supervisor, product_id=product, dry_run=True)
    done = run_and_send()
    assert done and {t.status for t in done} == {TaskStatus.DRY_RUN}
    assert not UpstreamAction.objects.exists()
    assert dry_run_summary(processor=RULES) == {"approve": len(done)}
    for task in done:
        assert upstream(mirrored, f"/requests/{task.target_id}")["status"] == "pending"


def test_the_sync_asks_about_new_and_changed_rows_only(mirrored, supervisor):
    enable(RULES, supervisor)  # no rules: every purchase is skipped, and not asked again
    run_and_send()
    asked = tasks_of(RULES).count()
    assert run_stream("connect.requests").status == "succeeded"
    assert tasks_of(RULES).count() == asked  # nothing changed, nobody asked again
    ticked = control(mirrored, "POST", "tick")
    assert run_stream("connect.requests").status == "succeeded"
    new_pending = pending_purchases(pk__in=ticked["connect"]["new_requests"]).count()
    assert new_pending > 0
    assert tasks_of(RULES).count() == asked + new_pending
    assert set(tasks_of(RULES, status=TaskStatus.DUE).values_list("target_id", flat=True)) == set(
        pending_purchases(pk__in=ticked["connect"]["new_requests"]).values_list("pk", flat=True)
    )
