"""Staff actions in a real browser, end to end down to the sandbox's state.

The mirror is synced from the sandbox; actions are sent inline when the service's
transaction commits (django-q's sync mode), so the page a form redirects to already shows
the outcome, and the sandbox already holds it. One test leaves sending to the test itself to
watch the page's poller reload the page when the action finishes.
"""

from __future__ import annotations

import os

import pytest
import requests
from django_q.conf import Conf
from playwright.sync_api import Page, expect

from channelhub.actions.sender import send_action
from channelhub.models import ActionStatus, UpstreamAction
from channelhub.sync.engine import run_stream
from fulfillment.models import FulfillmentRequest, Template

SCREENSHOTS = os.environ.get("BROWSER_SCREENSHOTS", "/tmp")
HEADERS = {"Authorization": "ApiKey SU-000-000-000:sandbox"}
MIRROR_STREAMS = (
    "connect.products",
    "connect.templates",
    "connect.requests",
    "connect.tier_config_requests",
    "connect.conversations",
)
XSS = '<img src=x onerror="window.__xss=1"> <script>window.__xss=1</script>'


@pytest.fixture
def mirrored(connect_settings, settings, transactional_db, monkeypatch):
    """The sandbox mirrored; actions sent at commit, inline (django-q sync mode)."""
    settings.ACTION_RETRY_BACKOFF = 0
    monkeypatch.setattr(Conf, "SYNC", True)
    for name in MIRROR_STREAMS:
        run = run_stream(name)
        assert run.status == "succeeded", (name, run.error)
    return connect_settings


@pytest.fixture
def support(make_staff):
    return make_staff(roles=("support",), username="sue")


@pytest.fixture
def supervisor(make_staff):
    return make_staff(roles=("supervisor",), username="sam")


def upstream(sandbox, path: str) -> dict:
    response = requests.get(f"{sandbox.connect_url}{path}", headers=HEADERS, timeout=30)
    response.raise_for_status()
    return response.json()


def fulfillment_templates(product_id: str):
    return Template.objects.filter(product_id=product_id, scope="asset", type="fulfillment").order_by("pk")


def pending_requests(count: int = 1) -> list[FulfillmentRequest]:
    """`count` pending requests (not migrations, with params) of one product that has templates."""
    candidates = (
        FulfillmentRequest.objects.filter(status="pending", is_migration=False)
        .exclude(params=[])
        .order_by("product_id", "pk")
    )
    by_product: dict[str, list] = {}
    for request in candidates:
        by_product.setdefault(request.product_id, []).append(request)
    for product_id, requests_ in by_product.items():
        if len(requests_) >= count and fulfillment_templates(product_id).exists():
            return requests_[:count]
    raise AssertionError(f"the sandbox has no product with {count} pending requests and a template")


def pending_requests_upstream(sandbox, count: int) -> list[FulfillmentRequest]:
    """`count` pending requests of one product; the seeded world has one per product, so
    inquiring ones of that product are put back to pending in Connect and re-synced."""
    open_ = (
        FulfillmentRequest.objects.filter(status__in=("pending", "inquiring"), is_migration=False)
        .exclude(params=[])
        .order_by("status", "pk")  # pending first
    )
    by_product: dict[str, list] = {}
    for request in open_:
        by_product.setdefault(request.product_id, []).append(request)
    for product_id, candidates in by_product.items():
        if len(candidates) < count or not fulfillment_templates(product_id).exists():
            continue
        chosen = candidates[:count]
        for request in chosen:
            if request.status == "inquiring":
                response = requests.post(
                    f"{sandbox.connect_url}/requests/{request.pk}/pend", json={}, headers=HEADERS, timeout=30
                )
                assert response.status_code == 200, response.text
        assert run_stream("connect.requests").status == "succeeded"
        chosen = list(FulfillmentRequest.objects.filter(pk__in=[r.pk for r in chosen]).order_by("pk"))
        assert {r.status for r in chosen} == {"pending"}
        return chosen
    raise AssertionError(f"the sandbox has no product with {count} open requests and a template")


def change_url(request) -> str:
    return f"/admin/fulfillment/fulfillmentrequest/{request.pk}/change/"


def latest_action_row(page: Page):
    return page.locator("table.ch-progress tr.ch-action-row").first


def assert_no_script_ran(page: Page) -> None:
    assert page.evaluate("window.__xss") is None
    assert page.locator("img[onerror]").count() == 0


