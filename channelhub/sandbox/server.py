"""SandboxServer: the sandbox app on a threaded werkzeug server, in a background thread.

    with SandboxServer(state_path="var/sandbox.sqlite3", seed=1, scale=50).start() as sandbox:
        sandbox.connect_url   # http://127.0.0.1:PORT/public/v1
        sandbox.channel_url   # http://127.0.0.1:PORT (Cloud Channel's api_endpoint, /v1/...)
        sandbox.channel_credentials_path   # service-account key file whose token_uri is /token

`live=True` also runs a tick of upstream life every `tick_interval` seconds. `modules` (default
`modules.default_modules()`) are the upstreams served; the server knows none of them by name:
`connect_url`, `channel_url`, ... are the modules' `server_attributes` (module.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from .app import CONTROL_ENDPOINTS, SandboxApp
from .module import SandboxModule
from .modules import default_modules

log = logging.getLogger("channelhub.sandbox")


class _Handler(WSGIRequestHandler):
    """werkzeug's request handler, quiet unless asked, that closes the connection after a `reset` fault."""

    log_requests = False

    def run_wsgi(self):
        """Serve one request; after a `reset` fault the socket is gone, so do not keep it alive."""
        super().run_wsgi()
        if getattr(self, "environ", {}).get("sandbox.aborted"):
            self.close_connection = True

    def handle(self):
        """Serve the connection; the OSError of a socket reset on purpose is expected, not an error."""
        try:
            super().handle()
        except OSError:
            if not getattr(self, "environ", {}).get("sandbox.aborted"):
                raise

    def log_request(self, code="-", size="-"):
        """One access-log line per request, only with `--log-requests`."""
        if self.log_requests:
            super().log_request(code, size)

    def log_error(self, *args):
        """Silent: clients that time out or hang up on purpose are normal here."""
        pass


class _Server(ThreadedWSGIServer):
    """werkzeug's threaded server whose request threads never block exit, and that does not log deliberate
    resets."""

    daemon_threads = True

    def log(self, type, message, *args):  # noqa: A002 - werkzeug's signature
        """werkzeug's log, minus the noise of the `reset` fault's ConnectionAbort."""
        if "ConnectionAbort" in str(message):
            return
        super().log(type, message, *args)

    def handle_error(self, request, client_address):
        """Connection errors (clients that gave up) go to the debug log, not stderr."""
        log.debug("connection error from %s", client_address, exc_info=True)


class SandboxServer:
    """The sandbox app served on a port in a background thread, optionally ticking upstream life; a context
    manager."""

    def __init__(
        self,
        *,
        state_path,
        seed=1,
        scale=50,
        host="127.0.0.1",
        port=0,
        live=False,
        tick_interval=5.0,
        reset=False,
        fault_rate=0.0,
        log_requests=False,
        modules: Sequence[SandboxModule] | None = None,
    ):
        self.state_path = Path(state_path)
        self.host = host
        self.port = port
        self.live = live
        self.tick_interval = tick_interval
        self.reset_on_start = reset
        self.log_requests = log_requests
        self.app = SandboxApp(
            state_path=self.state_path,
            modules=modules if modules is not None else default_modules(),
            seed=seed,
            scale=scale,
            fault_rate=fault_rate,
        )
        self._server = None
        self._thread = None
        self._ticker = None
        self._stop = threading.Event()

    @property
    def seed(self):
        """The seed of the world served (and of the next reset without one)."""
        return self.app.seed

    @property
    def scale(self):
        """The scale of the world served (and of the next reset without one)."""
        return self.app.scale

    def start(self):
        """Seed the state if needed, bind the port (0: any free one), let the modules write their files and
        serve in a daemon thread; returns self."""
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        self.app.open(reset=self.reset_on_start)
        handler = type("Handler", (_Handler,), {"log_requests": self.log_requests})
        self._server = _Server(self.host, self.port, self.app, handler=handler)
        self.port = self._server.server_port
        for module in self.app.modules:
            module.on_serve(self)
        self._stop.clear()
        self._thread = threading.Thread(target=self._server.serve_forever, name="sandbox-server", daemon=True)
        self._thread.start()
        if self.live:
            self._ticker = threading.Thread(target=self._tick_loop, name="sandbox-ticker", daemon=True)
            self._ticker.start()
        return self

    def _tick_loop(self):
        while not self._stop.wait(self.tick_interval):
            try:
                result = self.app.tick()
                log.info("tick %s", result.get("tick"))
            except Exception:  # noqa: BLE001 - life goes on
                log.exception("sandbox tick failed")

    @property
    def url(self):
        """http://host:port of the server (a wildcard host is reached through 127.0.0.1)."""
        host = self.host if self.host not in ("0.0.0.0", "::", "") else "127.0.0.1"  # noqa: S104
        return f"http://{host}:{self.port}"

    def banner(self) -> str:
        """What `manage.py sandbox` prints once it listens: its URL, each module's banner lines
        under its title, then the control endpoints (the modules' knobs included)."""
        control = [f"{self.url}/_sandbox/{CONTROL_ENDPOINTS[0]}", *(f"/{e}" for e in CONTROL_ENDPOINTS[1:])]
        control += [f"/{module.name}" for module in self.app.control_modules()]
        rows = [(f"{module.title}:", module.banner(self)) for module in self.app.modules]
        rows.append(("control:", [" | ".join(control)]))
        width = max(len(label) for label, _ in rows)
        lines = [f"sandbox up: {self.url}"]
        for label, texts in rows:
            for i, text in enumerate(texts):
                lines.append(f"  {(label if i == 0 else '').ljust(width)}  {text}")
        return "\n".join(lines)

    def __getattr__(self, name: str) -> Any:
        """The modules' `server_attributes` (`connect_url`, `channel_url`, ...); only called for
        names the server itself does not have."""
        if name.startswith("_") or "app" not in self.__dict__:
            raise AttributeError(name)
        for module in self.app.modules:
            attributes = module.server_attributes(self)
            if name in attributes:
                return attributes[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __dir__(self):
        extra = [name for module in self.app.modules for name in module.server_attributes(self)]
        return sorted({*super().__dir__(), *extra})

    def serve_forever(self):
        """Serve in the calling thread (the management command); Ctrl-C stops."""
        if self._server is None:
            self.start()
        try:
            while self._thread.is_alive():
                self._thread.join(0.5)
        finally:
            self.stop()

    def stop(self):
        """Stop serving and ticking and wait for both threads; idempotent."""
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        if self._ticker is not None:
            self._ticker.join(5)
            self._ticker = None

    def __enter__(self):
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
