"""How processors are run, on Connect requests over the sandbox: failures retried then shown,
time-outs, reschedule, take-over, a person and a processor on one request, faults."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from channelhub import registry
from channelhub.automation import processors as processor_registry
from channelhub.automation.contract import Decision, Processor
from channelhub.automation.runner import run_due
from channelhub.automation.services import release, take_over
from channelhub.models import ActionStatus, AutomationTask, TaskStatus, UpstreamAction
from channelhub.services import ServiceError
from fulfillment.connect import services
from tests.channelhub.actions.helpers import drain, upstream
from tests.channelhub.sync.helpers import control, settled_log

from .automation_helpers import (
    enable,
    pending_purchases,
    rules_for_every_product,
    tasks_of,
    with_pending_purchases,
)

pytestmark = pytest.mark.django_db

PURCHASES = {"asset_purchase_request_processing": ("pending",)}


class Raising(Processor):
    name = "test.raising"
    events = PURCHASES

    def process(self, request):
        raise ValueError(f"cannot read {request.id}")


class Sleeping(Processor):
    name = "test.sleeping"
    events = PURCHASES
    timeout = 1

    def process(self, request):
        time.sleep(5)


class Later(Processor):
    name = "test.later"
    events = PURCHASES

    def process(self, request):
        return Decision.reschedule(45, reason="the vendor's system is busy")


class Garbage(Processor):
    name = "test.garbage"
    events = PURCHASES

    def process(self, request):
        return "approve"


class Writer(Processor):
    name = "test.writer"
    events = PURCHASES

    def process(self, request):
        request.status = "approved"


@pytest.fixture
def extra_processors(monkeypatch):
    """The test processors registered beside the shipped ones."""
    store = registry.STORES["processors"]
    monkeypatch.setattr(store, "_items", [*store._items, Raising, Sleeping, Later, Garbage, Writer])
    processor_registry._by_name.cache_clear()
    yield
    processor_registry._by_name.cache_clear()


@pytest.fixture
def one_product(mirrored):
    """Every pending purchase, and product "" (the processors are enabled for all products)."""
    return "", with_pending_purchases(mirrored, 3)


def test_an_exception_is_retried_with_backoff_then_shown_with_its_traceback(
    one_product, supervisor, extra_processors, settings
):
    settings.AUTOMATION_RETRY_SECONDS = 30
    product, targets = one_product
    enable("test.raising", supervisor, product_id=product)
    first = run_due()
    assert {t.status for t in first} == {TaskStatus.DUE} and {t.attempts for t in first} == {1}
    task = first[0]
    assert timedelta(seconds=25) < task.next_run_at - timezone.now() <= timedelta(seconds=30)
    assert run_due() == []  # not due yet
    second = run_due(now=timezone.now() + timedelta(seconds=31))
    assert {t.attempts for t in second} == {2}
    assert timedelta(seconds=55) < second[0].next_run_at - timezone.now() <= timedelta(seconds=60)
    third = run_due(now=timezone.now() + timedelta(seconds=61))
    assert {t.status for t in third} == {TaskStatus.FAILED}
    failed = AutomationTask.objects.get(pk=task.pk)
    assert failed.reason == f"ValueError: cannot read {task.target_id}"
    assert "Traceback" in failed.error and "raise ValueError" in failed.error
    assert not UpstreamAction.objects.exists()  # never a silent skip, never an action


def test_a_handler_past_its_time_limit_fails_its_try(one_product, supervisor, extra_processors, settings):
    settings.AUTOMATION_MAX_ATTEMPTS = 1
    product, targets = one_product
    enable("test.sleeping", supervisor, product_id=product)
    started = time.monotonic()
    done = run_due(limit=1)
    assert time.monotonic() - started < 3
    assert done[0].status == TaskStatus.FAILED
    assert done[0].error.startswith("Timed out after 1 s")
    assert "HandlerTimeout" in done[0].reason


def test_answers_that_are_not_decisions_and_writes_to_the_view_are_failures(
    one_product, supervisor, extra_processors, settings
):
    settings.AUTOMATION_MAX_ATTEMPTS = 1
    product, targets = one_product
    enable("test.garbage", supervisor, product_id=product)
    enable("test.writer", supervisor, product_id=product)
    done = run_due(limit=1000)
    garbage = [t for t in done if t.processor == "test.garbage"]
    writer = [t for t in done if t.processor == "test.writer"]
    assert garbage and {t.status for t in garbage} == {TaskStatus.FAILED}
    assert "returned str, not a Decision" in garbage[0].reason
    assert writer and {t.status for t in writer} == {TaskStatus.FAILED}
    assert "read-only" in writer[0].reason
    assert set(pending_purchases().values_list("pk", flat=True)) == targets  # nothing acted


def test_reschedule_asks_again_after_the_delay(one_product, supervisor, extra_processors):
    product, targets = one_product
    enable("test.later", supervisor, product_id=product)
    done = run_due()
    assert {t.status for t in done} == {TaskStatus.RESCHEDULED}
    assert timedelta(seconds=40) < done[0].next_run_at - timezone.now() <= timedelta(seconds=45)
    assert done[0].reason == "the vendor's system is busy"
    assert run_due() == []
    again = run_due(now=timezone.now() + timedelta(seconds=46))
    assert {t.pk for t in again} == {t.pk for t in done}  # the same tasks, asked again


def test_take_over_keeps_processors_away_until_released(mirrored, one_product, supervisor, support):
    product, targets = one_product
    rules_for_every_product()
    held_id = min(targets)
    take_over(
        target_type="fulfillment.fulfillmentrequest", target_id=held_id, actor=support, note="VIP customer"
    )
    enable("connect.purchase_rules", supervisor, product_id=product)
    assert not tasks_of("connect.purchase_rules", target_id=held_id).exists()
    run_due(limit=1000)
    drain()
    assert upstream(mirrored, f"/requests/{held_id}")["status"] == "pending"
    with pytest.raises(ServiceError, match="already held by sue"):
        take_over(target_type="fulfillment.fulfillmentrequest", target_id=held_id, actor=supervisor)
    assert release(target_type="fulfillment.fulfillmentrequest", target_id=held_id, actor=support) == 1
    run_due()
    drain()
    assert upstream(mirrored, f"/requests/{held_id}")["status"] == "approved"


def test_a_person_and_a_processor_on_one_request_make_one_upstream_action(one_product, supervisor, support):
    product, targets = one_product
    rules_for_every_product()
    first, second = sorted(targets)[:2]
    # a person acts first: the processor waits for the person's action instead of acting
    person = services.request_fail(
        request=pending_purchases().get(pk=first), reason="customer asked to cancel", actor=support
    )
    enable("connect.purchase_rules", supervisor, product_id=product)
    done = {t.target_id: t for t in run_due(limit=1000)}
    assert done[first].status == TaskStatus.RESCHEDULED
    assert done[first].reason == "Waiting: fail by sue is still open."
    # the processor acted first: the person is refused
    assert done[second].status == TaskStatus.DECIDED
    with pytest.raises(ServiceError) as refused:
        services.request_fail(request=pending_purchases().get(pk=second), reason="too late", actor=support)
    assert refused.value.code == "busy"
    drain()
    assert UpstreamAction.objects.filter(target_id=first).get() == person
    assert UpstreamAction.objects.filter(target_id=second).get().actor.username == "channelhub-system"
    # once the person's action is done, the waiting task finds the request failed and stops
    later = run_due(now=timezone.now() + timedelta(seconds=61))
    assert [(t.target_id, t.status) for t in later] == [(first, TaskStatus.DROPPED)]
    assert "Now failed" in later[0].reason


@pytest.mark.parametrize("faults", [["timeout"], ["500", "502"], ["reset"]])
def test_decisions_under_faults_are_applied_exactly_once(mirrored, one_product, supervisor, settings, faults):
    settings.UPSTREAM_MAX_RETRIES = 0  # every fault reaches the outbox's own retry
    product, targets = one_product
    rules_for_every_product()
    enable("connect.purchase_rules", supervisor, product_id=product)
    run_due(limit=1000)
    target = min(targets)
    control(mirrored, "DELETE", "log")
    control(mirrored, "POST", "faults", {"next": faults, "path": f"{target}/approve", "timeout_seconds": 3})
    drain(max_rounds=20)
    assert set(UpstreamAction.objects.values_list("status", flat=True)) == {ActionStatus.SUCCEEDED}
    for request_id in targets:
        assert upstream(mirrored, f"/requests/{request_id}")["status"] == "approved"
    log = settled_log(mirrored, lambda e: any(f"{target}/approve" in x["path"] for x in e))
    approves = [e for e in log if f"{target}/approve" in e["path"] and e["method"] == "POST"]
    assert approves and [e for e in approves if e["status"] == 400] == []
    assert tasks_of("connect.purchase_rules", target_id=target).count() == 1
