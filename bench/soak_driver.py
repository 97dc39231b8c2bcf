"""The soak's load (bench/soak.py): staff acting through the admin's forms, other teams reading
the API, each request to one of the web processes that is up, every request recorded.

Staff log in at /admin/login/ (a requests.Session, Django's CSRF cookie and field), open an
object's page and POST one of its action forms (bench/soak_targets.py: Connect requests,
Channel entitlements, usage files). Each target is acted on once, so "applied exactly once" can
be read from the sandbox. API readers GET lists with RQL filters with a Bearer token.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from bench.soak_stack import Chaos, Proc

API_LISTS = (
    "/api/v1/connect/requests?eq(status,pending)&limit=50",
    "/api/v1/connect/requests?in(status,(approved,failed,inquiring))&ordering(-updated)&limit=20",
    "/api/v1/connect/products/?limit=20",
    "/api/v1/connect/assets?eq(status,active)&limit=20",
    "/api/v1/channelhub/actions?limit=50",
    "/api/v1/channel/entitlements?eq(provisioningState,ACTIVE)&limit=20",
    "/api/v1/connect/usage/files?eq(status,pending)&limit=20",
    "/api/v1/inventory/resources?eq(type,server)&limit=20",
)


@dataclass
class Call:
    """One HTTP request of the driver: where it went, when, and what came back."""

    who: str
    method: str
    path: str
    port: int
    started: float
    ended: float = 0.0
    status: int | None = None
    error: str = ""


@dataclass
class Target:
    """One request to act on: the action, the form's data, and what the POST answered."""

    request_id: str  # the object's upstream id (a request, an entitlement, a usage file)
    verb: str
    data: dict
    page: str = ""  # the object's admin URL, /admin/<app>/<model>/<quoted pk>/
    answer: str = ""


@dataclass
class Driver:
    """The staff and API load, in threads, until `stop()`."""

    chaos: Chaos
    webs: list[Proc]
    next_target: Callable[[], Target | None]  # the next request to act on (None: none now)
    staff: dict[str, str]  # username -> password
    token: str
    calls: list[Call] = field(default_factory=list)
    pause: float = 0.5
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> Driver:
        """One thread per staff user, one API reader."""
        for name in self.staff:
            self._threads.append(threading.Thread(target=self._staff, args=(name,), daemon=True))
        self._threads.append(threading.Thread(target=self._api, daemon=True))
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Stop after the requests in hand."""
        self._stop.set()
        for thread in self._threads:
            thread.join(90)

    # --- plumbing ---------------------------------------------------------------------------
    def _port(self, rng: random.Random) -> int:
        """A web process that is up (the load balancer's choice); waits while none is."""
        while True:
            up = [w.port for w in self.webs if w.up]
            if up:
                return rng.choice(up)
            time.sleep(0.05)

    def _call(self, who: str, session: requests.Session, method: str, path: str, rng, **kw) -> Call:
        port = self._port(rng)
        call = Call(who, method, path, port, time.monotonic())
        try:
            response = session.request(
                method, f"http://127.0.0.1:{port}{path}", timeout=60, allow_redirects=False, **kw
            )
            call.status = response.status_code
            call.response = response
        except requests.RequestException as exc:
            call.error = type(exc).__name__
            call.response = None
        call.ended = time.monotonic()
        with self._lock:
            self.calls.append(call)
        return call

    # --- staff ------------------------------------------------------------------------------
    def _login(self, name: str, rng) -> requests.Session:
        """Log in through the admin's login form (retried if a web process died under it)."""
        for _attempt in range(100):
            session = requests.Session()
            page = self._call(name, session, "GET", "/admin/login/", rng)
            if page.status != 200:
                continue
            data = {
                "username": name,
                "password": self.staff[name],
                "csrfmiddlewaretoken": session.cookies.get("csrftoken", ""),
                "next": "/admin/",
            }
            done = self._call(name, session, "POST", "/admin/login/?next=/admin/", rng, data=data)
            if done.status == 302 and "sessionid" in session.cookies:
                return session
            if done.status not in (None, 502, 503):
                raise SystemExit(f"{name} cannot log in: {done.status}")
        raise SystemExit(f"{name} cannot log in: no web process answered 100 times")

    def post_as(self, name: str, path: str) -> Call:
        """One form POST with no fields (a button) by staff user `name`, logged in afresh."""
        rng = random.Random(path)
        session = self._login(name, rng)
        data = {"csrfmiddlewaretoken": session.cookies.get("csrftoken", "")}
        return self._call(name, session, "POST", path, rng, data=data)

    def _staff(self, name: str) -> None:
        rng = random.Random(name)
        session = self._login(name, rng)
        while not self._stop.is_set():
            target = self.next_target()
            if target is None:  # every pending request has had its action: wait for new ones
                self._stop.wait(1)
                continue
            self._call(name, session, "GET", f"{target.page}change/", rng)  # what staff look at first
            data = {**target.data, "csrfmiddlewaretoken": session.cookies.get("csrftoken", "")}
            act = f"{target.page}act/{target.verb}/"
            call = self._call(name, session, "POST", act, rng, data=data)
            target.answer = str(call.status or call.error)
            self._stop.wait(self.pause)

    # --- other teams ------------------------------------------------------------------------
    def _api(self) -> None:
        rng = random.Random("api")
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.token}"
        while not self._stop.is_set():
            self._call("api", session, "GET", rng.choice(API_LISTS), rng)
            self._stop.wait(self.pause / 2)

    # --- the verdict ------------------------------------------------------------------------
    def unexcused(self) -> list[Call]:
        """Calls that failed (a 5xx or no answer) though no kill of their process overlapped them."""
        bad = [c for c in self.calls if c.error or (c.status or 0) >= 500]
        return [c for c in bad if not self.chaos.excuses(c.port, c.started, c.ended)]
