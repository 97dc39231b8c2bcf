"""Shared fixtures.

- `sandbox_server` (session): a SandboxServer (the fake upstreams) at scale 40, seed 7, state in a
  temporary directory, serving on a free loopback port.
- `sandbox` (function): that server reset to its seeded state (POST /_sandbox/reset, which also
  clears the request log) with faults cleared; returns the SandboxServer (`.url`, `.connect_url`).
- `connect_settings` (function): points the Django settings at the sandbox's Connect API
  (CONNECT_API_URL, CONNECT_API_KEY, UPSTREAM_BACKOFF=0.01, UPSTREAM_TIMEOUT=2); returns the sandbox.
- `channel_credentials_file` (function): the reset sandbox's Cloud Channel service-account key
  file (a str path; its token_uri is the sandbox's /token). The reset also puts the Channel
  knobs (/_sandbox/channel: LRO delay/failures, empty pages, token TTL) back to their defaults.
  Use with `sandbox.channel_url` (api_endpoint), `sandbox.channel_account_id` (C01sandbx) and
  `sandbox.channel_admin_email` (admin@reseller.example, the subject to impersonate).
- `channel_credentials` (function): google-auth service-account credentials from that file,
  scope apps.order, `with_subject(admin@reseller.example)`: what a Channel client builds.
- `channel_settings` (function): the same for the sandbox's Cloud Channel API (CHANNEL_*,
  CHANNEL_LRO_POLL_INITIAL=0.01); returns the sandbox.
- `django_db_setup` (session, pytest-django's, extended): on PostgreSQL, ends any session a
  test's thread left open on the test database before it is dropped, so no run leaves a
  `test_..._<pid>` database behind on the server.
"""

import pytest
import requests
from django.db import connection
from google.oauth2 import service_account

from channelhub.sandbox.server import SandboxServer
from channelhub.upstream.channel import clear_credentials_cache

pytest_plugins = ["tests.plugins.api_clients", "tests.plugins.worker"]

SANDBOX_SEED = 7
SANDBOX_SCALE = 40


def pytest_collection_modifyitems(config, items):
    """`postgres_only` tests run on PostgreSQL alone: they need its row locks under real
    concurrency (SQLite serialises writers behind one database lock, so twenty threads get
    "database is locked" instead of a race; each such race has a deterministic interleaving
    test that runs on both databases)."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL's row locks under real concurrency")
    for item in items:
        if item.get_closest_marker("postgres_only"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    yield
    if connection.vendor != "postgresql":
        return
    # Threads started by tests (live servers, concurrency tests, the sandbox's clients) may
    # still hold a connection; PostgreSQL refuses to drop a database anyone is using.
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        connection.close()


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory):
    state = tmp_path_factory.mktemp("sandbox") / "sandbox.sqlite3"
    from channelhub.management.commands.sandbox import server_modules  # noqa: PLC0415 - Django is set up by now

    server = SandboxServer(
        state_path=state, seed=SANDBOX_SEED, scale=SANDBOX_SCALE, modules=server_modules()
    ).start()
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


@pytest.fixture
def channel_settings(sandbox, settings):
    """Points the Django settings at the sandbox's Cloud Channel API (CHANNEL_* from the sandbox
    server and the service-account key it writes, fast retries and LRO polls); returns the sandbox.
    Cached tokens are forgotten, so each test sees its own token flow."""
    settings.CHANNEL_API_URL = sandbox.channel_url
    settings.CHANNEL_ACCOUNT_ID = sandbox.channel_account_id
    settings.CHANNEL_CREDENTIALS_FILE = str(sandbox.channel_credentials_path)
    settings.CHANNEL_ADMIN_EMAIL = sandbox.channel_admin_email
    settings.CHANNEL_LRO_POLL_INITIAL = 0.01
    settings.UPSTREAM_BACKOFF = 0.01
    settings.UPSTREAM_TIMEOUT = 2
    clear_credentials_cache()
    return sandbox


@pytest.fixture
def channel_credentials_file(sandbox):
    return str(sandbox.channel_credentials_path)


@pytest.fixture
def channel_credentials(sandbox, channel_credentials_file):
    credentials = service_account.Credentials.from_service_account_file(
        channel_credentials_file, scopes=["https://www.googleapis.com/auth/apps.order"]
    )
    return credentials.with_subject(sandbox.channel_admin_email)
