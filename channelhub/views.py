"""Views of the core app that are not part of the admin: the probes, the favicon.

`/healthz` says the process is up and answers (a load balancer's liveness check: restart the
process if it fails). `/readyz` says whether it can do its work now: the database reachable and
migrated, the job broker reachable, every schedule `setup_schedules` makes present (a load
balancer's readiness check: send no traffic while it fails, and wait for it after a deploy).
Neither needs a login and neither shows a secret: a failure says which check and why in plain
words or an exception's class name, never an exception's text (it may carry a URL with a password).
"""

import logging
from functools import cache
from pathlib import Path

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse, JsonResponse
from django_q.models import OrmQ, Schedule

from channelhub.sync.schedules import wanted_names

logger = logging.getLogger(__name__)

REDIS_TIMEOUT = 2.0  # seconds: a probe answers quickly or says the broker is not reachable

FAVICON = Path(__file__).resolve().parent / "static" / "channelhub" / "favicon.svg"


def healthz(request):
    """Liveness + database check for load balancers; the one unauthenticated endpoint."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - report any database failure as unhealthy
        return JsonResponse({"status": "error", "database": str(exc.__class__.__name__)}, status=503)
    return JsonResponse({"status": "ok"})


def _failed(reason: str) -> dict:
    return {"ok": False, "reason": reason}


_OK = {"ok": True, "reason": ""}


def check_database() -> dict:
    """The database answers a query."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure is "not reachable"; only its class is shown
        return _failed(f"not reachable ({exc.__class__.__name__})")
    return _OK


def check_migrations() -> dict:
    """No migration of the code running here is left unapplied to the database."""
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        return _failed(f"could not read the applied migrations ({exc.__class__.__name__})")
    if plan:
        names = [f"{migration.app_label}.{migration.name}" for migration, _ in plan]
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        return _failed(f"{len(names)} unapplied migration(s): {shown}; run `manage.py migrate`")
    return _OK


def check_broker() -> dict:
    """The job broker answers: Redis's PING when REDIS_URL is set, else the ORM broker's table."""
    if settings.REDIS_URL:
        try:
            client = redis.Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
            )
            try:
                client.ping()
            finally:
                client.close()
        except Exception as exc:  # noqa: BLE001 - the class only: redis' messages name the host
            return _failed(f"Redis not reachable ({exc.__class__.__name__})")
        return _OK
    try:
        OrmQ.objects.using(settings.Q_CLUSTER.get("orm", "default")).exists()
    except DatabaseError as exc:
        return _failed(f"the ORM broker's table cannot be read ({exc.__class__.__name__})")
    return _OK


def check_schedules() -> dict:
    """Every schedule `setup_schedules` makes exists (a paused one counts: it is there)."""
    try:
        wanted = wanted_names()
        present = set(Schedule.objects.filter(name__in=wanted).values_list("name", flat=True))
    except DatabaseError as exc:
        return _failed(f"could not read the schedules ({exc.__class__.__name__})")
    missing = [name for name in wanted if name not in present]
    if missing:
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        return _failed(f"{len(missing)} missing: {shown}; run `manage.py setup_schedules`")
    return _OK


def readyz(request):
    """Readiness for load balancers and deploys: 200 when every check passes, else 503, with
    `{"ready": bool, "checks": {name: {"ok": bool, "reason": str}}}`; no login, no secrets."""
    checks = {"database": check_database()}
    if checks["database"]["ok"]:
        checks["migrations"] = check_migrations()
    else:
        checks["migrations"] = _failed("database not reachable")
    checks["broker"] = check_broker()
    if checks["database"]["ok"]:
        checks["schedules"] = check_schedules()
    else:
        checks["schedules"] = _failed("database not reachable")
    ready = all(check["ok"] for check in checks.values())
    response = JsonResponse(
        {"ready": ready, "checks": checks},
        status=200 if ready else 503,
        headers={"Cache-Control": "no-store"},
    )
    if not ready:
        # Probed every few seconds: one warning naming the checks, not Django's ERROR (and the
        # error e-mail it would send) for every 503 answered while a deploy migrates.
        failing = sorted(name for name, check in checks.items() if not check["ok"])
        logger.warning("not ready: %s", ", ".join(failing))
        response._has_been_logged = True  # Django's own flag: log_response() skips a logged one
    return response


@cache
def _favicon_bytes() -> bytes:
    return FAVICON.read_bytes()


def favicon(request):
    """`/favicon.ico`: our icon (an SVG, which browsers take at that address too).

    Pages that do not link an icon (the API's browsable pages, a JSON error) make the browser
    ask for /favicon.ico; answering it stops a logged "Not Found" on every such page.
    """
    return HttpResponse(
        _favicon_bytes(), content_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
    )
