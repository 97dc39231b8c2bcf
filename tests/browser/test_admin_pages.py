"""The fulfillment admin in a real browser: login form, request queue and detail page, and no
script from upstream text ever runs.

Upstream text (template bodies, conversation messages, customer names, parameter values) is
written by vendors, resellers and customers. Each carries both an `<img onerror>` and a
`<script>` payload; the test passes only if neither ran (`window.__xss` stays undefined), no
such element reached the DOM, and plain-text fields show the payload as literal text.
"""

from __future__ import annotations

import os

from playwright.sync_api import Page, expect

from tests.fulfillment.connect.factories import (
    ConversationFactory,
    ConversationMessageFactory,
    FulfillmentRequestFactory,
    TemplateFactory,
    load_fixture,
)

IMG = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=1</script>"
PAYLOAD = f"{IMG} {SCRIPT}"
SCREENSHOTS = os.environ.get("BROWSER_SCREENSHOTS", "/tmp")


def hostile_params() -> list[dict]:
    """The fixture's params, with the payload as the value of the text parameter."""
    params = load_fixture("fulfillment_request.json")["asset"]["params"]
    text = next(p for p in params if p["id"] == "t0_f_text")
    text["value"] = PAYLOAD
    return params


def assert_no_script_ran(page: Page) -> None:
    # `goto` waits for the load event, by which time the broken <img> has fired its onerror.
    assert page.evaluate("window.__xss") is None
    assert page.locator("img[onerror]").count() == 0
    assert page.locator("script", has_text="__xss").count() == 0


def test_detector_catches_an_injected_payload(page, login, viewer):
    """The XSS check below can fail: the same payload, injected as HTML into an admin page, runs."""
    login(page, viewer)
    page.evaluate("html => document.body.insertAdjacentHTML('beforeend', html)", IMG)
    page.wait_for_function("window.__xss === 1")


def test_request_queue_and_detail_show_the_request_and_run_no_upstream_script(page, login, viewer):
    request = FulfillmentRequestFactory(
        customer_name=f"ACME {PAYLOAD}",
        params=hostile_params(),
        template_message=f"Welcome {PAYLOAD}",
    )
    other = FulfillmentRequestFactory(customer_name="Globex")
    conversation = ConversationFactory(instance_id=request.pk)
    ConversationMessageFactory(conversation_id=conversation.pk, text=f"Hello {PAYLOAD}")
    ConversationMessageFactory(conversation_id=conversation.pk, text="Could you check the **domain**?")

    login(page, viewer)

    # The queue.
    page.goto("/admin/fulfillment/fulfillmentrequest/")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    row = rows.filter(has_text=request.pk)
    expect(row).to_contain_text(f"ACME {IMG} {SCRIPT}")  # escaped: shown as typed
    expect(rows.filter(has_text=other.pk)).to_contain_text("Globex")
    assert_no_script_ran(page)
    page.screenshot(path=f"{SCREENSHOTS}/channelhub-request-queue.png", full_page=True)

    # The detail page, reached by the queue's link.
    row.locator("th a, td a").first.click()
    page.wait_for_url(f"**/fulfillmentrequest/{request.pk}/change/")
    expect(page.locator(".ch-card h3", has_text=f"Request {request.pk}")).to_be_visible()

    items = page.locator("h2.ch-h:has-text('Items') + table tbody tr")
    expect(items).to_have_count(len(request.items))
    expect(items.first).to_contain_text(request.items[0]["mpn"])

    params = page.locator("h2.ch-h:has-text('Parameters') + table tbody tr")
    expect(params).to_have_count(len(request.params))
    text_param = params.filter(has_text="t0_f_text")
    expect(text_param).to_contain_text(PAYLOAD)  # plain text: shown literally

    tiers = page.locator("h2.ch-h:has-text('Tiers') + .ch-grid .ch-card")
    expect(tiers).to_have_count(2)  # the fixture's customer and tier 1; its tier 2 is empty
    expect(tiers.first.locator("h3")).to_have_text(f"Customer: ACME {PAYLOAD}")
    expect(tiers.nth(1).locator("h3")).to_have_text(f"Tier 1 (reseller): {request.tiers['tier1']['name']}")

    thread = page.locator("ol.ch-thread > li")
    expect(thread).to_have_count(2)
    # Markdown rendered without raw HTML: the payload is text, the markup of others still works.
    expect(thread.first.locator(".ch-markdown")).to_contain_text(f"Hello {PAYLOAD}")
    expect(thread.nth(1).locator(".ch-markdown strong")).to_have_text("domain")

    expect(page.locator(".ch-card.ch-markdown", has_text="Welcome")).to_contain_text(PAYLOAD)

    assert_no_script_ran(page)
    page.screenshot(path=f"{SCREENSHOTS}/channelhub-request-detail.png", full_page=True)


def test_template_body_runs_no_script(page, login, viewer):
    template = TemplateFactory(title="Activation", body=f"# Welcome\n\n{PAYLOAD}\n\nSee **the portal**.")

    login(page, viewer)
    page.goto(f"/admin/fulfillment/template/{template.pk}/change/")

    body = page.locator(".ch-card.ch-markdown")
    expect(body.locator("h1")).to_have_text("Welcome")
    expect(body.locator("strong")).to_have_text("the portal")
    expect(body).to_contain_text(PAYLOAD)
    assert_no_script_ran(page)
    page.screenshot(path=f"{SCREENSHOTS}/channelhub-template.png", full_page=True)


def test_a_support_user_logs_in_and_opens_the_queue(page, login, make_staff):
    FulfillmentRequestFactory()
    login(page, make_staff(roles=["support"]))
    page.goto("/admin/fulfillment/fulfillmentrequest/")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)


def test_upstream_images_are_fetched_only_when_staff_click_them(page, login, viewer):
    """A remote image in upstream markdown would tell its host who opened which request (a
    tracking pixel): the page shows a link instead, and no request reaches the image's host."""
    request = FulfillmentRequestFactory()
    conversation = ConversationFactory(instance_id=request.pk)
    ConversationMessageFactory(
        conversation_id=conversation.pk, text="See ![our logo](https://tracker.example/pixel.png)"
    )
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    login(page, viewer)
    page.goto(f"/admin/fulfillment/fulfillmentrequest/{request.pk}/change/")
    link = page.locator("a", has_text="image: our logo")
    expect(link).to_have_attribute("href", "https://tracker.example/pixel.png")
    assert page.locator("img[src*='tracker.example']").count() == 0
    assert [url for url in requested if "tracker.example" in url] == []
    assert any("/fulfillmentrequest/" in url for url in requested)  # the recorder did record
