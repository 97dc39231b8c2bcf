"""The back office's automation pages against the sandbox's Connect world: the processors page
(supervisors switch, preview and run; support only reads), the automation tasks' list and
detail (the traceback for supervisors only) and the purchase rules' admin (audited)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_q.signals import pre_enqueue

from channelhub.automation.services import RUN_TASK
from channelhub.models import AuditEvent, AutomationTask, ProcessorSetting, TaskStatus, UpstreamAction
from fulfillment.models import ParameterRule, PurchaseRules, Template

from .automation_helpers import (
    a_product_with_pending_purchases,
    fulfillment_template,
    pending_purchases,
    rules_for,
    run_and_send,
    tasks_of,
)

pytestmark = pytest.mark.django_db

RULES = "connect.purchase_rules"
PAGE = "admin:channelhub_processorsetting_changelist"


def _messages(client) -> list[str]:
    return [str(m) for m in client.get(reverse("admin:index")).context["messages"]]


def _card(html: str, name: str) -> str:
    return html.split(f'data-processor="{name}"')[1].split('<div class="ch-card ch-processor"')[0]


def test_support_reads_the_processors_page_without_its_forms(mirrored, support, client):
    client.force_login(support)
    response = client.get(reverse(PAGE))
    assert response.status_code == 200
    html = response.content.decode()
    card = _card(html, RULES)
    assert "asset_purchase_request_processing" in card and "off everywhere" in card
    assert 'data-processor="connect.tier_setup"' in html and 'data-processor="usage.acceptance_band"' in html
    assert "<form" not in html.split('id="content-main"')[1]
    mode = reverse("admin:channelhub_processorsetting_mode", args=[RULES])
    client.post(mode, {"mode": "on"})
    assert not ProcessorSetting.objects.exists()
    assert _messages(client) == [
        "You are not allowed to enable processors (your role lacks 'channelhub.run_processor')."
    ]


def test_dry_run_from_the_page_then_review_its_summary_and_list(mirrored, supervisor, client):
    product = a_product_with_pending_purchases()
    rules_for(product, max_quantity=0)  # every purchase ordering anything fails the limit
    client.force_login(supervisor)
    mode = reverse("admin:channelhub_processorsetting_mode", args=[RULES])
    assert client.post(mode, {"mode": "dry_run", "product_id": product}).status_code == 302
    waiting = pending_purchases(product_id=product).count()
    assert _messages(client) == [f"{RULES} is in dry run for {product}; {waiting} waiting object(s) queued."]
    setting = ProcessorSetting.objects.get()
    assert (setting.processor, setting.product_id, setting.dry_run, setting.updated_by) == (
        RULES,
        product,
        True,
        "sam",
    )
    event = AuditEvent.objects.get(action="automation.processor.enabled")
    assert (event.actor_name, event.message) == ("sam", f"{RULES} 1.0 dry run for {product}")
    run_and_send()
    assert not UpstreamAction.objects.exists()
    assert tasks_of(RULES, status=TaskStatus.DRY_RUN).count() == waiting
    card = _card(client.get(reverse(PAGE)).content.decode(), RULES)
    assert f"dry run for {product}" in card and f"fail {waiting}" in card
    listing = client.get(
        reverse("admin:channelhub_automationtask_changelist"),
        {"processor": RULES, "status": TaskStatus.DRY_RUN},
    ).content.decode()
    some = tasks_of(RULES, status=TaskStatus.DRY_RUN).first()
    assert some.target_id in listing and "over the limit of 0" in listing

    assert client.post(mode, {"mode": "off", "product_id": product}).status_code == 302
    assert ProcessorSetting.objects.get().enabled is False
    assert _messages(client) == [f"{RULES} is off for {product}; 0 open task(s) dropped."]
    assert client.post(mode, {"mode": "sideways"}).status_code == 302
    assert "Choose on, dry run or off" in _messages(client)[0]


def test_preview_shows_the_decisions_and_writes_nothing(mirrored, supervisor, support, client):
    product = a_product_with_pending_purchases()
    rules_for(product)
    url = reverse("admin:channelhub_processorsetting_preview", args=[RULES])
    client.force_login(support)
    assert client.post(url).status_code == 403
    client.force_login(supervisor)
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 200
    html = response.content.decode()
    mine = pending_purchases(product_id=product).values_list("pk", flat=True)
    assert all(f"<td>{pk}</td>" in html for pk in mine)
    assert "Nothing was written" in html and "approve" in html
    assert not AutomationTask.objects.exists() and not UpstreamAction.objects.exists()


def test_run_now_hands_the_pass_to_a_worker_audited(mirrored, supervisor, client):
    product = a_product_with_pending_purchases()
    rules_for(product)
    client.force_login(supervisor)
    run = reverse("admin:channelhub_processorsetting_run", args=[RULES])
    client.post(run)
    assert _messages(client) == [f"{RULES} is off everywhere: switch it on or to dry run first."]
    client.post(
        reverse("admin:channelhub_processorsetting_mode", args=[RULES]), {"mode": "on", "product_id": product}
    )
    _messages(client)
    AutomationTask.objects.all().delete()  # as if the tasks the switch queued had run
    queued = []

    def keep(sender, task, **kwargs):
        queued.append((task["func"], task["kwargs"]))

    pre_enqueue.connect(keep, dispatch_uid="processors-run-now")
    try:
        assert client.post(run).status_code == 302
    finally:
        pre_enqueue.disconnect(dispatch_uid="processors-run-now")
    waiting = pending_purchases(product_id=product).count()
    assert queued == [(RUN_TASK, {"processor": RULES})]
    assert tasks_of(RULES, status=TaskStatus.DUE).count() == waiting
    assert _messages(client) == [f"{RULES}: {waiting} object(s) queued and handed to a worker."]
    assert AuditEvent.objects.get(action="automation.processor.run_now").actor_name == "sam"


def test_a_failed_decision_shows_its_traceback_to_supervisors_only(mirrored, supervisor, support, client):
    request = pending_purchases().order_by("pk").first()
    task = AutomationTask.objects.create(
        processor=RULES,
        event_type="asset_purchase_request_processing",
        target_type="fulfillment.fulfillmentrequest",
        target_id=request.pk,
        status=TaskStatus.FAILED,
        attempts=3,
        error="Traceback (most recent call last):\n  File \"rules.py\", line 9, in process\nKeyError: 'email'",
    )
    url = reverse("admin:channelhub_automationtask_change", args=[task.pk])
    client.force_login(support)
    html = client.get(url).content.decode()
    assert "KeyError: &#x27;email&#x27;" in html and "rules.py" not in html
    assert "the traceback is shown to supervisors" in html
    listing = client.get(
        reverse("admin:channelhub_automationtask_changelist"), {"q": request.pk}
    ).content.decode()
    assert f'href="{reverse("admin:fulfillment_fulfillmentrequest_change", args=[request.pk])}"' in listing
    nothing = client.get(
        reverse("admin:channelhub_automationtask_changelist"), {"q": "PR-NONE"}
    ).content.decode()
    assert url not in nothing
    client.force_login(supervisor)
    assert "rules.py" in client.get(url).content.decode()


def test_supervisors_set_purchase_rules_with_parameter_rules_audited(mirrored, supervisor, support, client):
    product = a_product_with_pending_purchases()
    template = fulfillment_template(product)
    other = Template.objects.exclude(product_id=product).filter(type="fulfillment").first()
    url = reverse("admin:fulfillment_purchaserules_add")
    form = {
        "product": product,
        "template_id": template.pk,
        "max_quantity": "10",
        "parameters-TOTAL_FORMS": "1",
        "parameters-INITIAL_FORMS": "0",
        "parameters-0-parameter_id": "email",
        "parameters-0-required": "on",
        "parameters-0-pattern": r"[^@]+@example\.com",
        "parameters-0-allowed_values": "",
        "parameters-0-message": "Use a company address",
    }
    client.force_login(support)
    assert client.get(url).status_code == 403
    client.force_login(supervisor)
    wrong = client.post(url, {**form, "template_id": other.pk}).content.decode()
    assert f"{other.pk} is a template of {other.product_id}, not {product}." in wrong
    broken = client.post(url, {**form, "parameters-0-pattern": "[unclosed"}).content.decode()
    assert "Not a regular expression" in broken
    assert not PurchaseRules.objects.exists()
    assert client.post(url, form).status_code == 302
    rules = PurchaseRules.objects.get()
    assert (rules.template_id, rules.max_quantity) == (template.pk, 10)
    assert list(ParameterRule.objects.values_list("parameter_id", "message")) == [
        ("email", "Use a company address")
    ]
    event = AuditEvent.objects.get(action="connect.purchase_rules.added")
    assert event.actor_name == "sam" and event.after["parameters"][0]["pattern"] == r"[^@]+@example\.com"
    change = reverse("admin:fulfillment_purchaserules_change", args=[rules.pk])
    rule = ParameterRule.objects.get()
    client.post(
        change,
        {
            **form,
            "max_quantity": "20",
            "parameters-INITIAL_FORMS": "1",
            "parameters-0-id": rule.pk,
            "parameters-0-rules": rules.pk,
            "parameters-0-DELETE": "on",
        },
    )
    changed = AuditEvent.objects.get(action="connect.purchase_rules.changed")
    assert changed.before["max_quantity"] == "10" and changed.after["max_quantity"] == "20"
    assert len(changed.before["parameters"]) == 1 and changed.after["parameters"] == []
    client.force_login(support)
    assert product in client.get(reverse("admin:fulfillment_purchaserules_changelist")).content.decode()
