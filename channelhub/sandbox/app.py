"""The sandbox core: one WSGI application serving every fake upstream module it is given
(Connect and Cloud Channel by default) on one port, plus the control endpoints:

    POST   /_sandbox/reset   {"seed"?, "scale"?}   back to the seeded state (also clears the log)
    GET    /_sandbox/faults  / POST (replace) / DELETE (clear)        see faults.py
    POST   /_sandbox/tick                           one step of upstream life; returns what happened
    GET    /_sandbox/state                          counts by collection and status
    GET    /_sandbox/log?limit=N  / DELETE          recent upstream requests (not /_sandbox ones)

    GET/POST/DELETE /_sandbox/<module>                  the module's own knobs (if it has any)

The app knows no upstream by name: it is given a list of `SandboxModule`s (module.py, the
protocol and what the core does with each hook; modules.py, the default list).
"""

from __future__ import annotations

import collections
import logging
import os
import random
import socket
import struct
import threading
import time
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map
from werkzeug.wrappers import Request, Response

from .common import ApiError, json_body, json_response
from .faults import Faults
from .module import SandboxModule
from .store import Store

log = logging.getLogger("channelhub.sandbox")

# The core's own control endpoints under /_sandbox/ (served by SandboxApp._control), in the
# order the start-up banner lists them; the modules' knobs follow them.
CONTROL_ENDPOINTS = ("state", "reset", "faults", "tick", "log")


class ConnectionAbort(Exception):  # noqa: N818 - not an error: the `reset` fault
    """Raised after the socket was reset on purpose; the server swallows it."""


class Context:
    """What a handler gets besides the request."""

    def __init__(self, app: SandboxApp):
        self.app = app
        self.store = app.store
        self.faults = app.faults

    def session(self):
        """A new store session (its own SQLite connection) for this request."""
        return self.store.session()


