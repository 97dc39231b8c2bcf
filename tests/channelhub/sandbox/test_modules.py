"""The module protocol: the core serves whatever list of SandboxModules it is given, so a third
upstream plugs in without touching app.py or server.py; the sandbox stays free of Django."""

import signal
import subprocess
import sys

import pytest
import requests
from django.core.management.base import CommandError
from werkzeug.routing import Rule

from channelhub import registry
from channelhub.management.commands.sandbox import server_modules
from channelhub.sandbox.common import ApiError, json_response
from channelhub.sandbox.module import BaseModule, SandboxModule
from channelhub.sandbox.modules import default_modules
from channelhub.sandbox.server import SandboxServer
from channelhub.sandbox.store import Collection
from tests.paths import ROOT

FEED = Collection(name="feed_items", columns={"created": "created", "status": "status"})


class FeedModule(BaseModule):
    """A made-up third upstream: one collection, one list endpoint, a knob, a server attribute."""

    name = "feed"
    collections = (FEED,)

    def __init__(self):
        self.knob = "default"
        self.resets = 0

    def rules(self):
        return [Rule("/feed/v1/items", endpoint=self.items, methods=["GET"])]

    def items(self, ctx, request):
        with ctx.session() as session:
            return json_response(session.counts("feed_items"))

    def seed(self, session, seed, scale):
        session.put_many(
            "feed_items",
            [({"id": f"FI-{seed}-{i}", "created": "2024-01-01", "status": "new"}, {}) for i in range(scale)],
        )
        return {"feed_items": scale}

    def tick(self, session, rng):
        return {"touched": 0}

    def owns(self, path):
        return path.startswith("/feed/")

    def error_response(self, status, message, headers=None):
        return json_response({"feed_error": message}, status, headers)

    def control(self, method, body):
        if method == "POST":
            if "knob" not in body:
                raise ApiError(400, "VAL_001", "knob is required.")
            self.knob = body["knob"]
        return {"knob": self.knob}

    def on_reset(self):
        self.resets += 1
        self.knob = "default"

    def server_attributes(self, server):
        return {"feed_url": server.url + "/feed/v1"}


def test_default_modules_follow_the_protocol():
    modules = default_modules()
    assert [m.name for m in modules] == ["connect", "channel"]
    assert all(isinstance(m, SandboxModule) for m in modules)
    assert isinstance(FeedModule(), SandboxModule)


def test_a_third_module_plugs_in_through_the_list(tmp_path):
    feed = FeedModule()
    with SandboxServer(
        state_path=tmp_path / "s.sqlite3", seed=2, scale=5, modules=[*default_modules(), feed]
    ) as server:
        assert server.feed_url == server.url + "/feed/v1"
        assert requests.get(f"{server.feed_url}/items", timeout=10).json() == {
            "total": 5,
            "by_status": {"new": 5},
        }
        state = requests.get(f"{server.url}/_sandbox/state", timeout=10).json()
        assert state["collections"]["feed_items"]["total"] == 5
        assert state["collections"]["requests"]["total"] == 5  # Connect is still there
        assert requests.get(f"{server.connect_url}/requests", timeout=10).status_code == 401
        # its own error format on its paths
        missing = requests.get(f"{server.feed_url}/nothing", timeout=10)
        assert missing.status_code == 404
        assert missing.json() == {"feed_error": "Path /feed/v1/nothing not found."}
        # its knobs at /_sandbox/<name>, back to default on reset
        control = f"{server.url}/_sandbox/feed"
        assert requests.post(control, json={"knob": "turned"}, timeout=10).json() == {"knob": "turned"}
        assert requests.post(control, json={}, timeout=10).status_code == 400
        resets = feed.resets
        requests.post(f"{server.url}/_sandbox/reset", json={}, timeout=60).raise_for_status()
        assert feed.resets == resets + 1
        assert requests.get(control, timeout=10).json() == {"knob": "default"}
        assert requests.post(f"{server.url}/_sandbox/tick", timeout=10).json()["feed"] == {"touched": 0}


def test_the_banner_shows_a_new_module_without_being_edited(tmp_path):
    with SandboxServer(
        state_path=tmp_path / "s.sqlite3", seed=2, scale=5, modules=[*default_modules(), FeedModule()]
    ) as server:
        url, banner = server.url, server.banner().splitlines()
    # its title (BaseModule: the name, capitalised) and its `feed_url`; its knobs among the controls
    assert f"  Feed:     {url}/feed/v1" in banner
    assert (
        banner[-1] == f"  control:  {url}/_sandbox/state | /reset | /faults | /tick | /log | /channel | /feed"
    )


