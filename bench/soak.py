"""`bench/soak.py [--minutes 10] [--faults 0.1]`: proof under faults and kills (issue 17).

PostgreSQL (a fresh `channelhub_soak`, migrated) and Redis (db 13, purged); the sandbox live
(ticking: Connect, Cloud Channel, Connect usage and the CMP feed) with `--faults` of its upstream
requests failing (every kind: 5xx, 429, timeouts that apply and hold the answer, truncated
bodies, resets); two web processes (a gunicorn each) and three `qcluster` workers; every stream
mirrored once and `setup_schedules`; the sandbox's CMP feed as an inventory source; a support
and a supervisor user with passwords, a readonly one with an API token. Staff act through the
admin's forms (bench/soak_targets.py: approve, inquire and fail requests, suspend entitlements
and add seats, accept and reject usage files) and an API reader pages lists with RQL, while the
chaos loop SIGKILLs a random web or worker process every `--chaos-every` seconds and starts it
again. Then the chaos and the faults stop, the ticking stops and the system drains: the outbox
empties, a last sync of every stream runs on the workers, the workers stop. Asserted and printed
(bench/soak_checks.py, bench/soak_mirror.py):

- every mirrored collection equals the sandbox's (ids, status, update time; the inventory by
  type and id);
- every staff action applied upstream exactly once: one 2xx POST of it in the sandbox's request
  log (Connect), one reseller's EntitlementChange of its kind (Channel), per succeeded action,
  none for a failed one; none lost (every action finished, each failed one with a reason);
- no stream left locked, no sync run left "running";
- no 5xx nor unanswered web request but those in flight to a process the chaos killed; every
  API read answered 200;
- the actions' latency, queued -> applied (p50, p95).

Exits 1 when an assertion fails. tests/channelhub/core/test_soak.py runs it short in CI.
"""

from __future__ import annotations

import argparse
import collections
import io
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.soak_driver import Driver  # noqa: E402 - ROOT is put on the path above
from bench.soak_stack import Chaos, web, worker  # noqa: E402 - ROOT is put on the path above

KEY = "ApiKey SU-000-000-000:sandbox"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/13"
PASSWORD = "soak-Pa55word-not-secret"  # noqa: S105 - a throwaway user of a throwaway database
STAFF = {"soak-support": "support", "soak-supervisor": "supervisor"}
LOCK_SECONDS = 15  # SYNC_LOCK_SECONDS of the soak: a killed run's lease runs out quickly
SENDING_TIMEOUT = 15  # ACTION_SENDING_TIMEOUT: a killed send is requeued quickly


