"""The outbox against the real sandbox: every action applied exactly once, audited."""

from __future__ import annotations

import threading

import pytest
import requests as http
from django.db import connection
from django_q.conf import Conf

from channelhub.actions.sender import requeue_stuck, send_action
from channelhub.actions.services import action_cancel, action_retry
from channelhub.models import ActionStatus, AuditEvent, UpstreamAction
from channelhub.services import ServiceError
from fulfillment.connect import services
from fulfillment.models import ConversationMessage, FulfillmentRequest, Template, TierConfigRequest
from tests.channelhub.sync.helpers import control, settled_log

from .helpers import drain, log_entries, pick_request, pick_tcr, upstream, upstream_list

pytestmark = pytest.mark.django_db


def fulfillment_template(request) -> Template:
    template = Template.objects.filter(
        product_id=request.product_id, scope="asset", type="fulfillment"
    ).first()
    assert template is not None
    return template


def test_approve_end_to_end(mirrored, support):
    request = pick_request("pending")
    template = fulfillment_template(request)
    action = services.request_approve(request=request, template_id=template.pk, actor=support)
    assert action.status == ActionStatus.QUEUED
    done = send_action(action.pk)
    assert done.status == ActionStatus.SUCCEEDED, done.last_error
    assert upstream(mirrored, f"/requests/{request.pk}")["status"] == "approved"
    request.refresh_from_db()
    assert request.status == "approved"  # the mirror follows the upstream's answer at once
    assert request.template_id == template.pk
    events = list(AuditEvent.objects.filter(target_id=request.pk).order_by("id"))
    assert [e.action for e in events] == [
        "connect.request.approve.queued",
        "connect.request.approve.succeeded",
    ]
    assert events[0].actor == support and events[0].before["status"] == "pending"
    assert events[1].after["status"] == "approved"
    assert events[0].correlation_id == events[1].correlation_id == action.correlation_id


def test_inquire_sets_each_value_error_then_inquires(mirrored, support):
    request = pick_request("pending")
    params = [p["id"] for p in request.params][:2]
    assert len(params) == 2
    errors = {params[0]: "Use the company domain", params[1]: "Must be a valid phone"}
    action = services.request_inquire(request=request, param_errors=errors, actor=support)
    assert send_action(action.pk).status == ActionStatus.SUCCEEDED
    obj = upstream(mirrored, f"/requests/{request.pk}")
    assert obj["status"] == "inquiring"
    got = {p["id"]: p.get("value_error") for p in obj["asset"]["params"]}
    assert got[params[0]] == errors[params[0]] and got[params[1]] == errors[params[1]]
    request.refresh_from_db()
    assert request.status == "inquiring"
    assert {p["id"]: p["value_error"] for p in request.params if p["id"] in errors} == errors


@pytest.mark.parametrize("status, call, kwargs, expected", [
    ("pending", "request_fail", {"reason": "Customer cancelled the order"}, "failed"),
    ("inquiring", "request_pend", {}, "pending"),
])  # fmt: skip
def test_fail_and_pend(mirrored, support, status, call, kwargs, expected):
    request = pick_request(status)
    action = getattr(services, call)(request=request, actor=support, **kwargs)
    assert send_action(action.pk).status == ActionStatus.SUCCEEDED
    obj = upstream(mirrored, f"/requests/{request.pk}")
    assert obj["status"] == expected
    if kwargs.get("reason"):
        assert obj["reason"] == kwargs["reason"]
    assert FulfillmentRequest.objects.get(pk=request.pk).status == expected


def test_update_params_assign_unassign_and_note(mirrored, support):
    request = pick_request("pending")
    param = next(p for p in request.params if not p.get("secret"))
    action = services.request_update_params(
        request=request, values={param["id"]: "new value 42"}, actor=support
    )
    assert send_action(action.pk).status == ActionStatus.SUCCEEDED
    obj = upstream(mirrored, f"/requests/{request.pk}")
    assert {p["id"]: p["value"] for p in obj["asset"]["params"]}[param["id"]] == "new value 42"

    action = services.request_assign(request=request, assignee="agent@example.com", actor=support)
    assert send_action(action.pk).status == ActionStatus.SUCCEEDED
    assert upstream(mirrored, f"/requests/{request.pk}")["assignee"]["email"] == "agent@example.com"
    assert FulfillmentRequest.objects.get(pk=request.pk).assignee_email == "agent@example.com"

    action = services.request_unassign(request=FulfillmentRequest.objects.get(pk=request.pk), actor=support)
    assert send_action(action.pk).status == ActionStatus.SUCCEEDED
    assert not upstream(mirrored, f"/requests/{request.pk}")["assignee"]

    action = services.request_add_note(
        request=request, text="Called the customer; waiting for the PO.", actor=support
    )
    assert send_action(action.pk).status == ActionStatus.SUCCEEDED
    conversation = upstream(mirrored, f"/conversations/{request.pk}")
    messages = upstream_list(mirrored, f"/conversations/{conversation['id']}/messages?limit=100")
    assert "Called the customer; waiting for the PO." in [m["text"] for m in messages]
    assert ConversationMessage.objects.filter(text="Called the customer; waiting for the PO.").count() == 1


