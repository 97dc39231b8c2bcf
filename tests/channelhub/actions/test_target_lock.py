"""Checking a transition and queueing the action are atomic with the sender's write of a result.

Without that, a request whose approve has just been sent accepts another approve: the
service read the mirror while the first action was open, the sender then wrote "approved"
and closed it, and the one-open-action rule no longer stood in the way of the insert.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django_q.conf import Conf

from channelhub.actions.sender import send_action
from channelhub.models import ActionStatus, UpstreamAction
from channelhub.services import ServiceError
from fulfillment.connect import services
from fulfillment.connect.services import requests as request_services
from fulfillment.connect.services import tier_config_requests as tcr_services
from fulfillment.models import Template
from tests.channelhub.sync.helpers import control

from .helpers import drain, log_entries, pick_request, pick_tcr, upstream

APPROVE = "connect.request.approve"
STAFF = 20
MAX_TRIES = 500  # per person: only a guard against a hang if the first approve never ends


def _template(request) -> Template:
    template = Template.objects.filter(
        product_id=request.product_id, scope="asset", type="fulfillment"
    ).first()
    assert template is not None
    return template


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_twenty_people_approving_while_the_first_approve_completes_send_one(mirrored, support, monkeypatch):
    """Twenty people keep clicking approve until the first approve has been sent and written
    back (the winner sends it inline at its commit), then click once more: every click that
    read the request while the first approve was open and queued after it closed would be a
    duplicate approve, refused upstream."""
    monkeypatch.setattr(Conf, "SYNC", True)  # the winner's action is sent at its commit, inline
    request = pick_request("pending")
    template = _template(request)
    control(mirrored, "DELETE", "log")
    outcomes: list[str] = []
    sent = threading.Event()
    barrier = threading.Barrier(STAFF)

    def person():
        try:
            barrier.wait(30)
            for _ in range(MAX_TRIES):
                last = sent.is_set()
                try:
                    services.request_approve(request=request, template_id=template.pk, actor=support)
                    outcomes.append("queued")
                    sent.set()  # Conf.SYNC: the action was sent and written back before this returns
                except ServiceError as exc:
                    outcomes.append(exc.code)
                if last:
                    return
        except Exception as exc:  # noqa: BLE001 - reported by the assertions below
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=person) for _ in range(STAFF)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    drain()
    approves = UpstreamAction.objects.filter(target_id=request.pk, kind=APPROVE)
    duplicates = approves.count() - 1
    refused = {code: outcomes.count(code) for code in set(outcomes) if code != "queued"}
    assert duplicates == 0, f"{duplicates} duplicate approve(s) queued; refusals {refused}"
    assert outcomes.count("queued") == 1, refused
    assert set(refused) <= {"busy", "transition"}, refused
    assert refused.get("transition", 0) >= STAFF - 1  # each person's last click came after it was done
    assert approves.get().status == ActionStatus.SUCCEEDED
    assert len(log_entries(mirrored, f"/requests/{request.pk}/approve")) == 1
    assert upstream(mirrored, f"/requests/{request.pk}")["status"] == "approved"


@pytest.mark.django_db
@pytest.mark.parametrize("target, pick, approve", [
    (request_services.TARGET, lambda: pick_request("pending"), lambda r: {"template_id": _template(r).pk}),
    (tcr_services.TARGET, lambda: pick_tcr("pending"), lambda r: {}),
], ids=["request", "tier_config_request"])  # fmt: skip
def test_a_result_written_between_the_check_and_the_insert_refuses_the_second_approve(
    mirrored, support, target, pick, approve
):
    """The pieces of a second approve in the order of the race: its read and check (the
    request is pending and the first approve still open), then the sender writing the first
    approve's result, then its insert. The insert's own check, on the row as it is now,
    refuses it."""
    obj = pick()
    first = target.record(
        target.prepare(obj, support, "approve", "approve"), support, "approve", approve(obj)
    )
    with transaction.atomic():
        stale = target.prepare(obj, support, "approve", "approve")  # pending; the first still open
        assert send_action(first.pk).status == ActionStatus.SUCCEEDED  # approved, first closed
        with pytest.raises(ServiceError, match="is approved; 'approve' is only possible") as refused:
            target.record(stale, support, "approve", approve(obj))
    assert refused.value.code == "transition"
    assert UpstreamAction.objects.filter(target_id=obj.pk, kind__endswith=".approve").count() == 1
    path = "/requests" if target is request_services.TARGET else "/tier/config-requests"
    assert len(log_entries(mirrored, f"{path}/{obj.pk}/approve")) == 1