class SandboxApp:
    """The WSGI application: the modules' routes and the control endpoints over one store, with fault
    injection and a request log."""

    def __init__(
        self,
        *,
        state_path,
        modules: Sequence[SandboxModule],
        seed: int = 1,
        scale: int = 50,
        fault_rate: float = 0.0,
    ):
        self.modules = list(modules)
        collections_ = [c for m in self.modules for c in m.collections]
        self.store = Store(state_path, collections_)
        self.seed = seed
        self.scale = scale
        self.faults = Faults(rate=fault_rate)
        self.ctx = Context(self)
        self.url_map = Map([rule for m in self.modules for rule in m.rules()], strict_slashes=False)
        self._log = collections.deque(maxlen=5000)
        self._log_lock = threading.Lock()
        self._seq = 0
        self._reset_lock = threading.Lock()
        self._tick_lock = threading.Lock()

    # ------------------------------------------------------------------ state files
    def pristine_path(self, seed: int, scale: int) -> Path:
        """Where the seeded state for (seed, scale) is kept beside the live state file (named by the
        tables' layout too, so a copy seeded by an older version is not installed)."""
        return Path(f"{self.store.path}.pristine-{seed}-{scale}-{self.store.layout()}")

    def ensure_pristine(self, seed: int, scale: int) -> Path:
        """The seeded state for (seed, scale), built once by every module's `seed` in list order (under a
        temporary name, renamed when complete) and reused afterwards."""
        target = self.pristine_path(seed, scale)
        if target.exists():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        building = Path(f"{target}.building-{os.getpid()}-{threading.get_ident()}")
        started = time.monotonic()
        with self.store.building(building) as session:
            counts = {}
            for module in self.modules:
                counts[module.name] = module.seed(session, seed, scale)
            session.set_meta("sandbox", {"seed": seed, "scale": scale, "ticks": 0, "counts": counts})
            session.set_meta("layout", self.store.layout())
        os.replace(building, target)
        log.info("seeded seed=%s scale=%s in %.1fs", seed, scale, time.monotonic() - started)
        return target

    def reset(self, seed: int | None = None, scale: int | None = None) -> dict:
        """Install a copy of the pristine state for (seed, scale), clear the log and call each module's
        `on_reset`; returns what was installed and how long it took."""
        seed = self.seed if seed is None else int(seed)
        scale = self.scale if scale is None else int(scale)
        if scale < 1:
            raise ApiError(400, "VAL_001", "scale must be >= 1.")
        started = time.monotonic()
        with self._reset_lock:
            pristine = self.ensure_pristine(seed, scale)
            self.store.install(pristine)
        self.clear_log()
        for module in self.modules:
            module.on_reset()
        return {"seed": seed, "scale": scale, "seconds": round(time.monotonic() - started, 3)}

    def open(self, *, reset: bool = False) -> None:
        """Seed the state file if it does not exist (or on reset)."""
        if reset or not self.store.exists():
            self.reset()

    # ------------------------------------------------------------------ log
    def record(self, entry: dict) -> None:
        """Append one upstream request to the log, numbered in arrival order."""
        with self._log_lock:
            self._seq += 1
            entry["seq"] = self._seq
            self._log.append(entry)

    def clear_log(self) -> None:
        """Forget every logged request."""
        with self._log_lock:
            self._log.clear()

    def log_entries(self, limit: int) -> list[dict]:
        """The last `limit` logged requests, oldest first (all of them if `limit` is 0)."""
        with self._log_lock:
            entries = list(self._log)
        return entries[-limit:] if limit else entries

    # ------------------------------------------------------------------ life
    def tick(self) -> dict:
        """One step of upstream life: each module's `tick`, in one write transaction, drawing from an RNG
        seeded by the seed and the tick number (so a replay is identical)."""
        with self._tick_lock, self.store.session() as session:
            with session.write():
                meta = session.meta("sandbox", {})
                ticks = meta.get("ticks", 0) + 1
                rng = random.Random(f"tick-{meta.get('seed')}-{ticks}")
                result = {"tick": ticks}
                for module in self.modules:
                    result[module.name] = module.tick(session, rng)
                meta["ticks"] = ticks
                session.set_meta("sandbox", meta)
        return result

    def state(self) -> dict:
        """The seed, scale, tick count and each collection's counts by status, read in one snapshot."""
        with self.store.session() as session, session.snapshot():
            meta = session.meta("sandbox", {})
            out = {"seed": meta.get("seed"), "scale": meta.get("scale"), "ticks": meta.get("ticks", 0)}
            out["collections"] = {name: session.counts(name) for name in self.store.collections}
        return out

    # ------------------------------------------------------------------ WSGI
    def __call__(self, environ, start_response):
        """The WSGI entry point: /_sandbox/... to the control endpoints, everything else to the modules'
        routes (with faults and the request log)."""
        path = environ.get("PATH_INFO", "") or "/"
        if path.startswith("/_sandbox"):
            return self._control(Request(environ))(environ, start_response)
        return self._upstream(environ, start_response, path)

    def _upstream(self, environ, start_response, path):
        started = time.monotonic()
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "method": environ.get("REQUEST_METHOD"),
            "path": path,
            "query": environ.get("QUERY_STRING", ""),
            "status": None,
            "fault": None,
        }
        fault = self.faults.decide(path)
        entry["fault"] = fault
        config = self.faults.config
        if fault in ("500", "502", "503", "429"):
            headers = {"Retry-After": str(int(config.retry_after))} if fault == "429" else {}
            text = {
                "500": "Internal server error.",
                "502": "Bad gateway.",
                "503": "Service unavailable.",
                "429": "Too many requests.",
            }[fault]
            code = "SYS_001" if fault != "429" else "THR_001"
            response = self.error_response(path, int(fault), code, text, headers)
            return self._finish(entry, started, response, environ, start_response)
        if fault == "reset":
            entry["status"] = None
            entry["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
            self.record(entry)
            _reset_socket(environ)
            environ["sandbox.aborted"] = True
            raise ConnectionAbort("connection reset by the sandbox (fault injection)")
        response = self.dispatch(Request(environ), path)
        if fault == "timeout":
            time.sleep(config.timeout_seconds)
        if fault == "truncated":
            body = response.get_data()
            cut = body[: max(0, len(body) // 2)]
            entry["status"] = response.status_code
            entry["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
            self.record(entry)
            headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(body) + 1024)))
            start_response(response.status, headers)
            return [cut]
        return self._finish(entry, started, response, environ, start_response)

    def _finish(self, entry, started, response, environ, start_response):
        entry["status"] = response.status_code
        entry["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
        self.record(entry)
        return response(environ, start_response)

    def owner(self, path: str):
        """The module whose error format applies to `path` (None: the default, Connect's)."""
        for module in self.modules:
            if module.owns(path):
                return module
        return None

    def error_response(self, path: str, status: int, code: str, message: str, headers=None) -> Response:
        """An error in the format of the module that owns `path`, else Connect's body."""
        module = self.owner(path)
        if module is not None:
            return module.error_response(status, message, headers)
        return ApiError(status, code, message, headers).response()

    def dispatch(self, request: Request, path: str) -> Response:
        """Route the request to its module's handler; unknown paths, wrong methods and crashes answer in the
        path owner's error format."""
        if len(path) > 1 and path.endswith("/"):
            path = path.rstrip("/")
        try:
            adapter = self.url_map.bind("sandbox")
            endpoint, values = adapter.match(path, method=request.method)
            return endpoint(self.ctx, request, **values)
        except ApiError as exc:
            return exc.response()
        except MethodNotAllowed:
            return self.error_response(
                path, 405, "SYS_002", f"Method {request.method} not allowed on {path}."
            )
        except NotFound:
            return self.error_response(path, 404, "NTF_001", f"Path {path} not found.")
        except HTTPException as exc:
            return self.error_response(path, exc.code or 500, "SYS_001", exc.description or "error")
        except Exception:  # noqa: BLE001 - a bug in the sandbox answers 500, like a real upstream
            log.exception("sandbox error on %s %s", request.method, path)
            return self.error_response(path, 500, "SYS_001", traceback.format_exc().splitlines()[-1])

    # ------------------------------------------------------------------ control endpoints
    def _control(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        method = request.method
        try:
            body = json_body(request)
            if path == "/_sandbox/reset" and method == "POST":
                return json_response(self.reset(body.get("seed"), body.get("scale")))
            if path == "/_sandbox/faults":
                if method == "GET":
                    return json_response(self.faults.describe())
                if method in ("POST", "PUT"):
                    return json_response(self.faults.configure(body))
                if method == "DELETE":
                    self.faults.clear()
                    return json_response(self.faults.describe())
            if path == "/_sandbox/tick" and method == "POST":
                return json_response(self.tick())
            if path == "/_sandbox/state" and method == "GET":
                return json_response(self.state())
            if path == "/_sandbox/log":
                if method == "GET":
                    limit = int(request.args.get("limit") or 0)
                    return json_response(self.log_entries(limit))
                if method == "DELETE":
                    self.clear_log()
                    return Response(status=204)
            module = self._control_module(path)
            if module is not None and method in ("GET", "POST", "PUT", "DELETE"):
                return json_response(module.control(method, body))
            raise ApiError(404, "NTF_001", f"No control endpoint {method} {path}.")
        except ApiError as exc:
            return exc.response()
        except ValueError as exc:
            return ApiError(400, "VAL_001", str(exc)).response()

    def control_modules(self) -> list[SandboxModule]:
        """The modules that have knobs at /_sandbox/<name>: those whose `control("GET", {})`
        answers rather than refusing (a GET only reads)."""
        out = []
        for module in self.modules:
            try:
                module.control("GET", {})
            except ApiError:
                continue
            out.append(module)
        return out

    def _control_module(self, path: str):
        for module in self.modules:
            if path == f"/_sandbox/{module.name}":
                return module
        return None


def _reset_socket(environ) -> None:
    sock = environ.get("werkzeug.socket")
    if sock is None:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        fd = sock.detach()
        os.close(fd)
    except OSError:
        pass
