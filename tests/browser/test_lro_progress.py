"""A Channel entitlement change is a long-running operation upstream: while it runs, the
entitlement's page shows the operation's name, how long it has run and how many times it was
polled, refreshing itself as the outbox follows it; then the result. In a real browser, down
to the sandbox's Cloud Channel.

No worker runs here: the test sends the action itself, one outbox attempt at a time, and the
page's own poller notices each attempt and reloads. The sandbox's operations are done only at
their n-th poll (the `lro_polls` knob), so how many polls each attempt makes is fixed:
an attempt waits CHANNEL_LRO_WAIT_SECONDS (0.05 s) for the operation, polling it once (the first
poll is due after CHANNEL_LRO_POLL_INITIAL, 1 s, so the wait ends with a single poll); a later
attempt polls the stored operation first, then waits the same way.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.conf import Conf
from playwright.sync_api import Page, expect

from channelhub.actions.sender import send_action
from channelhub.models import ActionStatus, UpstreamAction
from tests.fulfillment.channel.helpers import Upstream, knobs

from .test_channel_entitlements import SCREENSHOTS, change_url, flexible_active, latest_action_row


@pytest.fixture
def support(make_staff):
    return make_staff(roles=("support",), username="sue")


@pytest.fixture
def no_worker(mirrored, settings, monkeypatch):
    """Actions wait queued until the test sends them; operations are waited for 0.05 s."""
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr("channelhub.actions.services.enqueue", lambda action_id: None)
    settings.CHANNEL_LRO_WAIT_SECONDS = 0.05
    settings.CHANNEL_LRO_POLL_INITIAL = 1.0
    return mirrored


def max_units_upstream(sandbox, name: str) -> dict:
    return {p["name"]: p["value"] for p in Upstream(sandbox).entitlement(name)["parameters"]}["max_units"]


def attempt(action: UpstreamAction) -> UpstreamAction:
    """One outbox attempt of the action (it is due at once: no retry backoff)."""
    sent = send_action(action.pk)
    assert sent is not None, "the action was not due"
    return sent


def ask_for_seats(page: Page, entitlement, seats: int) -> UpstreamAction:
    """Change the seats from the entitlement's page: the action is queued, not sent yet."""
    page.goto(change_url(entitlement))
    form = page.locator("#ch-form-change_parameters")
    form.locator("input[name='change_parameters-seats']").fill(str(seats))
    form.get_by_role("button", name="Change seats").click()
    page.wait_for_url(f"**{change_url(entitlement)}#ch-progress")
    action = UpstreamAction.objects.get(target_id=entitlement.pk)
    assert action.kind == "channel.entitlement.change_parameters"
    return action


def test_change_seats_shows_its_operation_while_it_runs(page, login, no_worker, support):
    knobs(no_worker, lro_polls=6)  # polls 1 (attempt 1), 2-3 (attempt 2), 4-5 (3), 6 (4): done
    entitlement = flexible_active()
    seats = entitlement.max_units + 3
    login(page, support)
    action = ask_for_seats(page, entitlement, seats)

    row = latest_action_row(page)
    label = row.locator("td").first
    expect(row).to_contain_text("Queued")
    expect(label).to_contain_text("Change seats")
    expect(row.locator(".ch-operation")).to_have_count(0)  # nothing started upstream yet
    expect(page.locator("#ch-progress-note")).to_be_visible()
    expect(page.locator("#ch-form-change_parameters")).to_have_count(0)  # forms wait for it

    # The first attempt starts the operation; it is still running when the attempt ends.
    action = attempt(action)
    assert action.status == ActionStatus.QUEUED and action.error_code == "OPERATION_RUNNING"
    name = action.response["operation"]
    assert name.startswith("operations/")
    operation = row.locator(".ch-operation")
    expect(operation).to_have_text(f"Google operation {name}: running for 0 minutes, 1 poll")  # reloaded
    expect(label).to_contain_text("Change seats")
    expect(row).to_contain_text("Queued")
    expect(row.locator(".ch-upstream-reason")).to_contain_text("Google is still working on it")
    expect(row.locator(".ch-upstream-working")).to_be_visible()  # progress, not an error in red
    expect(row.locator(".ch-error")).to_have_count(0)

    # The next attempt follows the same operation (no second POST) and polls it twice more.
    action = attempt(action)
    assert action.status == ActionStatus.QUEUED and action.response["operation"] == name
    expect(operation).to_have_text(f"Google operation {name}: running for 0 minutes, 3 polls")

    # How long it has run counts from when the operation started (kept on the action), not
    # from when the page was drawn: one that started three minutes ago says so.
    started = timezone.now() - timedelta(minutes=3, seconds=5)
    UpstreamAction.objects.filter(pk=action.pk).update(
        response={**action.response, "started_at": started.isoformat()}
    )
    action.refresh_from_db()
    action = attempt(action)
    expect(operation).to_have_text(f"Google operation {name}: running for 3 minutes, 5 polls")
    expect(label).to_contain_text("Change seats")
    page.screenshot(path=f"{SCREENSHOTS}/channelhub-channel-operation-running.png", full_page=True)
    assert max_units_upstream(no_worker, entitlement.pk) == {"int64Value": str(entitlement.max_units)}

    # The sixth poll finds it done: the result is in the mirror and on the page.
    action = attempt(action)
    assert action.status == ActionStatus.SUCCEEDED, action.last_error
    assert action.attempts == 4
    expect(row).to_contain_text("Done")
    expect(label).to_contain_text("Change seats")
    expect(row.locator(".ch-operation")).to_have_count(0)  # over: no operation to follow
    expect(row.locator(".ch-upstream-reason")).to_have_count(0)
    expect(page.locator("#ch-progress-note")).to_have_count(0)
    expect(page.locator("#ch-seats .ch-max-units")).to_have_text(str(seats))
    expect(page.locator("#ch-form-change_parameters")).to_have_count(1)
    expect(page.locator("table.ch-audit")).to_contain_text("channel.entitlement.change_parameters.succeeded")
    page.screenshot(path=f"{SCREENSHOTS}/channelhub-channel-operation-done.png", full_page=True)
    assert max_units_upstream(no_worker, entitlement.pk) == {"int64Value": str(seats)}


def test_an_attempt_that_does_not_wait_still_counts_its_poll(page, login, no_worker, support, settings):
    """With CHANNEL_LRO_WAIT_SECONDS at 0 an attempt never waits: it starts the operation, or
    polls it once and leaves it for the next attempt. That one poll is a poll all the same."""
    settings.CHANNEL_LRO_WAIT_SECONDS = 0
    knobs(no_worker, lro_polls=3)
    entitlement = flexible_active()
    login(page, support)
    action = ask_for_seats(page, entitlement, entitlement.max_units + 1)
    operation = latest_action_row(page).locator(".ch-operation")

    action = attempt(action)  # starts it: no poll yet
    name = action.response["operation"]
    expect(operation).to_have_text(f"Google operation {name}: running for 0 minutes, 0 polls")

    action = attempt(action)  # polls it once: still running
    assert action.status == ActionStatus.QUEUED and action.attempts == 2
    action.refresh_from_db()
    assert action.response["polls"] == 1, "the attempt's poll was not kept on the action"
    expect(operation).to_have_text(f"Google operation {name}: running for 0 minutes, 1 poll")
