"""Shared fixtures.

- `sandbox_server` (session): a SandboxServer (the fake upstreams) at scale 40, seed 7, state in a
  temporary directory, serving on a free loopback port.
- `sandbox` (function): that server reset to its seeded state (POST /_sandbox/reset, which also
  clears the request log) with faults cleared; returns the SandboxServer (`.url`, `.connect_url`).
- `connect_settings` (function): points the Django settings at the sandbox's Connect API
  (CONNECT_API_URL, CONNECT_API_KEY, UPSTREAM_BACKOFF=0.01, UPSTREAM_TIMEOUT=2); returns the sandbox.
"""

import pytest
import requests

from channelhub.sandbox.server import SandboxServer

SANDBOX_SEED = 7
SANDBOX_SCALE = 40


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory):
    state = tmp_path_factory.mktemp("sandbox") / "sandbox.sqlite3"
    server = SandboxServer(state_path=state, seed=SANDBOX_SEED, scale=SANDBOX_SCALE).start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server):
    response = requests.post(f"{sandbox_server.url}/_sandbox/reset", json={}, timeout=60)
    response.raise_for_status()
    requests.delete(f"{sandbox_server.url}/_sandbox/faults", timeout=10).raise_for_status()
    return sandbox_server


@pytest.fixture
def connect_settings(sandbox, settings):
    settings.CONNECT_API_URL = sandbox.connect_url
    settings.CONNECT_API_KEY = "ApiKey SU-000-000-000:sandbox"
    settings.UPSTREAM_BACKOFF = 0.01
    settings.UPSTREAM_TIMEOUT = 2
    return sandbox
