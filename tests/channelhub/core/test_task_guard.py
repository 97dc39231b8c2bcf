"""Schedules are code: no staff role can make the worker run a function of its choosing.

django-q runs whatever importable function a schedule or task names, with its arguments, and
calls a task's hook with the result. These tests try each door (the admin as each role, the
ORM, a row written around the ORM, the scheduler, an enqueue, a resubmit) with a payload that
would leave a marker file if it ran, and check what a supervisor may do instead (pause,
resume, run now) is audited.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from django_q import scheduler as q_scheduler
from django_q.models import Failure, Schedule
from django_q.signals import pre_enqueue
from django_q.signing import SignedPackage
from django_q.tasks import async_task

from channelhub.models import AuditEvent
from channelhub.services import ServiceError
from channelhub.sync import schedules
from channelhub.taskguard import ALLOWED_TASKS, REFUSED_TASK, TaskRefused

pytestmark = pytest.mark.django_db

SYNC_TASK = "channelhub.sync.tasks.sync_stream_task"


@pytest.fixture
def user(db):
    def make(role: str | None = None, **extra):
        user = get_user_model().objects.create_user(
            username=f"{role or 'admin'}-{len(extra)}", password="pw-long-enough-123", is_staff=True, **extra
        )
        if role:
            user.groups.add(Group.objects.get(name=role))
        return get_user_model().objects.get(pk=user.pk)

    return make


@pytest.fixture
def marker(tmp_path):
    return tmp_path / "ran"


@pytest.fixture
def ours(db):
    schedules.setup_schedules()
    return Schedule.objects.get(name="sync:connect.products")


def _add_form(func: str, args: str = "", **extra) -> dict:
    return {
        "name": "mine",
        "func": func,
        "args": args,
        "kwargs": "",
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
        "repeats": -1,
        "next_run_0": "2030-01-01",
        "next_run_1": "00:00:00",
        "cron": "",
        "cluster": "",
        "intended_date_kwarg": "",
        **extra,
    }


# --- no role can write a schedule's code ---------------------------------------------------


@pytest.mark.parametrize("role", ["readonly", "support", "supervisor"])
def test_no_staff_role_may_add_change_or_delete_a_schedule(role, user, client, ours, marker):
    staff = user(role)
    for perm in ("add_schedule", "change_schedule", "delete_schedule"):
        assert not staff.has_perm(f"django_q.{perm}")
    client.force_login(staff)
    add = reverse("admin:django_q_schedule_add")
    assert client.get(add).status_code == 403
    assert client.post(add, _add_form("os.system", repr(f"touch {marker}"))).status_code == 403
    change = reverse("admin:django_q_schedule_change", args=[ours.pk])
    client.post(change, _add_form("os.system", repr(f"touch {marker}"), name=ours.name))
    ours.refresh_from_db()
    assert ours.func == SYNC_TASK
    assert not Schedule.objects.filter(name="mine").exists()


def test_a_supervisor_still_sees_the_schedules_read_only(user, client, ours):
    client.force_login(user("supervisor"))
    page = client.get(reverse("admin:django_q_schedule_changelist"))
    assert page.status_code == 200
    assert b"sync:connect.products" in page.content
    detail = client.get(reverse("admin:django_q_schedule_change", args=[ours.pk]))
    assert detail.status_code == 200
    assert b'name="func"' not in detail.content  # shown, not editable


def test_a_superuser_may_only_pick_one_of_our_tasks_with_literal_arguments(user, client, marker):
    client.force_login(user(is_superuser=True))
    add = reverse("admin:django_q_schedule_add")
    page = client.post(add, _add_form("os.system", repr(f"touch {marker}")))
    assert page.status_code == 200 and b"Select a valid choice" in page.content
    page = client.post(add, _add_form(SYNC_TASK, "__import__('os').system('touch x')"))
    assert page.status_code == 200 and b"plain Python literal" in page.content
    page = client.post(
        add, _add_form(SYNC_TASK, "'connect.products'", kwargs="{'q_options': {'hook': 'os.system'}}")
    )
    assert page.status_code == 200 and b"may not set task options" in page.content
    assert not Schedule.objects.filter(name="mine").exists()
    page = client.post(add, _add_form(SYNC_TASK, "'connect.products'"))
    assert page.status_code == 302, page.content[:2000]
    assert Schedule.objects.get(name="mine").func == SYNC_TASK
    assert not marker.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"func": "os.system", "args": "'touch /tmp/x'"},
        {"func": "subprocess.getoutput", "args": "'id'"},
        {"func": SYNC_TASK, "args": "'connect.products'", "hook": "os.system"},
        {"func": SYNC_TASK, "args": "print('x')"},
    ],
)
def test_the_model_refuses_a_schedule_that_is_not_ours_whoever_saves_it(fields):
    with pytest.raises(TaskRefused):
        Schedule.objects.create(name="shell", schedule_type=Schedule.MINUTES, minutes=1, **fields)
    assert not Schedule.objects.filter(name="shell").exists()


def test_setup_schedules_only_names_allowed_tasks(ours):
    funcs = set(Schedule.objects.values_list("func", flat=True))
    assert funcs and funcs <= ALLOWED_TASKS


# --- the worker never runs what is not ours, however it got queued ---------------------------


def test_an_enqueued_task_that_is_not_ours_runs_nothing_and_fails_with_the_reason(marker):
    with pytest.raises(TaskRefused, match="os.system"):
        async_task("os.system", f"touch {marker}", sync=True)
    assert not marker.exists()


def test_a_hook_that_is_not_ours_is_dropped(marker):
    # sync=True runs the task and its hook in this process, as the cluster would.
    with pytest.raises(TaskRefused, match="hook"):
        async_task(SYNC_TASK, "no-such-stream", hook="os.system", sync=True)
    assert not marker.exists()


class _RecordingBroker:
    """Stands in for the broker the scheduler hands tasks to; keeps what it was given."""

    list_key = "test"

    def __init__(self):
        self.tasks = []

    def enqueue(self, pack):
        self.tasks.append(SignedPackage.loads(pack))
        return len(self.tasks)


def test_a_schedule_row_written_around_the_orm_is_refused_by_the_scheduler_which_goes_on(
    ours, marker, monkeypatch
):
    # The scheduler closes stale connections first; the test's own is inside a transaction.
    monkeypatch.setattr(q_scheduler, "close_old_django_connections", lambda: None)
    scheduler = q_scheduler.scheduler

    # bulk_create sends no pre_save: as a raw SQL insert or an older row would be.
    Schedule.objects.bulk_create(
        [
            Schedule(
                name="shell",
                func="os.system",
                args=repr(f"touch {marker}"),
                schedule_type=Schedule.MINUTES,
                minutes=1,
                repeats=-1,
                next_run=timezone.now() - timezone.timedelta(minutes=1),
            )
        ]
    )
    Schedule.objects.filter(pk=ours.pk).update(next_run=timezone.now() - timezone.timedelta(minutes=1))
    broker = _RecordingBroker()
    scheduler(broker=broker)
    by_group = {task["group"]: task for task in broker.tasks}
    assert by_group["shell"]["func"] == REFUSED_TASK
    assert "os.system" in by_group["shell"]["args"][0]
    assert by_group["sync:connect.products"]["func"] == SYNC_TASK  # the good schedule still ran
    assert not marker.exists()
    shell = Schedule.objects.get(name="shell")
    assert shell.repeats == 0 and shell.func == "os.system"  # paused, and left for someone to see


def test_failed_tasks_cannot_be_resubmitted_from_the_admin(user, client, marker):
    failure = Failure.objects.create(
        id="a" * 32,
        name="old",
        func="os.system",
        args=(f"touch {marker}",),
        kwargs={},
        started=timezone.now(),
        stopped=timezone.now(),
        success=False,
    )
    for staff in (user("supervisor"), user(is_superuser=True)):
        client.force_login(staff)
        url = reverse("admin:django_q_failure_changelist")
        page = client.get(url)
        assert b"resubmit" not in page.content.lower()
        client.post(url, {"action": "resubmit_task", "_selected_action": [failure.pk]})
    assert not marker.exists()
    assert Failure.objects.filter(pk=failure.pk).exists()


# --- what a supervisor may do: pause, resume, run now, each audited --------------------------


def test_a_supervisor_pauses_and_resumes_a_schedule_and_both_are_audited(user, client, ours):
    supervisor = user("supervisor")
    client.force_login(supervisor)
    url = reverse("admin:django_q_schedule_changelist")
    client.post(url, {"action": "pause_selected", "_selected_action": [ours.pk]})
    ours.refresh_from_db()
    assert schedules.is_paused(ours)
    # A deploy's setup_schedules keeps it paused.
    assert dict(schedules.setup_schedules())["sync:connect.products"] == "unchanged"
    ours.refresh_from_db()
    assert schedules.is_paused(ours)
    client.post(url, {"action": "resume_selected", "_selected_action": [ours.pk]})
    ours.refresh_from_db()
    assert ours.repeats == -1
    events = list(
        AuditEvent.objects.filter(target_type="schedule", target_id="sync:connect.products")
        .order_by("id")
        .values_list("action", "actor_name")
    )
    assert events == [("schedule.paused", supervisor.username), ("schedule.resumed", supervisor.username)]


def test_run_now_hands_our_task_to_the_worker_and_is_audited(user, ours, monkeypatch):
    queued = []
    monkeypatch.setattr("django_q.tasks.get_broker", lambda *a, **k: _RecordingBroker())

    def keep(sender, task, **kwargs):
        queued.append(dict(task))

    pre_enqueue.connect(keep, dispatch_uid="test-keep")
    try:
        schedules.schedule_run_now(schedule=ours, actor=user("supervisor"))
    finally:
        pre_enqueue.disconnect(dispatch_uid="test-keep")
    assert [(t["func"], t["args"]) for t in queued] == [(SYNC_TASK, ("connect.products",))]
    assert (
        AuditEvent.objects.filter(action="schedule.run_now", target_id="sync:connect.products").count() == 1
    )


@pytest.mark.parametrize("role", ["readonly", "support"])
def test_roles_without_run_sync_cannot_pause_or_run(role, user, ours):
    staff = user(role)
    for call in (schedules.schedule_pause, schedules.schedule_run_now):
        with pytest.raises(ServiceError, match="run_sync"):
            call(schedule=ours, actor=staff)
    ours.refresh_from_db()
    assert not schedules.is_paused(ours)
    assert not AuditEvent.objects.filter(target_type="schedule").exists()
