"""`python manage.py processors`: list, enable, disable and run, against the sandbox over HTTP."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from channelhub.models import AuditEvent, ProcessorSetting, TaskStatus, UpstreamAction
from tests.channelhub.actions.helpers import drain, upstream

from .automation_helpers import a_product_with_pending_purchases, pending_purchases, rules_for, tasks_of

pytestmark = pytest.mark.django_db

RULES = "connect.purchase_rules"


def processors(*args) -> str:
    out = StringIO()
    call_command("processors", *args, stdout=out)
    return out.getvalue()


def test_list_names_every_processor_what_it_handles_and_where_it_runs(db):
    listing = processors("list")
    for name in (RULES, "connect.tier_setup", "connect.sdk_example"):
        assert f"{name} 1.0:" in listing
    assert "handles asset_purchase_request_processing in pending" in listing
    assert "off everywhere (enable it to start)" in listing
    processors("enable", RULES, "--product", "PRD-1", "--dry-run")
    assert "dry run for PRD-1" in processors("list")


def test_enable_and_disable_are_audited_as_the_system(db):
    assert "connect.tier_setup on for every product" in processors("enable", "connect.tier_setup")
    setting = ProcessorSetting.objects.get(processor="connect.tier_setup", product_id="")
    assert setting.enabled and not setting.dry_run
    assert "off for every product" in processors("disable", "connect.tier_setup")
    assert not ProcessorSetting.objects.get(pk=setting.pk).enabled
    events = AuditEvent.objects.filter(target_id="connect.tier_setup").order_by("pk")
    assert [e.action for e in events] == ["automation.processor.enabled", "automation.processor.disabled"]
    assert {e.actor_name for e in events} == {"channelhub-system"}


def test_unknown_processor_and_run_while_off_are_clear_errors(db):
    with pytest.raises(CommandError, match="no processor 'nope' \\(known: "):
        processors("enable", "nope")
    with pytest.raises(CommandError, match="off everywhere: enable it first"):
        processors("run", RULES)


def test_run_dry_run_prints_each_decision_and_writes_nothing(mirrored):
    product = a_product_with_pending_purchases()
    rules_for(product)
    targets = set(pending_purchases(product_id=product).values_list("pk", flat=True))
    printed = processors("run", RULES, "--dry-run")
    for target in targets:
        assert f"{target}: would approve" in printed
    assert "dry run, nothing written: " in printed
    assert not tasks_of(RULES).exists() and not UpstreamAction.objects.exists()


def test_run_is_one_pass_now_with_each_decision_printed(mirrored):
    product = a_product_with_pending_purchases()
    rules_for(product)
    processors("enable", RULES, "--product", product)
    tasks_of(RULES).delete()  # what enabling queued: `run` queues and runs the pass itself
    printed = processors("run", RULES)
    targets = set(pending_purchases(product_id=product).values_list("pk", flat=True))
    for target in targets:
        assert f"{target}: decided (action queued) approve: Every parameter rule holds." in printed
    assert f"one pass: decided {len(targets)}" in printed
    drain()
    assert {upstream(mirrored, f"/requests/{pk}")["status"] for pk in targets} == {"approved"}
    assert set(tasks_of(RULES).values_list("status", flat=True)) == {TaskStatus.DECIDED}