def test_the_default_banner_names_connect_and_channel_from_their_modules(sandbox):
    """The served modules: the core's two, then the apps' registered ones (usage, the CMP feed); the labels are
    padded to the longest title ("Connect usage:")."""
    url = sandbox.url
    cmp_state = f"{sandbox.state_path}.cmp.sqlite3"
    assert sandbox.banner().splitlines() == [
        f"sandbox up: {url}",
        f"  Connect:        {url}/public/v1  (header  Authorization: ApiKey SU-000-000-000:sandbox ;"
        " any non-empty key works)",
        f"  Channel:        {url}/v1  (account accounts/C01sandbx, impersonate admin@reseller.example)",
        f"                  service-account key file: {sandbox.channel_credentials_path}  (token_uri {url}/token)",
        f"  Connect usage:  {url}/public/v1/usage/files, /listings, /subscriptions/assets (Connect's key)",
        f"  CMP feed:       {url}/cmp/api/accounts (Authorization: Bearer <token>: the `token` knob, docs/sandbox.md)",
        f"                  state: {cmp_state}",
        f"  control:        {url}/_sandbox/state | /reset | /faults | /tick | /log | /channel | /usage | /cmp",
    ]


def test_the_sandbox_command_prints_the_banner(tmp_path):
    state = tmp_path / "cmd.sqlite3"
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "sandbox", "--port", "0", "--scale", "5"]
        + ["--state", str(state)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Ctrl-C stops."):
                break
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    output = "\n".join(lines)
    assert "Ctrl-C stops." in output, output + rest
    up = next(line for line in lines if line.startswith("sandbox up: "))
    url = up.removeprefix("sandbox up: ")
    start = lines.index(up)
    assert lines[start : start + 9] == [
        f"sandbox up: {url}",
        f"  Connect:        {url}/public/v1  (header  Authorization: ApiKey SU-000-000-000:sandbox ;"
        " any non-empty key works)",
        f"  Channel:        {url}/v1  (account accounts/C01sandbx, impersonate admin@reseller.example)",
        f"                  service-account key file: {state}.channel-sa.json  (token_uri {url}/token)",
        f"  Connect usage:  {url}/public/v1/usage/files, /listings, /subscriptions/assets (Connect's key)",
        f"  CMP feed:       {url}/cmp/api/accounts (Authorization: Bearer <token>: the `token` knob, docs/sandbox.md)",
        f"                  state: {state}.cmp.sqlite3",
        f"  control:        {url}/_sandbox/state | /reset | /faults | /tick | /log | /channel | /usage | /cmp",
        "  seed=1 scale=5 live=False fault_rate=0.0",
    ]


def test_a_module_without_knobs_has_no_control_endpoint(sandbox):
    response = requests.get(f"{sandbox.url}/_sandbox/connect", timeout=10)
    assert response.status_code == 404
    assert response.json() == {
        "error_code": "NTF_001",
        "errors": ["No control endpoint GET /_sandbox/connect."],
    }


def test_unknown_server_attributes_still_raise(sandbox):
    try:
        sandbox.nflex_url  # noqa: B018 - no module adds it
    except AttributeError as exc:
        assert "nflex_url" in str(exc)
    else:
        raise AssertionError("nflex_url should not exist")


def test_the_sandbox_imports_no_django():
    code = (
        "import sys; import channelhub.sandbox.server, channelhub.sandbox.modules; "
        "bad = sorted(m for m in sys.modules if m.startswith('django') or "
        "(m.startswith('channelhub') and m not in ('channelhub',) and not m.startswith('channelhub.sandbox'))); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_sandbox_command_serves_the_modules_apps_register():
    """An app adds a module by path (registry.register_sandbox_module); the command loads it
    after the core's defaults, a fresh instance per server."""
    modules = server_modules(("tests.channelhub.sandbox.test_modules:FeedModule",))
    assert [type(m).__name__ for m in modules] == ["ConnectModule", "ChannelModule", "FeedModule"]
    assert server_modules(())[0] is not modules[0]


def test_a_sandbox_module_that_does_not_load_is_a_clear_error():

    with pytest.raises(CommandError, match="'tests.nowhere:Feed' does not load"):
        server_modules(("tests.nowhere:Feed",))
    with pytest.raises(CommandError, match="NoSuchModule"):
        server_modules(("tests.channelhub.sandbox.test_modules:NoSuchModule",))


def test_a_sandbox_module_is_registered_by_its_full_path():

    with pytest.raises(ValueError, match="not 'package.module:Class'"):
        registry.register_sandbox_module("inventory.sandbox")