def main(argv=None) -> int:
    """Parse the options, run the soak, return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long the load and the chaos last")
    parser.add_argument("--faults", type=float, default=0.1, help="share of upstream requests that fail")
    parser.add_argument("--chaos-every", type=float, default=6.0, help="seconds between kills (jittered)")
    parser.add_argument("--scale", type=int, default=40, help="the sandbox's world size")
    parser.add_argument("--pg", default=PG_SERVER, help="the PostgreSQL server (a superuser), no database")
    parser.add_argument("--database", default="channelhub_soak", help="dropped and created afresh")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end (CI)")
    parser.add_argument("--redis", default=REDIS_URL, help="a Redis database of the soak's own")
    args = parser.parse_args(argv)
    return Soak(args).run()


class Soak:
    """One soak: set up, load under chaos, drain, verify."""

    def __init__(self, args):
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="soak-"))
        self.failures: list[str] = []
        self.procs = []
        self.server = None
        self.verified = False

    def check(self, ok: bool, what: str) -> None:
        """Print one assertion's verdict; a failed one makes the exit code 1."""
        print(f"  [{'ok' if ok else 'FAIL'}] {what}")
        if not ok:
            self.failures.append(what)

    def run(self) -> int:
        """The whole soak; the processes are stopped whatever happens."""
        started = time.monotonic()
        try:
            env = self._setup()
            driver, chaos = self._load(env)
            self._drain(chaos, driver)
            self._verify(driver, chaos)
            self.verified = True
        finally:
            for proc in self.procs:
                proc.kill()
            if self.server is not None:
                self.server.stop()
            if self.args.drop and self.verified and not self.failures:
                self._database()  # a failed soak's database is kept for a look
        print(f"\nsoak took {time.monotonic() - started:.0f} s; logs in {self.work}")
        print("FAILED: " + "; ".join(self.failures) if self.failures else "all assertions hold")
        return 1 if self.failures else 0

    # --- set-up -----------------------------------------------------------------------------
    def _setup(self) -> dict:
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="channelhub.settings")
        for name in ("DJANGO_ENV", "PYTEST_XDIST_WORKER"):
            env.pop(name, None)
        self._database("CREATE")
        env.update(
            DATABASE_URL=f"{self.args.pg}/{self.args.database}",
            REDIS_URL=self.args.redis,
            Q_NAME=f"channelhub-{self.args.database}",
            DEBUG="false",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            LOG_LEVEL="WARNING",
            Q_WORKERS="2",
            SYNC_LOCK_SECONDS=str(LOCK_SECONDS),
            ACTION_SENDING_TIMEOUT=str(SENDING_TIMEOUT),
            ACTION_RETRY_BACKOFF="1",
            UPSTREAM_TIMEOUT="3",
            UPSTREAM_BACKOFF="0.1",
            UPSTREAM_MAX_RETRIES="3",
            CHANNEL_LRO_POLL_INITIAL="0.2",
        )
        import redis  # noqa: PLC0415 - only the soak needs it

        broker = redis.Redis.from_url(self.args.redis)
        for key in broker.scan_iter(f"*{env['Q_NAME']}*"):  # purge the queue: no earlier run's tasks
            broker.delete(key)
        os.environ.update(env)
        import django  # noqa: PLC0415 - settings come from the environment set just above

        django.setup()
        self._start_sandbox(env)  # after Django: the apps register their sandbox modules
        self.token = self._prepare()
        worker_env = {**env, "LOG_LEVEL": "INFO"}  # the cluster's "running." line tells it is up
        self.webs = [web(n, env, self.work) for n in (1, 2)]
        self.workers = [worker(n, worker_env, self.work) for n in (1, 2, 3)]
        self.procs = [*self.webs, *self.workers]
        for proc in self.procs:
            proc.start()
        for proc in self.procs:
            proc.wait_up()
        return env

    def _database(self, then: str = "") -> None:
        """Drop the soak's database (whoever is still connected), then `then` CREATE it."""
        import psycopg  # noqa: PLC0415 - only the soak needs it

        if "django" in sys.modules:
            from django.db import connections  # noqa: PLC0415 - only once Django is set up

            connections.close_all()
        with psycopg.connect(f"{self.args.pg}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.args.database}" WITH (FORCE)')
            if then:
                conn.execute(f'{then} DATABASE "{self.args.database}"')

    def _start_sandbox(self, env: dict) -> None:
        from django.conf import settings  # noqa: PLC0415 - after django.setup()

        from channelhub.management.commands.sandbox import server_modules  # noqa: PLC0415 - after django.setup()
        from channelhub.sandbox.server import SandboxServer  # noqa: PLC0415 - after django.setup()

        self.server = SandboxServer(
            state_path=self.work / "sandbox.sqlite3",
            seed=17,
            scale=self.args.scale,
            live=True,
            tick_interval=3.0,
            modules=server_modules(),  # Connect, Channel, Connect usage, the CMP feed
        ).start()
        self.server.app._log = collections.deque()  # the whole soak's requests, not the last 5000
        self.by_colleagues: set[str] = set()  # requests the sandbox's portal colleagues processed
        self.life: dict[str, list[str]] = collections.defaultdict(list)  # request -> what its life did, when
        tick = self.server.app.tick

        def tick_and_note() -> dict:
            result = tick()
            when = datetime.now(UTC).isoformat(timespec="milliseconds")
            self.by_colleagues.update(result["connect"]["processed"])
            for what in ("processed", "answered"):
                for request_id in result["connect"][what]:
                    self.life[request_id].append(f"{when} tick: {what} (by the portal / the customer)")
            return result

        self.server.app.tick = tick_and_note
        upstreams = {
            "CONNECT_API_URL": self.server.connect_url,
            "CONNECT_API_KEY": KEY,
            "CHANNEL_API_URL": self.server.channel_url,
            "CHANNEL_ACCOUNT_ID": self.server.channel_account_id,
            "CHANNEL_CREDENTIALS_FILE": str(self.server.channel_credentials_path),
            "CHANNEL_ADMIN_EMAIL": self.server.channel_admin_email,
        }
        env.update(upstreams)
        for name, value in upstreams.items():  # this process syncs first, then the workers do
            setattr(settings, name, value)

    def _prepare(self) -> str:
        """Migrate, mirror what the staff act on, schedules, the users and a token."""
        from django.contrib.auth import get_user_model  # noqa: PLC0415 - after django.setup()
        from django.contrib.auth.models import Group  # noqa: PLC0415 - after django.setup()
        from django.core.management import call_command  # noqa: PLC0415 - after django.setup()

        from channelhub.sync.engine import run_stream  # noqa: PLC0415 - after django.setup()
        from channelhub.sync.registry import all_streams  # noqa: PLC0415 - after django.setup()
        from inventory.demo import add_demo_source  # noqa: PLC0415 - after django.setup()

        call_command("migrate", verbosity=0)
        add_demo_source(self.server.url)  # the CMP feed, as `make run` registers it
        for stream in all_streams():
            run = run_stream(stream)
            if run.status != "succeeded":
                raise SystemExit(f"{stream}: {run.error}")
        call_command("setup_schedules", verbosity=0, stdout=io.StringIO())
        users = get_user_model().objects
        for name, role in {**STAFF, "soak-reader": "readonly"}.items():
            user = users.create_user(name, f"{name}@example.com", PASSWORD, is_staff=True)
            user.groups.add(Group.objects.get(name=role))
        out = io.StringIO()
        call_command("issue_api_token", "soak-reader", "--name", "soak", stdout=out, stderr=io.StringIO())
        return out.getvalue().strip()

    # --- load under chaos -------------------------------------------------------------------
    def _load(self, env: dict) -> tuple[Driver, Chaos]:
        faults = {"rate": self.args.faults, "timeout_seconds": 4, "retry_after": 1}
        requests.post(f"{self.server.url}/_sandbox/faults", json=faults, timeout=10).raise_for_status()
        self.began = datetime.now(UTC).replace(microsecond=0)  # upstream changes since then are the soak's
        chaos = Chaos(self.procs, every=self.args.chaos_every).start()
        staff = dict.fromkeys(STAFF, PASSWORD)
        from bench.soak_targets import Targets  # noqa: PLC0415 - after django.setup()

        self.targets = Targets()
        driver = Driver(chaos, self.webs, self.targets.next, staff, self.token).start()
        print(
            f"soak: {self.args.minutes:g} min, faults {self.args.faults:.0%}, a kill every ~{chaos.every:g} s"
        )
        time.sleep(self.args.minutes * 60)
        driver.stop()
        chaos.stop()
        requests.delete(f"{self.server.url}/_sandbox/faults", timeout=10).raise_for_status()
        self.server._stop.set()  # upstream life stops too: the mirror can catch up for good
        self.server._ticker.join(10)
        return driver, chaos

    # --- drain ------------------------------------------------------------------------------
    def _drain(self, chaos: Chaos, driver: Driver) -> None:
        """Wait for the outbox to empty (nudging the sweep), then a last sync of every stream on the
        workers; a held inventory pass is confirmed by a supervisor."""
        from django_q.tasks import async_task  # noqa: PLC0415 - after django.setup()

        from channelhub.models import ActionStatus, SyncRun, UpstreamAction  # noqa: PLC0415 - after django.setup()
        from channelhub.sync.registry import all_streams  # noqa: PLC0415 - after django.setup()

        began = time.monotonic()
        deadline = began + 300
        while UpstreamAction.objects.filter(status__in=ActionStatus.OPEN_STATES).exists():
            if time.monotonic() > deadline:
                self.check(False, "the outbox drained within 300 s")
                break
            async_task("channelhub.actions.tasks.send_due_actions_task")  # the sweep, without its minute
            time.sleep(3)
        time.sleep(max(0.0, LOCK_SECONDS + 1 - (time.monotonic() - began)))  # killed runs' leases run out
        # A last pass of every stream on the workers, faults off, one after the other in the
        # registry's order: a stream that follows another's rows (a file's records, a request's
        # conversation) then sees them all (found by the soak: records of a file that arrived in
        # the files pass running beside the records pass were missed).
        for stream in all_streams():
            since = datetime.now().astimezone()
            async_task("channelhub.sync.tasks.sync_stream_task", stream)
            while not SyncRun.objects.filter(
                stream=stream, started_at__gte=since, status="succeeded"
            ).exists():
                if time.monotonic() > deadline:
                    self.check(False, f"a last sync of {stream} succeeded")
                    break
                time.sleep(0.2)
        self._confirm_held(driver)
        print(f"drained in {time.monotonic() - began:.0f} s after {len(chaos.kills)} kills")
        for proc in self.workers:
            proc.stop()

    def _confirm_held(self, driver: Driver) -> None:
        """The feed churns fast in the soak: the last pass after minutes of churn may be held (more
        than the source's hold share would vanish at once). A supervisor looks and confirms it
        from the source's page, as the runbook says (docs/inventory.md)."""
        from inventory.models import InventorySource, SourceStatus  # noqa: PLC0415 - after django.setup()

        for source in InventorySource.objects.filter(status=SourceStatus.HELD):
            print(
                f"  {source.name}: the last pass was held ({source.held_count} of {source.held_live} would vanish);"
            )
            call = driver.post_as("soak-supervisor", f"/admin/inventory/inventorysource/{source.pk}/confirm/")
            source.refresh_from_db()
            print(f"    a supervisor confirmed it on the source's page -> {call.status}, now {source.status}")
            self.check(source.status != SourceStatus.HELD, f"the held pass of {source.name} was confirmed")

    # --- verdict ----------------------------------------------------------------------------
    def _verify(self, driver: Driver, chaos: Chaos) -> None:
        from bench.soak_checks import verify  # noqa: PLC0415 - after django.setup()

        verify(self, driver, chaos)


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of sorted `values`."""
    values = sorted(values)
    return values[min(len(values) - 1, round(share * (len(values) - 1)))]


def median(values: list[float]) -> float:
    """statistics.median, 0 for nothing."""
    return statistics.median(values) if values else 0.0


if __name__ == "__main__":
    sys.exit(main())