def test_approve_with_a_template(page, login, mirrored, support):
    [request] = pending_requests()
    template = fulfillment_templates(request.product_id).first()
    login(page, support)
    page.goto(change_url(request))
    form = page.locator("#ch-form-approve")
    form.locator("details.ch-preview").first.locator("summary").click()  # the preview opens
    expect(form.locator("details.ch-preview .ch-markdown").first).to_be_visible()
    form.locator(f"input[type=radio][value='{template.pk}']").check()
    page.screenshot(path=f"{SCREENSHOTS}/channelhub-approve-form.png", full_page=True)
    page.locator(".ch-actions").screenshot(path=f"{SCREENSHOTS}/channelhub-approve-form-actions.png")
    form.get_by_role("button", name="Approve").click()

    page.wait_for_url(f"**{change_url(request)}#ch-progress")
    expect(page.locator(".messagelist")).to_contain_text(f"Approve queued for {request.pk}")
    expect(latest_action_row(page)).to_contain_text("Done")
    expect(page.locator(".ch-card dd").filter(has_text="Approved").first).to_be_visible()
    expect(page.locator("table.ch-audit")).to_contain_text("connect.request.approve.succeeded")
    expect(page.locator("#ch-form-approve")).to_have_count(0)  # approved: nothing to approve
    page.screenshot(path=f"{SCREENSHOTS}/channelhub-approve-done.png", full_page=True)

    obj = upstream(mirrored, f"/requests/{request.pk}")
    assert obj["status"] == "approved"
    assert obj["template"]["id"] == template.pk


def test_approve_with_a_hostile_activation_tile_runs_no_script(page, login, mirrored, support):
    [request] = pending_requests()
    login(page, support)
    page.goto(change_url(request))
    form = page.locator("#ch-form-approve")
    form.locator("textarea").fill(f"# Welcome\n\nYour key is **ABC-123** {XSS}")
    form.get_by_role("button", name="Approve").click()
    page.wait_for_url(f"**{change_url(request)}#ch-progress")
    expect(latest_action_row(page)).to_contain_text("Done")
    # the tile comes back from Connect into the mirror, rendered and sanitised
    tile = page.locator("h2.ch-h:has-text('Template / activation tile') ~ .ch-markdown").first
    expect(tile.locator("strong")).to_have_text("ABC-123")
    assert_no_script_ran(page)
    assert upstream(mirrored, f"/requests/{request.pk}")["status"] == "approved"


def test_inquire_with_two_parameter_errors(page, login, mirrored, support):
    [request] = pending_requests()
    first, second = [p["id"] for p in request.params][:2]
    login(page, support)
    page.goto(change_url(request))
    form = page.locator("#ch-form-inquire")
    form.locator(f"[name='inquire-error__{first}']").fill("Use the company domain")
    form.locator(f"[name='inquire-error__{second}']").fill(f"Not valid {XSS}")
    form.get_by_role("button", name="Inquire").click()

    page.wait_for_url(f"**{change_url(request)}#ch-progress")
    expect(latest_action_row(page)).to_contain_text("Done")
    # the mirror follows the upstream's answer: the params table shows both errors, as text
    params = page.locator("#ch-params + table")
    expect(params).to_contain_text("Use the company domain")
    expect(params).to_contain_text(f"Not valid {XSS}")
    assert_no_script_ran(page)
    page.screenshot(path=f"{SCREENSHOTS}/channelhub-inquire-done.png", full_page=True)

    obj = upstream(mirrored, f"/requests/{request.pk}")
    assert obj["status"] == "inquiring"
    errors = {p["id"]: p.get("value_error") for p in obj["asset"]["params"]}
    assert errors[first] == "Use the company domain"
    assert errors[second] == f"Not valid {XSS}"


def test_fail_with_a_reason_and_a_refusal_keeps_the_input(page, login, mirrored, support):
    [request] = pending_requests()
    login(page, support)
    page.goto(change_url(request))
    form = page.locator("#ch-form-fail")
    # The service refuses a blank reason (the browser's `required` is not the guard).
    form.locator("textarea").evaluate("el => el.removeAttribute('required')")
    form.locator("textarea").fill("   ")
    form.locator("[name='fail-confirm']").check()  # a destructive action asks first
    form.get_by_role("button", name="Fail").click()
    expect(page.locator(".messagelist .error")).to_contain_text("A reason is required.")

    page.locator("#ch-form-fail textarea").fill("The customer cancelled the order")
    page.locator("#ch-form-fail [name='fail-confirm']").check()
    page.locator("#ch-form-fail").get_by_role("button", name="Fail").click()
    page.wait_for_url(f"**{change_url(request)}#ch-progress")
    expect(latest_action_row(page)).to_contain_text("Done")
    obj = upstream(mirrored, f"/requests/{request.pk}")
    assert obj["status"] == "failed"
    assert obj["reason"] == "The customer cancelled the order"


