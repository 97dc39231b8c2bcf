"""Destructive actions ask for a confirmation first, in a real browser, down to the sandbox.

Failing a request, suspending an entitlement (the reason goes into the audit trail), cancelling
an entitlement, deleting a Channel customer and rejecting a usage file each have a confirmation
box. Submitting without it does nothing upstream, whether the browser stops the form (the box
is `required`) or a form that skips the browser's check reaches the server: the page says what
is missing and keeps what was typed, no outbox action is queued and the sandbox's request log
holds no write. Once confirmed, the action is done upstream.

Actions are sent inline when the service's transaction commits (django-q's sync mode), so the
page a confirmed form redirects to already shows the outcome.
"""

from __future__ import annotations

import pytest
import requests
from django.contrib.admin.utils import quote
from django_q.conf import Conf
from playwright.sync_api import Page, expect

from channelhub.models import ActionStatus, UpstreamAction
from channelhub.sync.engine import run_stream
from fulfillment.models import Customer, Entitlement, FulfillmentRequest
from tests.fulfillment.channel.helpers import Upstream, clear_log
from usage.models import UsageFile

from .test_channel_entitlements import flexible_active

HEADERS = {"Authorization": "ApiKey SU-000-000-000:sandbox"}
WRITES = ("POST", "PUT", "PATCH", "DELETE")


@pytest.fixture
def supervisor(make_staff):
    return make_staff(roles=("supervisor",), username="sam")


def change_url(obj) -> str:
    return f"/admin/{obj._meta.app_label}/{obj._meta.model_name}/{quote(obj.pk)}/change/"


def upstream_writes(sandbox) -> list[str]:
    """The writes the sandbox received since its log was cleared (token requests aside)."""
    entries = requests.get(f"{sandbox.url}/_sandbox/log?limit=10000", timeout=30).json()
    return [
        f"{e['method']} {e['path']}"
        for e in entries
        if e["method"] in WRITES and not e["path"].endswith("/token")
    ]


def connect_get(sandbox, path: str) -> dict:
    response = requests.get(f"{sandbox.connect_url}{path}", headers=HEADERS, timeout=30)
    response.raise_for_status()
    return response.json()


def refused_unless_confirmed(
    page: Page, sandbox, obj, action: str, button: str, typed: dict[str, str]
) -> None:
    """On `obj`'s page, the `action` form with `typed` filled in ({field: value}) but its
    confirmation box left alone is refused by the browser and, past the browser, by the
    server: nothing is queued or sent, and the refused form keeps what was typed."""
    clear_log(sandbox)
    page.goto(change_url(obj))
    form = page.locator(f"#ch-form-{action}")
    for name, value in typed.items():
        form.locator(f"[name='{action}-{name}']").fill(value)
    box = form.locator(f"[name='{action}-confirm']")
    expect(box).not_to_be_checked()
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

    form.get_by_role("button", name=button).click()  # the browser refuses: the box is required
    assert box.evaluate("el => el.validity.valueMissing")
    assert posts == [], f"the unconfirmed form was posted: {posts}"
    assert page.url.endswith(change_url(obj))

    form.evaluate("f => { f.noValidate = true; }")  # as a browser that skips the check would
    form.get_by_role("button", name=button).click()
    expect(page.locator(".messagelist .error")).to_contain_text("Please correct the errors below.")
    refused = page.locator(f"#ch-form-{action}")
    expect(refused.locator(".ch-form-errors")).to_contain_text("This field is required.")
    for name, value in typed.items():
        expect(refused.locator(f"[name='{action}-{name}']")).to_have_value(value)
    expect(refused.locator(f"[name='{action}-confirm']")).not_to_be_checked()
    assert [url for url in posts if f"/act/{action}/" in url], "the server was never asked"

    assert not UpstreamAction.objects.filter(target_id=obj.pk).exists()
    assert upstream_writes(sandbox) == []


def confirm(page: Page, obj, action: str, button: str) -> None:
    """Tick the refused form's confirmation box and send it: done, on the object's page."""
    form = page.locator(f"#ch-form-{action}")
    form.locator(f"[name='{action}-confirm']").check()
    form.get_by_role("button", name=button).click()
    page.wait_for_url(f"**{change_url(obj)}#ch-progress")
    expect(page.locator("table.ch-progress tr.ch-action-row").first).to_contain_text("Done")
    action_row = UpstreamAction.objects.get(target_id=obj.pk, kind__endswith=f".{action}")
    assert action_row.status == ActionStatus.SUCCEEDED, action_row.last_error


