"""The automation panel on a request's page: which processor decided what and why (after a
real run against the sandbox), and taking the request over and giving it back by its buttons."""

from __future__ import annotations

import pytest
from django.urls import reverse

from channelhub.models import AuditEvent, AutomationTask, Takeover, TaskStatus

from .automation_helpers import (
    a_product_with_pending_purchases,
    enable,
    pending_purchases,
    rules_for,
    run_and_send,
)

pytestmark = pytest.mark.django_db

RULES = "connect.purchase_rules"
TARGET_TYPE = "fulfillment.fulfillmentrequest"


def page(client, request_id: str) -> str:
    response = client.get(reverse("admin:fulfillment_fulfillmentrequest_change", args=[request_id]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_says_which_processor_decided_what_and_why(mirrored, supervisor, support, client):
    product = a_product_with_pending_purchases()
    rules_for(product, max_quantity=0)
    enable(RULES, supervisor, product_id=product)
    task = run_and_send()[0]
    client.force_login(support)
    html = page(client, task.target_id)
    assert 'id="ch-automation"' in html
    assert f"{RULES} 1.0" in html and "fail" in html and "over the limit of 0" in html
    assert reverse("admin:channelhub_upstreamaction_change", args=[task.action_id]) in html


def test_a_request_nobody_decided_on_says_so_and_offers_take_over(mirrored, support, client):
    request = pending_purchases().order_by("pk").first()
    client.force_login(support)
    html = page(client, request.pk)
    assert "No processor has decided on it yet." in html and "Take over (leave automation)" in html


def test_take_over_and_give_back_through_the_buttons(mirrored, supervisor, support, client):
    product = a_product_with_pending_purchases()
    request = pending_purchases(product_id=product).order_by("pk").first()
    rules_for(product)
    client.force_login(support)
    back = reverse("admin:fulfillment_fulfillmentrequest_change", args=[request.pk])
    keys = {"target_type": TARGET_TYPE, "target_id": request.pk, "next": back}
    response = client.post(reverse("automation-take-over"), keys)
    assert response.status_code == 302 and response["Location"] == back
    assert Takeover.objects.get(target_id=request.pk).user_name == "sue"
    assert "Held by <strong>sue</strong>" in page(client, request.pk)
    enable(RULES, supervisor, product_id=product)  # queues the others, not the held one
    assert not AutomationTask.objects.filter(target_id=request.pk, status=TaskStatus.DUE).exists()
    client.post(reverse("automation-release"), keys)
    assert not Takeover.objects.filter(target_id=request.pk).exists()
    assert AutomationTask.objects.filter(target_id=request.pk, status=TaskStatus.DUE).exists()
    actions = list(
        AuditEvent.objects.filter(target_id=request.pk).order_by("pk").values_list("action", flat=True)
    )
    assert actions == ["automation.taken_over", "automation.released"]


def test_the_buttons_refuse_get_strangers_and_outside_redirects(mirrored, support, client):
    request = pending_purchases().order_by("pk").first()
    assert client.post(reverse("automation-take-over"), {}).status_code == 302  # to the login
    assert not Takeover.objects.exists()
    client.force_login(support)
    assert client.get(reverse("automation-take-over")).status_code == 405
    response = client.post(
        reverse("automation-take-over"),
        {"target_type": TARGET_TYPE, "target_id": request.pk, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/admin/"
    response = client.post(
        reverse("automation-release"), {"target_type": "nope.thing", "target_id": "x"}, follow=True
    )
    assert "no subject" in response.content.decode()