def test_bulk_approve_two_requests(page, login, mirrored, support):
    first, second = pending_requests_upstream(mirrored, 2)
    template = fulfillment_templates(first.product_id).first()
    login(page, support)
    page.goto(f"/admin/fulfillment/fulfillmentrequest/?queue=pending&product={first.product_id}")
    for request in (first, second):
        page.locator(f"input.action-select[value='{request.pk}']").check()
    page.locator("select[name=action]").select_option("bulk_approve")
    page.locator("button[name=index]").click()

    expect(page.locator("#content-main")).to_contain_text("Approve these 2 requests")
    page.locator(f"#ch-bulk-form input[type=radio][value='{template.pk}']").check()
    page.screenshot(path=f"{SCREENSHOTS}/channelhub-bulk-approve.png", full_page=True)
    page.locator("#ch-bulk-form input[type=submit]").click()

    expect(page.locator(".messagelist")).to_contain_text("Approve queued for 2 request(s)")
    for request in (first, second):
        assert upstream(mirrored, f"/requests/{request.pk}")["status"] == "approved"
        assert UpstreamAction.objects.get(target_id=request.pk).status == ActionStatus.SUCCEEDED


def test_action_failed_upstream_shows_the_reason_and_no_hopeless_retry(page, login, mirrored, supervisor):
    [request] = pending_requests()
    template = fulfillment_templates(request.product_id).first()
    # Someone approves it in Connect first: our mirror still says pending, Connect refuses ours.
    response = requests.post(
        f"{mirrored.connect_url}/requests/{request.pk}/approve",
        json={"template_id": template.pk},
        headers=HEADERS,
        timeout=30,
    )
    assert response.status_code == 200, response.text

    login(page, supervisor)
    page.goto(change_url(request))
    form = page.locator("#ch-form-approve")
    form.locator(f"input[type=radio][value='{template.pk}']").check()
    form.get_by_role("button", name="Approve").click()
    page.wait_for_url(f"**{change_url(request)}#ch-progress")

    row = latest_action_row(page)
    expect(row).to_contain_text("Failed")
    action = UpstreamAction.objects.get(target_id=request.pk)
    assert action.status == ActionStatus.FAILED and action.last_error
    expect(row.locator(".ch-upstream-reason")).to_have_text(action.last_error)
    if action.error_code:
        expect(row).to_contain_text(action.error_code)
    # The rejection re-read the request: it is approved in Connect, so approving again can never
    # succeed. No Retry; the row says why and what to do instead.
    expect(row.get_by_role("button", name="Retry")).to_have_count(0)
    expect(row.locator(".ch-no-retry")).to_contain_text("No retry: it cannot succeed now")
    expect(row.locator(".ch-no-retry")).to_contain_text("approved")
    expect(row.get_by_role("button", name="Cancel")).to_be_visible()
    page.screenshot(path=f"{SCREENSHOTS}/channelhub-action-failed.png", full_page=True)


def test_progress_polls_until_the_action_is_done(page, login, mirrored, support, monkeypatch):
    """With no worker, the action waits queued; the page notices when it is sent and reloads."""
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr("channelhub.actions.services.enqueue", lambda action_id: None)
    [request] = pending_requests()
    login(page, support)
    page.goto(change_url(request))
    page.locator("#ch-form-add_note textarea").fill(f"Called the customer {XSS}")
    page.locator("#ch-form-add_note").get_by_role("button", name="Add note").click()
    page.wait_for_url(f"**{change_url(request)}#ch-progress")
    expect(latest_action_row(page)).to_contain_text("Queued")
    expect(page.locator("#ch-progress-note")).to_be_visible()
    expect(page.locator("#ch-form-approve")).to_have_count(0)  # forms wait for the action

    action = UpstreamAction.objects.get(target_id=request.pk)
    assert send_action(action.pk).status == ActionStatus.SUCCEEDED
    expect(latest_action_row(page)).to_contain_text("Done", timeout=10_000)  # reloaded by the poller
    expect(page.locator("#ch-form-approve")).to_have_count(1)
    expect(page.locator(".ch-thread")).to_contain_text("Called the customer")
    assert_no_script_ran(page)
    page.screenshot(path=f"{SCREENSHOTS}/channelhub-note-done.png", full_page=True)
