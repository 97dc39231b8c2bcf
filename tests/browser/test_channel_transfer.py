"""The transfer page in a real browser, end to end down to the sandbox's Cloud Channel: look a
customer up with its auth token, read why some SKUs cannot move, choose offers and seats,
confirm, watch the operation, and find the transfer in the customer's history. The token
never comes back in any page.
"""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

from fulfillment.channel.display import TRANSFER_INELIGIBILITY_WORDS
from fulfillment.models import Customer, Entitlement
from tests.fulfillment.channel.helpers import Upstream

from .test_channel_entitlements import SCREENSHOTS


@pytest.fixture
def supervisor(make_staff):
    return make_staff(roles=("supervisor",), username="sam")


def mixed_customer(sandbox) -> dict:
    """A verified customer at another reseller with eligible and ineligible SKUs."""
    from channelhub.upstream.channel import ChannelClient  # noqa: PLC0415 - settings point at the sandbox first

    client = ChannelClient.from_settings()
    listed = requests.get(f"{sandbox.url}/_sandbox/channel", timeout=10).json()["transferable_customers"]
    for customer in listed:
        if customer["owner"] != "reseller" or not customer["domainVerified"]:
            continue
        skus = client.transferable_skus(
            cloud_identity_id=customer["cloudIdentityId"], auth_token=customer["authToken"]
        )
        cid = customer["cloudIdentityId"]
        movable = [
            s for s in skus if s.eligible and client.transferable_offers(sku=s.name, cloud_identity_id=cid)
        ]
        if movable and any(not s.eligible for s in skus):
            requests.post(f"{sandbox.url}/_sandbox/reset", json={}, timeout=60).raise_for_status()
            return {**customer, "skus": skus, "movable": movable}
    raise AssertionError("the sandbox seeds no customer with both eligible and ineligible SKUs")


def test_transfer_a_customer_in(page, login, mirrored, supervisor):
    customer = mixed_customer(mirrored)  # the reset forgets the authorization the probe made
    token = customer["authToken"]
    login(page, supervisor)
    page.goto("/admin/fulfillment/customer/")
    page.locator("#ch-transfer-link").click()

    form = page.locator("#ch-transfer-lookup")
    form.locator("[name='cloud_identity_id']").fill(customer["cloudIdentityId"])
    form.get_by_role("button", name="Look up transferable subscriptions").click()
    expect(page.locator(".messagelist .error")).to_contain_text("no auth token")
    assert token not in page.content()

    form = page.locator("#ch-transfer-lookup")
    form.locator("[name='cloud_identity_id']").fill(customer["cloudIdentityId"])
    form.locator("[name='auth_token']").fill(token)
    form.get_by_role("button", name="Look up transferable subscriptions").click()
    expect(page.locator("#ch-transfer-customer")).to_contain_text("Not our customer yet")
    assert token not in page.content()
    for sku in customer["skus"]:
        if not sku.eligible:
            row = page.locator(f"#ch-transfer-ineligible tr[data-sku='{sku.name}']")
            expect(row).to_contain_text(TRANSFER_INELIGIBILITY_WORDS[sku.reason])

    eligible = customer["movable"]
    choose = page.locator("#ch-transfer-choose")
    first = choose.locator(f"tr[data-sku='{eligible[0].name}']")
    first.locator("input[type='checkbox']").check()
    seats = first.locator("input[type='number']")
    minimum = int(seats.input_value())
    seats.fill(str(minimum + 3))
    choose.locator("input[name='confirm']").check()
    choose.get_by_role("button", name="Transfer to us").click()

    page.wait_for_url("**/admin/fulfillment/customer/transfer/*/")
    status = page.locator("#ch-transfer-status")
    expect(status).to_have_attribute("data-status", "succeeded")
    expect(status).to_contain_text("operations/")
    expect(page.locator("#ch-transfer-moved li")).to_have_count(1)
    page.screenshot(path=f"{SCREENSHOTS}/channelhub-channel-transfer.png", full_page=True)
    assert token not in page.content()

    ours = Customer.objects.get(cloud_identity_id=customer["cloudIdentityId"])
    [moved] = Entitlement.objects.filter(customer_id=ours.pk)
    assert moved.sku_id == eligible[0].name and moved.seats == minimum + 3
    assert Upstream(mirrored).entitlement(moved.pk)["name"] == moved.pk

    status.get_by_role("link", name="open the customer").click()
    expect(page.locator("#ch-transfer-history tr.ch-transfer-in")).to_contain_text("Transferred in")
    expect(page.locator("#ch-transfer-history")).to_contain_text(eligible[0].name)
