"""`/readyz`: database reachable and migrated, broker reachable, schedules present; no login, no secrets.

Against the test database itself: a migration is made unapplied by removing its record from
`django_migrations` (inside the test's transaction, so it is back afterwards), a schedule by
deleting it; Redis is reached at 127.0.0.1:6379 when it runs, and a closed port stands for
one that is down.
"""

from __future__ import annotations

import logging
import socket

import pytest
from django.db.migrations.recorder import MigrationRecorder
from django_q.models import Schedule

from channelhub.sync import schedules

pytestmark = pytest.mark.django_db

PASSWORD = "s3cret-broker-pw"  # noqa: S105 - a password that must never show in the answer


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # free once closed: nothing listens there


def _redis_runs() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.fixture
def scheduled():
    schedules.setup_schedules()


def _ready(client) -> tuple[int, dict]:
    response = client.get("/readyz")
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    return response.status_code, response.json()


def test_ready_when_migrated_with_its_broker_and_every_schedule(client, scheduled):
    status, body = _ready(client)
    assert status == 200, body
    assert body == {
        "ready": True,
        "checks": {
            name: {"ok": True, "reason": ""} for name in ("database", "migrations", "broker", "schedules")
        },
    }


def test_healthz_stays_the_process_is_up_check(client):
    # No schedules, so not ready; yet the process is up.
    assert client.get("/readyz").status_code == 503
    assert client.get("/healthz").json() == {"status": "ok"}


def test_an_unapplied_migration_is_not_ready_and_named(client, scheduled):
    last = MigrationRecorder.Migration.objects.filter(app="channelhub").order_by("-id").first()
    MigrationRecorder.Migration.objects.filter(pk=last.pk).delete()
    status, body = _ready(client)
    assert status == 503 and body["ready"] is False
    migrations = body["checks"]["migrations"]
    assert migrations["ok"] is False
    assert f"channelhub.{last.name}" in migrations["reason"] and "migrate" in migrations["reason"]
    assert body["checks"]["database"]["ok"] and body["checks"]["schedules"]["ok"]


def test_a_missing_schedule_is_not_ready_and_named(client, scheduled):
    Schedule.objects.filter(name=schedules.RETENTION).delete()
    status, body = _ready(client)
    assert status == 503
    assert body["checks"]["schedules"] == {
        "ok": False,
        "reason": f"1 missing: {schedules.RETENTION}; run `manage.py setup_schedules`",
    }
    assert body["checks"]["migrations"]["ok"] and body["checks"]["broker"]["ok"]


def test_a_paused_schedule_is_still_present(client, scheduled):
    Schedule.objects.filter(name=schedules.DISPATCH).update(repeats=0)
    assert _ready(client)[0] == 200


def test_unreachable_redis_is_not_ready_and_shows_no_secret(client, scheduled, settings):
    port = _closed_port()
    settings.REDIS_URL = f"redis://:{PASSWORD}@127.0.0.1:{port}/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    broker = response.json()["checks"]["broker"]
    assert broker == {"ok": False, "reason": "Redis not reachable (ConnectionError)"}
    text = response.content.decode()
    assert PASSWORD not in text and str(port) not in text and "redis://" not in text


@pytest.mark.skipif(not _redis_runs(), reason="no Redis at 127.0.0.1:6379")
def test_reachable_redis_is_ready(client, scheduled, settings):
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    status, body = _ready(client)
    assert status == 200, body
    assert body["checks"]["broker"] == {"ok": True, "reason": ""}


def test_not_ready_needs_no_login_and_is_a_warning_not_an_error(client, caplog):
    with caplog.at_level(logging.INFO):
        status, body = _ready(client)  # anonymous, and no schedules yet
    assert status == 503 and body["checks"]["schedules"]["ok"] is False
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert [r.getMessage() for r in caplog.records if r.name == "channelhub.views"] == [
        "not ready: schedules"
    ]