@pytest.mark.parametrize("status, call, kwargs, expected", [
    ("pending", "tier_config_request_approve", {}, "approved"),
    ("pending", "tier_config_request_fail", {"reason": "Reseller not onboarded"}, "failed"),
    ("inquiring", "tier_config_request_pend", {}, "pending"),
])  # fmt: skip
def test_tier_config_request_actions(mirrored, support, status, call, kwargs, expected):
    tcr = pick_tcr(status)
    action = getattr(services, call)(tier_config_request=tcr, actor=support, **kwargs)
    done = send_action(action.pk)
    assert done.status == ActionStatus.SUCCEEDED, done.last_error
    assert upstream(mirrored, f"/tier/config-requests/{tcr.pk}")["status"] == expected
    assert TierConfigRequest.objects.get(pk=tcr.pk).status == expected  # re-read after the 204


def test_tier_config_request_inquire_and_assign(mirrored, support):
    tcr = pick_tcr("pending")
    pid = tcr.params[0]["id"]
    action = services.tier_config_request_inquire(
        tier_config_request=tcr, param_errors={pid: "Wrong tax id"}, actor=support
    )
    assert send_action(action.pk).status == ActionStatus.SUCCEEDED
    obj = upstream(mirrored, f"/tier/config-requests/{tcr.pk}")
    assert obj["status"] == "inquiring"
    assert {p["id"]: p.get("value_error") for p in obj["params"]}[pid] == "Wrong tax id"
    action = services.tier_config_request_assign(
        tier_config_request=tcr, assignee="UR-123-456-789", actor=support
    )
    assert send_action(action.pk).status == ActionStatus.SUCCEEDED
    assert upstream(mirrored, f"/tier/config-requests/{tcr.pk}")["assignee"]["id"] == "UR-123-456-789"


@pytest.mark.parametrize(
    "faults", [["500", "502"], ["timeout"], ["reset"], ["timeout", "503", "timeout"], ["truncated"]]
)
def test_faults_end_with_the_action_applied_exactly_once(mirrored, support, settings, faults):
    settings.UPSTREAM_MAX_RETRIES = 0  # every fault reaches the outbox's own retry
    request = pick_request("pending")
    control(mirrored, "DELETE", "log")
    control(mirrored, "POST", "faults", {"next": faults, "path": "/approve", "timeout_seconds": 3})
    action = services.request_approve(
        request=request, template_id=fulfillment_template(request).pk, actor=support
    )
    drain()
    action.refresh_from_db()
    assert action.status == ActionStatus.SUCCEEDED, action.last_error
    assert upstream(mirrored, f"/requests/{request.pk}")["status"] == "approved"
    # the sandbox applied exactly one approve: one POST that changed the state, and no
    # second approve was sent after one that may have got through (it would be a 400)
    log = settled_log(mirrored, lambda e: len([x for x in e if "/approve" in x["path"]]) >= 1)
    approves = [e for e in log if "/approve" in e["path"] and e["method"] == "POST"]
    assert [e for e in approves if e["status"] == 400] == []
    conversation = upstream(mirrored, f"/conversations/{request.pk}")
    messages = upstream_list(mirrored, f"/conversations/{conversation['id']}/messages?limit=1000")
    assert sum("from pending to approved" in m["text"] for m in messages) == 1


def test_a_rejection_stops_and_shows_the_upstream_reason(mirrored, support):
    request = pick_request("pending")
    # someone else failed it upstream; our mirror still says pending
    http.post(
        f"{mirrored.connect_url}/requests/{request.pk}/fail",
        json={"reason": "elsewhere"},
        headers={"Authorization": "ApiKey x"},
        timeout=10,
    ).raise_for_status()
    action = services.request_approve(
        request=request, template_id=fulfillment_template(request).pk, actor=support
    )
    done = send_action(action.pk)
    assert done.status == ActionStatus.FAILED
    assert done.error_code == "REQ_003"
    assert "failed" in done.last_error and "approve" in done.last_error
    assert done.attempts == 1  # not retried
    # the stale mirror is refreshed, so staff see why next to the reason
    assert FulfillmentRequest.objects.get(pk=request.pk).status == "failed"
    assert AuditEvent.objects.filter(action="connect.request.approve.failed", target_id=request.pk).exists()