def test_failing_a_request_asks_first(page, login, connect_settings, settings, monkeypatch, supervisor):
    settings.ACTION_RETRY_BACKOFF = 0
    monkeypatch.setattr(Conf, "SYNC", True)
    assert run_stream("connect.requests").status == "succeeded"
    request = FulfillmentRequest.objects.filter(status="pending", is_migration=False).order_by("pk").first()
    login(page, supervisor)

    reason = "The customer cancelled the order by phone"
    refused_unless_confirmed(page, connect_settings, request, "fail", "Fail", {"reason": reason})
    assert connect_get(connect_settings, f"/requests/{request.pk}")["status"] == "pending"

    confirm(page, request, "fail", "Fail")
    obj = connect_get(connect_settings, f"/requests/{request.pk}")
    assert (obj["status"], obj["reason"]) == ("failed", reason)
    assert upstream_writes(connect_settings) == [f"POST /public/v1/requests/{request.pk}/fail"]
    expect(page.locator("#ch-form-fail")).to_have_count(0)


def test_suspend_cancel_and_delete_in_channel_ask_first(page, login, mirrored, supervisor):
    upstream = Upstream(mirrored)
    login(page, supervisor)

    # Suspend: the reason typed beside the box goes into the audit trail once confirmed.
    entitlement = flexible_active()
    reason = "Card declined twice (INV-4471)"
    refused_unless_confirmed(page, mirrored, entitlement, "suspend", "Suspend", {"reason": reason})
    assert upstream.entitlement(entitlement.pk)["provisioningState"] == "ACTIVE"
    confirm(page, entitlement, "suspend", "Suspend")
    assert upstream.entitlement(entitlement.pk)["provisioningState"] == "SUSPENDED"
    expect(page.locator("#ch-entitlement .ch-state")).to_have_text("Suspended")
    audit = page.locator("table.ch-audit tr", has_text="channel.entitlement.suspend.queued")
    expect(audit).to_contain_text(reason)
    expect(audit).to_contain_text(supervisor.get_username())

    # Cancel: for good; its optional reason goes into the audit trail too.
    other = (
        Entitlement.objects.filter(gone_at__isnull=True, provisioning_state="ACTIVE")
        .exclude(pk=entitlement.pk)
        .order_by("pk")
        .first()
    )
    reason = "Customer moved to another reseller"
    refused_unless_confirmed(page, mirrored, other, "cancel", "Cancel entitlement", {"reason": reason})
    assert upstream.entitlement(other.pk) is not None
    confirm(page, other, "cancel", "Cancel entitlement")
    assert upstream.entitlement(other.pk) is None
    expect(page.locator("table.ch-audit")).to_contain_text(reason)

    # Delete a customer of ours that has no entitlement left.
    ours = f"accounts/{mirrored.channel_account_id}/customers/"
    live = Entitlement.objects.filter(gone_at__isnull=True).values("customer_id")
    customer = (
        Customer.objects.filter(gone_at__isnull=True, pk__startswith=ours)
        .exclude(pk__in=live)
        .order_by("pk")
        .first()
    )
    assert customer is not None, "the sandbox has no customer of ours without entitlements"
    refused_unless_confirmed(page, mirrored, customer, "delete", "Delete customer", {})
    assert upstream.customer(customer.pk) is not None
    confirm(page, customer, "delete", "Delete customer")
    assert upstream.customer(customer.pk) is None


def test_rejecting_a_usage_file_asks_first(page, login, connect_settings, settings, monkeypatch, supervisor):
    settings.ACTION_RETRY_BACKOFF = 0
    monkeypatch.setattr(Conf, "SYNC", True)
    assert run_stream("connect.usage-files").status == "succeeded"
    usage_file = UsageFile.objects.filter(status="pending").order_by("pk").first()
    assert usage_file is not None, "the sandbox has no pending usage file"
    login(page, supervisor)

    note = "Item 2's usage is twice the contract's cap: fix and upload again"
    refused_unless_confirmed(page, connect_settings, usage_file, "reject", "Reject", {"note": note})
    assert connect_get(connect_settings, f"/usage/files/{usage_file.pk}")["status"] == "pending"

    confirm(page, usage_file, "reject", "Reject")
    obj = connect_get(connect_settings, f"/usage/files/{usage_file.pk}")
    assert (obj["status"], obj["rejection_note"]) == ("rejected", note)
    assert upstream_writes(connect_settings) == [f"POST /public/v1/usage/files/{usage_file.pk}/reject"]
