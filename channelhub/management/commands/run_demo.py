"""python manage.py run_demo: the whole system on one machine, for `make run`.

Starts, as child processes, the sandbox upstreams with live activity, the django-q2 cluster
and the web server; stops them all on Ctrl-C (or when any of them dies). Its final banner
names the admin login again (`admin_login`). The Connect client
must point at the sandbox (the Makefile sets CONNECT_API_URL / CONNECT_API_KEY).
"""

import io
import os
import signal
import subprocess
import sys
import time
import urllib.request

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from channelhub import registry


class Command(BaseCommand):
    """`manage.py run_demo` (`make run`): the live sandbox, the job cluster and the web server as child
    processes."""

    help = "Run the sandbox (live), the job cluster and the web server together; Ctrl-C stops all."

    def add_arguments(self, parser):
        """The web server's address, the sandbox's port, scale, tick interval and state file."""
        parser.add_argument("--web", default="127.0.0.1:8000", help="address of the web server")
        parser.add_argument("--sandbox-port", type=int, default=8100)
        parser.add_argument("--scale", type=int, default=200, help="sandbox size when first seeded")
        parser.add_argument(
            "--tick-interval", type=float, default=5.0, help="seconds between upstream events"
        )
        parser.add_argument(
            "--sandbox-state", default=None, help="the sandbox's state file (default var/sandbox.sqlite3)"
        )

    def handle(self, *args, web, sandbox_port, scale, tick_interval, sandbox_state, **options):
        """Start the sandbox and wait for it, set up the schedules, start the cluster and the web server, and
        stop them all when one dies or on Ctrl-C."""
        # Ctrl-C, and a SIGTERM from a supervisor, both stop the whole group (a shell that
        # started us in the background may have left SIGINT ignored: take it back).
        signal.signal(signal.SIGINT, _interrupt)
        signal.signal(signal.SIGTERM, _interrupt)
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        env = dict(os.environ)
        procs = []

        def start(label, argv):
            self.stdout.write(f"starting {label}: {' '.join(argv[1:])}")
            procs.append((label, subprocess.Popen(argv, env=env, start_new_session=True)))

        start(
            "sandbox",
            manage
            + ["sandbox", "--port", str(sandbox_port), "--scale", str(scale), "--live"]
            + ["--tick-interval", str(tick_interval)]
            + (["--state", sandbox_state] if sandbox_state else []),
        )
        if not _wait_for(f"http://127.0.0.1:{sandbox_port}/_sandbox/state", seconds=120):
            _stop(procs)
            raise CommandError(f"the sandbox did not come up on port {sandbox_port}; see its output above")
        call_command("setup_schedules", verbosity=0)
        for setup in registry.demo_setups():  # the apps' demo rows (inventory: its sandbox source)
            setup(f"http://127.0.0.1:{sandbox_port}")
        start("jobs", manage + ["qcluster"])
        start("web", manage + ["runserver", web, "--noreload"])
        login = admin_login()
        self.stdout.write(
            self.style.SUCCESS(
                f"\nchannelhub is up: http://{web}/admin/  (sandbox: http://127.0.0.1:{sandbox_port}/public/v1)\n"
                f"{login}\n"
                "The mirror fills within a minute and follows the sandbox. Ctrl-C stops everything.\n"
            )
        )
        try:
            while True:
                for label, proc in procs:
                    if proc.poll() is not None:
                        raise CommandError(f"{label} exited with status {proc.returncode}; stopping the rest")
                time.sleep(0.5)
        except KeyboardInterrupt:
            self.stdout.write("\nstopping...")
        finally:
            _stop(procs)


def admin_login() -> str:
    """The admin login, for the final banner (the install output above it scrolls away).

    `ensure_admin` creates one when there is none (then its password is known and printed);
    a login made earlier (`make run` runs `ensure_admin` first) is named with how to reset it,
    since only its hash is stored.
    """
    out = io.StringIO()
    call_command("ensure_admin", stdout=out)
    created = next(
        (line for line in out.getvalue().splitlines() if line.startswith("Admin login created")), ""
    )
    if created:
        return "Admin login (created just now):" + created.split(":", 1)[1]
    User = get_user_model()
    names = list(
        User.objects.filter(is_superuser=True, is_active=True)
        .order_by("pk")
        .values_list("username", flat=True)[:3]
    )
    if not names:
        return "No active admin login: create one with `python manage.py createsuperuser`."
    first = names[0]
    return (
        f"Admin login: username {', '.join(repr(n) for n in names)}, with the password printed when it was "
        f"created ('Admin login created' above); forgotten? `python manage.py changepassword {first}`"
    )


def _wait_for(url: str, *, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own loopback URL
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.5)
    return False


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _stop(procs) -> None:
    """SIGTERM each child's process group (the cluster's workers too), then SIGKILL stragglers."""
    for _, proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for _, proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
