"""An inquire whose answer was lost is not sent twice, against the sandbox over HTTP.

The soak (bench/soak.py) found it: the inquire reached Connect, its answer was lost (a killed
worker, a cut connection), the customer answered within seconds so the request was pending
again, and the retry, seeing "pending" and not "inquiring", asked the customer a second time.
A retry now also reads the request's conversation for the move to inquiring since the action
began; an inquire that never reached Connect is still sent.
"""

from __future__ import annotations

import pytest
import requests
from django.utils import timezone

from channelhub.actions.sender import send_action
from channelhub.models import ActionStatus, UpstreamAction
from fulfillment.connect import services
from tests.channelhub.actions.helpers import HEADERS, log_entries, upstream

pytestmark = pytest.mark.django_db


def _pending_with_params(n: int):
    from fulfillment.models import FulfillmentRequest  # noqa: PLC0415 - a model, read after the mirror filled

    rows = FulfillmentRequest.objects.filter(status="pending", is_migration=False).exclude(params=[])
    picked = list(rows.order_by("pk")[:n])
    assert len(picked) == n
    return picked


def _lost(action: UpstreamAction) -> None:
    """As if the attempt's answer never came back: queued again, maybe applied."""
    UpstreamAction.objects.filter(pk=action.pk).update(
        status=ActionStatus.QUEUED, maybe_applied=True, next_attempt_at=timezone.now()
    )


def test_a_lost_inquire_answered_by_the_customer_is_not_sent_again(mirrored, support):
    request = _pending_with_params(1)[0]
    pid = request.params[0]["id"]
    action = services.request_inquire(request=request, param_errors={pid: "Please fix it"}, actor=support)
    assert send_action(action.pk).status == ActionStatus.SUCCEEDED
    assert upstream(mirrored, f"/requests/{request.pk}")["status"] == "inquiring"
    answered = requests.post(
        f"{mirrored.connect_url}/requests/{request.pk}/pend", json={}, headers=HEADERS, timeout=30
    )
    assert answered.status_code == 200, answered.text  # the customer answered: pending again
    _lost(action)
    sent_before = len(log_entries(mirrored, f"/requests/{request.pk}/inquire"))
    again = send_action(action.pk)
    assert again.status == ActionStatus.SUCCEEDED
    assert len(log_entries(mirrored, f"/requests/{request.pk}/inquire")) == sent_before == 1
    assert upstream(mirrored, f"/requests/{request.pk}")["status"] == "pending"


def test_a_maybe_applied_inquire_that_never_reached_connect_is_sent(mirrored, support):
    request = _pending_with_params(2)[1]
    pid = request.params[0]["id"]
    action = services.request_inquire(request=request, param_errors={pid: "Please fix it"}, actor=support)
    _lost(action)  # its first send died before Connect saw it
    assert send_action(action.pk).status == ActionStatus.SUCCEEDED
    assert len(log_entries(mirrored, f"/requests/{request.pk}/inquire")) == 1
    assert upstream(mirrored, f"/requests/{request.pk}")["status"] == "inquiring"
