"""Stopping the worker: a real `manage.py qcluster` in its own process group, as systemd runs it.

- A SIGTERM to the whole group ends the cluster and every process of it within 10 seconds.
- SIGKILL to the main process takes every child with it (no orphaned cluster).
- A send in flight at the SIGTERM is finished before the exit; one cut off by the grace period
  is recovered later and applied exactly once (docs/operations.md, "What happens to a task").

The cluster uses this test's database (SQLite file or PostgreSQL) and broker (ORM or the
REDIS_URL's Redis), so tasks enqueued here are the ones it runs.
"""

from __future__ import annotations

import os
import signal
import time

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from channelhub.actions.sender import send_due
from channelhub.models import ActionStatus, AuditEvent, UpstreamAction
from fulfillment.connect import services
from fulfillment.models import Template
from tests.channelhub.actions.conftest import sync_mirror
from tests.channelhub.actions.helpers import pick_request, upstream
from tests.channelhub.sync.helpers import control, settled_log
from tests.plugins.worker import still_running

pytestmark = pytest.mark.django_db(transaction=True)  # the cluster must see our rows


@pytest.fixture
def mirrored(connect_settings):
    """The sandbox's Connect mirrored into the database (the cluster's approves need it)."""
    sync_mirror()
    return connect_settings


@pytest.fixture
def support(db):
    user = get_user_model().objects.create_user(username="support-user", password="pw-long-enough-123")
    user.groups.add(Group.objects.get(name="support"))
    return get_user_model().objects.get(pk=user.pk)


def test_sigterm_to_the_group_stops_the_cluster_and_its_children_within_10_seconds(start_cluster):
    cluster = start_cluster()
    os.killpg(cluster.process.pid, signal.SIGTERM)  # what systemd (KillMode=control-group) sends
    seconds = cluster.wait_gone(20)
    assert seconds < 10, f"still there after {seconds:.1f} s:\n{cluster.output()}"
    assert cluster.process.returncode == 0, cluster.output()
    assert still_running(cluster.children) == []


def test_killing_the_main_process_takes_every_child_with_it(start_cluster):
    cluster = start_cluster()
    os.kill(cluster.process.pid, signal.SIGKILL)
    seconds = cluster.wait_gone(5)
    assert still_running(cluster.children) == [], f"orphans after {seconds:.1f} s:\n{cluster.output()}"


def _approve_in_flight(sandbox, actor, hold_seconds: float) -> tuple[UpstreamAction, str]:
    """Queue an approve whose answer Connect holds `hold_seconds`; return once Connect applied it
    (the worker is then waiting for the answer)."""
    request = pick_request("pending")
    template = Template.objects.filter(
        product_id=request.product_id, scope="asset", type="fulfillment"
    ).first()
    control(
        sandbox, "POST", "faults", {"next": ["timeout"], "path": "/approve", "timeout_seconds": hold_seconds}
    )
    action = services.request_approve(request=request, template_id=template.pk, actor=actor)
    deadline = time.monotonic() + 30
    while upstream(sandbox, f"/requests/{request.pk}")["status"] != "approved":
        assert time.monotonic() < deadline, "the cluster never sent the approve"
        time.sleep(0.1)
    return action, request.pk


def test_a_send_in_flight_at_sigterm_is_finished_before_the_exit(start_cluster, mirrored, support):
    cluster = start_cluster(CONNECT_API_URL=mirrored.connect_url, CONNECT_API_KEY=settings.CONNECT_API_KEY)
    action, _ = _approve_in_flight(mirrored, support, hold_seconds=2)
    os.killpg(cluster.process.pid, signal.SIGTERM)
    seconds = cluster.wait_gone(20)
    assert seconds < 10, cluster.output()
    action.refresh_from_db()
    assert action.status == ActionStatus.SUCCEEDED, cluster.output()


def test_a_send_cut_off_by_the_grace_period_is_applied_later_exactly_once(
    start_cluster, mirrored, support, settings
):
    cluster = start_cluster(
        "--grace", "1", CONNECT_API_URL=mirrored.connect_url, CONNECT_API_KEY=settings.CONNECT_API_KEY
    )
    control(mirrored, "DELETE", "log")
    # Connect holds the answer longer than the grace period, not much longer: the held request
    # must end within this test, or its log entry would land in a later test's log.
    action, request_id = _approve_in_flight(mirrored, support, hold_seconds=4)
    os.killpg(cluster.process.pid, signal.SIGTERM)
    seconds = cluster.wait_gone(20)
    assert seconds < 10, cluster.output()
    action.refresh_from_db()
    assert action.status == ActionStatus.SENDING  # the worker was killed waiting for the answer
    # The every-minute sweep (send_due_actions_task) requeues a send stuck longer than
    # ACTION_SENDING_TIMEOUT as maybe applied, finds it applied upstream and records it.
    settings.ACTION_SENDING_TIMEOUT = 0
    send_due()
    action.refresh_from_db()
    assert action.status == ActionStatus.SUCCEEDED, action.last_error
    assert (
        "already applied"
        in AuditEvent.objects.get(upstream_action=action, action__endswith=".succeeded").message
    )
    assert upstream(mirrored, f"/requests/{request_id}")["status"] == "approved"
    approve = f"/requests/{request_id}/approve"
    log = settled_log(mirrored, lambda entries: any(approve in e["path"] for e in entries))
    assert [e["method"] for e in log if approve in e["path"]] == ["POST"]  # sent once, not re-sent