def test_actions_queued_while_connect_is_down_are_applied_when_it_returns(mirrored, support, settings):
    request = pick_request("pending")
    action = services.request_fail(request=request, reason="down test", actor=support)
    real_url = settings.CONNECT_API_URL
    settings.CONNECT_API_URL = "http://127.0.0.1:9/public/v1"  # nothing listens there
    settings.UPSTREAM_MAX_RETRIES = 0
    for _ in range(3):
        send_action(action.pk)
        action.refresh_from_db()
        assert action.status == ActionStatus.QUEUED
        assert not action.maybe_applied  # refused connections never reached Connect
    assert action.attempts == 3 and action.last_error
    settings.CONNECT_API_URL = real_url
    drain()
    action.refresh_from_db()
    assert action.status == ActionStatus.SUCCEEDED
    assert upstream(mirrored, f"/requests/{request.pk}")["status"] == "failed"


def test_retries_give_up_after_max_attempts_then_a_supervisor_retries(
    mirrored, support, supervisor, settings
):
    settings.ACTION_MAX_ATTEMPTS = 2
    settings.UPSTREAM_MAX_RETRIES = 0
    request = pick_request("pending")
    control(mirrored, "POST", "faults", {"rate": 1.0, "kinds": ["502"], "path": "/fail"})
    action = services.request_fail(request=request, reason="x", actor=support)
    send_action(action.pk)
    send_action(action.pk)
    action.refresh_from_db()
    assert action.status == ActionStatus.FAILED and "gave up after 2 attempts" in action.last_error
    with pytest.raises(ServiceError, match="not allowed"):
        action_retry(action=action, actor=support)
    control(mirrored, "DELETE", "faults")
    action_retry(action=action, actor=supervisor)
    drain()
    action.refresh_from_db()
    assert action.status == ActionStatus.SUCCEEDED
    assert AuditEvent.objects.filter(action="connect.request.fail.retried", actor=supervisor).exists()


def test_cancel_a_queued_action(mirrored, support, supervisor):
    request = pick_request("pending")
    action = services.request_fail(request=request, reason="x", actor=support)
    with pytest.raises(ServiceError):
        action_cancel(action=action, actor=support)
    action_cancel(action=action, actor=supervisor, reason="wrong request")
    action.refresh_from_db()
    assert action.status == ActionStatus.CANCELLED
    assert send_action(action.pk) is None
    # the target is free again
    services.request_fail(request=request, reason="the right one", actor=support)


def test_one_open_action_per_target(mirrored, support):
    request = pick_request("pending")
    services.request_fail(request=request, reason="first", actor=support)
    with pytest.raises(ServiceError, match="still queued"):
        services.request_fail(request=request, reason="second", actor=support)
    assert UpstreamAction.objects.filter(target_id=request.pk).count() == 1


def test_a_claimed_action_is_not_sent_twice(mirrored, support):
    request = pick_request("pending")
    action = services.request_fail(request=request, reason="x", actor=support)
    assert send_action(action.pk).status == ActionStatus.SUCCEEDED
    assert send_action(action.pk) is None
    assert len(log_entries(mirrored, f"/requests/{request.pk}/fail")) == 1


def test_a_worker_that_died_while_sending_is_recovered_as_maybe_applied(mirrored, support, settings):
    request = pick_request("pending")
    action = services.request_fail(request=request, reason="x", actor=support)
    # a worker claimed it, sent it (Connect applied it), and died before recording anything
    http.post(
        f"{mirrored.connect_url}/requests/{request.pk}/fail",
        json={"reason": "x"},
        headers={"Authorization": "ApiKey x"},
        timeout=10,
    ).raise_for_status()
    UpstreamAction.objects.filter(pk=action.pk).update(
        status=ActionStatus.SENDING, attempts=1, sending_since="2000-01-01T00:00:00Z"
    )
    assert requeue_stuck() == 1
    done = send_action(action.pk)
    assert done.status == ActionStatus.SUCCEEDED  # confirmed upstream, not re-sent (a re-send would be a 400)
    assert len(log_entries(mirrored, f"/requests/{request.pk}/fail")) == 1
    assert "already applied" in AuditEvent.objects.get(action="connect.request.fail.succeeded").message


@pytest.mark.django_db(transaction=True)
def test_twenty_staff_approving_one_request_make_one_upstream_approve(mirrored, support, monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", True)  # the winner's action is sent at commit, inline
    request = pick_request("pending")
    template = fulfillment_template(request)
    control(mirrored, "DELETE", "log")
    outcomes, barrier = [], threading.Barrier(20)

    def click():
        try:
            barrier.wait(10)
            services.request_approve(request=request, template_id=template.pk, actor=support)
            outcomes.append("queued")
        except ServiceError as exc:
            outcomes.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - report any other failure in the assertion
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert outcomes.count("queued") == 1, outcomes
    assert all(o in ("busy", "transition", "queued") for o in outcomes), outcomes
    assert UpstreamAction.objects.filter(target_id=request.pk).count() == 1
    drain()
    assert upstream(mirrored, f"/requests/{request.pk}")["status"] == "approved"
    assert len(log_entries(mirrored, f"/requests/{request.pk}/approve")) == 1
