"""python manage.py sandbox: serve the fake upstreams (Connect at /public/v1, Cloud Channel at /v1
with its OAuth /token) on one port.

The state lives in its own SQLite file (default var/sandbox.sqlite3), seeded on first start (or
with --reset) and kept across restarts. Ctrl-C stops cleanly.
"""

import importlib
import logging
import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from channelhub import registry
from channelhub.sandbox.modules import default_modules
from channelhub.sandbox.server import SandboxServer


def server_modules(paths: tuple[str, ...] | None = None) -> list:
    """The modules a sandbox serves: the core's defaults, then those the apps registered
    (`registry.register_sandbox_module`), each a fresh instance. A path that does not load
    is a CommandError naming it."""
    modules = default_modules()
    for path in registry.sandbox_modules() if paths is None else paths:
        module_name, _, class_name = path.partition(":")
        try:
            modules.append(getattr(importlib.import_module(module_name), class_name)())
        except (ImportError, AttributeError) as exc:
            raise CommandError(f"sandbox module {path!r} does not load: {exc}") from exc
    return modules


class Command(BaseCommand):
    """`manage.py sandbox`: serve the sandbox modules (the core's and the apps') on one port
    until Ctrl-C or SIGTERM."""

    help = "Run the sandbox upstreams (fake CloudBlue Connect and Cloud Channel) with their own SQLite state."

    def add_arguments(self, parser):
        """Where to listen, which world to seed (seed, scale, reset, state file), live ticks, faults, logging."""
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8100)
        parser.add_argument("--seed", type=int, default=1, help="seed of the generated world")
        parser.add_argument("--scale", type=int, default=50, help="number of fulfillment requests to seed")
        parser.add_argument(
            "--live", action="store_true", help="simulate upstream life (a tick every interval)"
        )
        parser.add_argument(
            "--tick-interval", type=float, default=5.0, help="seconds between ticks with --live"
        )
        parser.add_argument(
            "--fault-rate", type=float, default=0.0, help="share of requests that get a random fault"
        )
        parser.add_argument("--reset", action="store_true", help="re-seed the state even if it exists")
        parser.add_argument("--state", default=str(settings.BASE_DIR / "var" / "sandbox.sqlite3"))
        parser.add_argument("--log-requests", action="store_true", help="print one line per request")

    def handle(self, *args, **options):
        """Start the server, print its banner (SandboxServer.banner) and serve until interrupted."""
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        server = SandboxServer(
            state_path=options["state"],
            seed=options["seed"],
            scale=options["scale"],
            host=options["host"],
            port=options["port"],
            live=options["live"],
            tick_interval=options["tick_interval"],
            reset=options["reset"],
            fault_rate=options["fault_rate"],
            log_requests=options["log_requests"],
            modules=server_modules(),
        )
        self.stdout.write(
            f"sandbox state: {options['state']} (seeding if new, this may take a while at scale)"
        )
        signal.signal(signal.SIGTERM, _interrupt)
        signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with SIGINT ignored
        server.start()
        self.stdout.write(
            self.style.SUCCESS(
                f"{server.banner()}\n"
                f"  seed={options['seed']} scale={options['scale']} live={options['live']}"
                f" fault_rate={options['fault_rate']}\nCtrl-C stops."
            )
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("\nstopping sandbox...")
        finally:
            server.stop()


def _interrupt(*_):
    raise KeyboardInterrupt
