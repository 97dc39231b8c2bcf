"""The usage decisions beyond accept, end to end against the sandbox over HTTP: a vendor-side
processor submits a ready file, a provider-side one rejects a pending file with its note, and
one closes an accepted file; each through the same services and outbox as a person's click."""

from __future__ import annotations

from typing import ClassVar

import pytest

from channelhub import registry
from channelhub.automation import processors as processor_registry
from channelhub.automation.contract import Decision, Processor
from channelhub.automation.runner import run_due
from channelhub.automation.services import processor_enable
from channelhub.models import AuditEvent, AutomationTask, TaskStatus
from usage.automation.subjects import USAGE_FILE_EVENT

from .test_usage_automation import (
    CURRENT,
    PREVIOUS,
    api,
    base,
    drain,
    supervisor,
    sync,
    usage_world,
    vendor_file,
)

pytestmark = pytest.mark.django_db
__all__ = ["base", "supervisor", "usage_world"]  # fixtures, used by name


class OnlyOurFile(Processor):
    """Decides on the one file a test names (the seeded files stay out of it)."""

    target = ""
    answer: ClassVar = staticmethod(lambda: Decision.skip("not ours"))

    def process(self, usage_file):
        if usage_file.id != type(self).target:
            return Decision.skip("not the test's file")
        return type(self).answer()


class Submits(OnlyOurFile):
    name = "test.usage_submit"
    events: ClassVar = {USAGE_FILE_EVENT: ("ready",)}
    answer: ClassVar = staticmethod(lambda: Decision.submit("Every record was read"))


class Rejects(OnlyOurFile):
    name = "test.usage_reject"
    events: ClassVar = {USAGE_FILE_EVENT: ("pending",)}
    answer: ClassVar = staticmethod(lambda: Decision.reject("Quantities are counted twice", reason="Doubled"))


class Closes(OnlyOurFile):
    name = "test.usage_close"
    events: ClassVar = {USAGE_FILE_EVENT: ("accepted",)}
    answer: ClassVar = staticmethod(lambda: Decision.close("Billed in the ERP"))


@pytest.fixture
def kinds(monkeypatch):
    store = registry.STORES["processors"]
    monkeypatch.setattr(store, "_items", [*store._items, Submits, Rejects, Closes])
    processor_registry._by_name.cache_clear()
    yield
    processor_registry._by_name.cache_clear()


def _decide(processor: type[OnlyOurFile], file_id: str, actor) -> AutomationTask:
    processor.target = file_id
    processor_enable(name=processor.name, actor=actor)
    sync()
    run_due(limit=1000)
    drain()
    return AutomationTask.objects.filter(processor=processor.name, target_id=file_id).latest("id")


def test_submit_then_reject_a_file(usage_world, base, supervisor, kinds):
    file_id = vendor_file(usage_world, base, CURRENT, ["10", "20"], submit=False)
    assert api(usage_world, "GET", f"/usage/files/{file_id}")["status"] == "ready"
    submitted = _decide(Submits, file_id, supervisor)
    assert (submitted.status, submitted.decision) == (TaskStatus.DECIDED, "submit")
    assert submitted.action.status == "succeeded"
    assert api(usage_world, "GET", f"/usage/files/{file_id}")["status"] == "pending"
    rejected = _decide(Rejects, file_id, supervisor)
    assert (rejected.status, rejected.decision, rejected.reason) == (TaskStatus.DECIDED, "reject", "Doubled")
    answer = api(usage_world, "GET", f"/usage/files/{file_id}")
    assert (answer["status"], answer["rejection_note"]) == ("rejected", "Quantities are counted twice")
    events = AuditEvent.objects.filter(target_id=file_id, action__endswith=".queued").order_by("pk")
    assert [e.action for e in events] == [
        "connect.usage_file.submit.queued",
        "connect.usage_file.reject.queued",
    ]
    assert all(e.actor_name == "channelhub-system" for e in events)


def test_close_an_accepted_file_once_its_records_carry_billing_ids(usage_world, base, supervisor, kinds):
    file_id = vendor_file(usage_world, base, PREVIOUS, ["5"], accept=True)
    refused = _decide(Closes, file_id, supervisor)
    assert refused.status == TaskStatus.REFUSED and not refused.action_id
    assert "without an external billing id" in refused.error
    records = api(usage_world, "GET", f"/usage/records?eq(usage_file,{file_id})&limit=100")
    api(
        usage_world,
        "POST",
        "/usage/records/close-records",
        json=[{"id": r["id"], "external_billing_id": f"INV-{r['id']}"} for r in records],
    )
    closed = _decide(Closes, file_id, supervisor)  # the records' sync changed the file: asked again
    assert (closed.status, closed.decision, closed.action.status) == (
        TaskStatus.DECIDED,
        "close",
        "succeeded",
    )
    assert AutomationTask.objects.filter(processor=Closes.name, target_id=file_id).count() == 2
    assert api(usage_world, "GET", f"/usage/files/{file_id}")["status"] == "closed"
