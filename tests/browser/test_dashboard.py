"""The dashboard in a real browser: its figures match the database, a figure opens the list
of its rows, "run now" hands the stream over (audited), and at 1280 px nothing scrolls sideways."""

from __future__ import annotations

import os
import re
from datetime import timedelta

from django.utils import timezone
from django_q.models import Schedule
from playwright.sync_api import expect

from channelhub.models import AuditEvent, UpstreamAction
from channelhub.sync.dispatch import SYNC_TASK
from fulfillment.connect.models import FulfillmentRequest
from tests.fulfillment.connect.factories import FulfillmentRequestFactory
from tests.usage.factories import UsageFileFactory

STREAM = "connect.products"
SCREENSHOTS = os.environ.get("BROWSER_SCREENSHOTS", "/tmp")


def _no_horizontal_scroll(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"


def test_the_dashboards_figures_match_the_database_and_open_their_rows(page, login, make_staff):
    now = timezone.now()
    for hours in (0.5, 5, 5, 30, 200):
        FulfillmentRequestFactory(status="pending", created=now - timedelta(hours=hours))
    FulfillmentRequestFactory(status="inquiring", created=now - timedelta(hours=2))
    UsageFileFactory(status="ready", created_at=now - timedelta(hours=2))
    UpstreamAction.objects.create(
        kind="connect.request.fail",
        target_type="fulfillment.fulfillmentrequest",
        target_id="PR-0000-0000-0001-001",
        status="failed",
        last_error="Request is not in pending status",
    )
    login(page, make_staff(roles=["readonly"]))
    pending = page.locator('tr[data-queue="connect.requests.pending"]')
    expected = FulfillmentRequest.objects.filter(status="pending", is_migration=False).count()
    expect(pending.locator('[data-figure="total"]')).to_have_text(str(expected))
    expect(pending.locator('[data-figure="band1"]')).to_contain_text("2")
    expect(page.locator('tr[data-queue="usage.files.to_submit"] [data-figure="band1"]')).to_contain_text("1")
    expect(page.locator('#ch-w-actions [data-figure="failed"]')).to_contain_text("1")
    expect(page.locator("#ch-w-actions")).to_contain_text("Request is not in pending status")
    expect(page.locator("#ch-w-actions svg g.ch-bar")).to_have_count(24)
    page.locator('tr[data-queue="connect.requests.pending"] [data-figure="band1"]').click()
    expect(page.locator("#result_list tbody tr")).to_have_count(2)


def test_run_now_from_the_dashboard(page, login, make_staff):
    Schedule.objects.create(
        name=f"sync:{STREAM}",
        func=SYNC_TASK,
        args=repr(STREAM),
        schedule_type=Schedule.MINUTES,
        minutes=15,
        repeats=-1,
        next_run=timezone.now() + timedelta(minutes=10),
    )
    boss = make_staff(roles=["supervisor"], username="boss")
    login(page, boss)
    row = page.locator(f'tr[data-stream="{STREAM}"]')
    expect(row).to_contain_text(re.compile(r"in (9|10) min"))  # from its schedule
    row.get_by_role("button", name=f"Run {STREAM} now").click()
    page.wait_for_url("**/admin/")
    expect(page.locator(".messagelist")).to_contain_text(f"Handed to a worker: {STREAM}.")
    event = AuditEvent.objects.get(action="schedule.run_now")
    assert (event.target_id, event.actor_name) == (f"sync:{STREAM}", "boss")


def test_readonly_staff_see_no_run_now(page, login, make_staff):
    login(page, make_staff(roles=["readonly"]))
    expect(page.locator("#ch-w-sync")).to_be_visible()
    expect(page.locator("#ch-w-sync button")).to_have_count(0)


def test_the_dashboard_fits_1280_px(page, login, make_staff):
    now = timezone.now()
    for n in range(30):
        FulfillmentRequestFactory(status="pending", created=now - timedelta(hours=n * 7))
    UpstreamAction.objects.create(
        kind="channel.entitlement.change_seats",
        target_type="fulfillment.entitlement",
        target_id="accounts/C01sandbx/customers/C0123456789abcdef/entitlements/Eabcdefghijklmnopqrstuvwxyz",
        status="failed",
        last_error="FAILED_PRECONDITION: " + "the entitlement is suspended and cannot change seats " * 4,
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, make_staff(roles=["supervisor"]))
    expect(page.locator("#ch-dashboard")).to_be_visible()
    _no_horizontal_scroll(page)
    page.screenshot(path=f"{SCREENSHOTS}/dashboard-1280.png", full_page=True)
