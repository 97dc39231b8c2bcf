"""`send_actions --retry-failed` retries through the service, as the system actor, audited."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from channelhub.actions.sender import send_action
from channelhub.actors import SYSTEM_USERNAME
from channelhub.models import ActionStatus, AuditEvent, UpstreamAction
from fulfillment.connect import services
from tests.channelhub.sync.helpers import control

from .helpers import pick_request, upstream

pytestmark = pytest.mark.django_db


def test_retry_failed_goes_through_the_service_and_reports_what_it_refused(
    mirrored, support, settings, capsys
):
    settings.ACTION_MAX_ATTEMPTS = 1
    settings.UPSTREAM_MAX_RETRIES = 0
    request = pick_request("pending")
    control(mirrored, "POST", "faults", {"rate": 1.0, "kinds": ["502"], "path": "/fail"})
    first = services.request_fail(request=request, reason="one", actor=support)
    send_action(first.pk)
    second = services.request_fail(request=request, reason="two", actor=support)
    send_action(second.pk)
    assert set(UpstreamAction.objects.values_list("status", flat=True)) == {ActionStatus.FAILED}
    control(mirrored, "DELETE", "faults")

    with pytest.raises(CommandError, match="1 could not be retried"):
        call_command("send_actions", "--retry-failed")
    err = capsys.readouterr().err
    assert f"{second.pk} connect.request.fail {request.pk}: not retried:" in err
    assert "Traceback" not in err and "IntegrityError" not in err

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == ActionStatus.SUCCEEDED
    assert second.status == ActionStatus.FAILED  # refused, untouched
    assert upstream(mirrored, f"/requests/{request.pk}")["status"] == "failed"
    retried = AuditEvent.objects.get(action="connect.request.fail.retried")
    assert retried.upstream_action_id == first.pk
    assert retried.actor.username == SYSTEM_USERNAME and retried.actor_name == SYSTEM_USERNAME
    assert not retried.actor.has_usable_password() and not retried.actor.is_staff
