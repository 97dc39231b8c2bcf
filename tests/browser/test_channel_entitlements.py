"""Channel staff actions in a real browser, end to end down to the sandbox's Cloud Channel.

The Channel mirror is synced from the sandbox; actions are sent inline when the service's
transaction commits (django-q's sync mode), so the page a form redirects to already shows the
outcome. The sandbox's truth is read with Google's discovery client, not ours.
"""

from __future__ import annotations

import os

import pytest
from django.contrib.admin.utils import quote
from playwright.sync_api import Page, expect

from fulfillment.channel.transitions import allowed_entitlement_actions
from fulfillment.models import Customer, Entitlement, Offer
from tests.fulfillment.channel.helpers import Upstream

SCREENSHOTS = os.environ.get("BROWSER_SCREENSHOTS", "/tmp")
XSS = '<img src=x onerror="window.__xss=1"> <script>window.__xss=1</script>'


@pytest.fixture
def support(make_staff):
    return make_staff(roles=("support",), username="sue")


def change_url(obj) -> str:
    return f"/admin/fulfillment/{obj._meta.model_name}/{quote(obj.pk)}/change/"


def latest_action_row(page: Page):
    return page.locator("table.ch-progress tr.ch-action-row").first


def assert_no_script_ran(page: Page) -> None:
    assert page.evaluate("window.__xss") is None
    assert page.locator("img[onerror]").count() == 0


def flexible_active() -> Entitlement:
    for entitlement in Entitlement.objects.filter(
        gone_at__isnull=True, payment_plan="FLEXIBLE", provisioning_state="ACTIVE", max_units__gt=2
    ).order_by("id"):
        if "suspend" in allowed_entitlement_actions(entitlement):
            return entitlement
    raise AssertionError("the sandbox has no active flexible entitlement")


def test_suspend_activate_and_change_seats(page, login, mirrored, support):
    entitlement = flexible_active()
    upstream = Upstream(mirrored)
    login(page, support)
    page.goto(change_url(entitlement))
    expect(page.locator("#ch-entitlement .ch-state")).to_have_text("Active")

    form = page.locator("#ch-form-suspend")
    form.get_by_role("button", name="Suspend").click()  # refused by the browser: no reason, no confirmation
    assert "/act/" not in page.url
    form.locator("[name='suspend-reason']").fill("Unpaid invoice INV-7")
    form.locator("[name='suspend-confirm']").check()
    form.get_by_role("button", name="Suspend").click()
    page.wait_for_url(f"**{change_url(entitlement)}#ch-progress")
    expect(page.locator(".messagelist")).to_contain_text("Suspend queued")
    expect(latest_action_row(page)).to_contain_text("Done")
    expect(page.locator("#ch-entitlement .ch-state")).to_have_text("Suspended")
    expect(page.locator("#ch-entitlement .ch-reasons")).to_have_text("Suspended by us (the reseller)")
    expect(page.locator("#ch-form-suspend")).to_have_count(0)
    expect(page.locator("table.ch-audit")).to_contain_text("Unpaid invoice INV-7")
    assert upstream.entitlement(entitlement.pk)["provisioningState"] == "SUSPENDED"

    page.locator("#ch-form-activate").get_by_role("button", name="Activate").click()
    page.wait_for_url(f"**{change_url(entitlement)}#ch-progress")
    expect(latest_action_row(page)).to_contain_text("Done")
    expect(page.locator("#ch-entitlement .ch-state")).to_have_text("Active")
    assert upstream.entitlement(entitlement.pk)["provisioningState"] == "ACTIVE"

    seats = entitlement.max_units + 2
    form = page.locator("#ch-form-change_parameters")
    form.locator("input[name='change_parameters-seats']").fill(str(seats))
    form.get_by_role("button", name="Change seats").click()
    page.wait_for_url(f"**{change_url(entitlement)}#ch-progress")
    expect(latest_action_row(page)).to_contain_text("Done")
    expect(page.locator("#ch-seats .ch-max-units")).to_have_text(str(seats))
    expect(page.locator("table.ch-audit")).to_contain_text("channel.entitlement.change_parameters.succeeded")
    page.screenshot(path=f"{SCREENSHOTS}/channelhub-channel-entitlement.png", full_page=True)
    values = {p["name"]: p["value"] for p in upstream.entitlement(entitlement.pk)["parameters"]}
    assert values["max_units"] == {"int64Value": str(seats)}


def test_a_refused_seat_change_says_why_and_keeps_the_input(page, login, mirrored, support):
    entitlement = Entitlement.objects.filter(
        gone_at__isnull=True, payment_plan="COMMITMENT", provisioning_state="ACTIVE", num_units__gt=1
    ).first()
    login(page, support)
    page.goto(change_url(entitlement))
    form = page.locator("#ch-form-change_parameters")
    form.locator("input[name='change_parameters-seats']").fill(str(entitlement.num_units - 1))
    form.get_by_role("button", name="Change seats").click()
    expect(page.locator(".messagelist .error")).to_contain_text("cannot be decreased during the commitment")
    expect(page.locator("input[name='change_parameters-seats']")).to_have_value(
        str(entitlement.num_units - 1)
    )


def test_hostile_org_name_and_offer_description_run_no_script(page, login, mirrored, support):
    # a customer created from the changelist form with a hostile name, through the sandbox
    login(page, support)
    page.goto("/admin/fulfillment/customer/")
    page.locator("#ch-create-customer summary").click()
    form = page.locator("#ch-form-create-customer")
    form.locator("[name='create-org_display_name']").fill(f"Evil {XSS}")
    form.locator("[name='create-domain']").fill("evil-org.example")
    form.locator("[name='create-region_code']").fill("US")
    form.locator("[name='create-postal_code']").fill("94043")
    form.get_by_role("button", name="Create customer").click()
    expect(page.locator(".messagelist")).to_contain_text("queued")
    expect(page.locator("#ch-recent-creates")).to_contain_text("Done")
    customer = Customer.objects.get(domain="evil-org.example")
    assert customer.org_display_name == f"Evil {XSS}"  # the upstream kept it as sent
    page.goto(change_url(customer))
    expect(page.locator("h3.ch-org-name")).to_have_text(f"Evil {XSS}")
    assert_no_script_ran(page)
    page.goto("/admin/fulfillment/customer/?q=evil-org.example")
    expect(page.locator("#result_list")).to_contain_text("evil-org.example")
    assert_no_script_ran(page)

    # an offer whose marketing description carries HTML (channel-api.md: "may contain HTML")
    entitlement = flexible_active()
    offer = Offer.objects.get(pk=entitlement.offer_id)
    payload = dict(offer.payload)
    payload["marketingInfo"] = {**payload.get("marketingInfo", {}), "description": XSS}
    Offer.objects.filter(pk=offer.pk).update(payload=payload, display_name=f"Offer {XSS}")
    page.goto(change_url(entitlement))
    expect(page.locator("#ch-offer")).to_contain_text(f"Offer {XSS}")
    assert_no_script_ran(page)
    page.goto(change_url(offer))
    expect(page.locator("#content")).to_contain_text(XSS)
    assert_no_script_ran(page)
