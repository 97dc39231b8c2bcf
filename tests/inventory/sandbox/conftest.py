"""Fixtures of the CMP feed tests: a sandbox serving the core's modules and the feed, built here
(not from the inventory app's registration)."""

from __future__ import annotations

import pytest
import requests

from channelhub.sandbox.server import SandboxServer
from tests.inventory.sandbox.cmp_feed import CMP_SCALE, CMP_SEED, cmp_modules


@pytest.fixture(scope="session")
def cmp_server(tmp_path_factory):
    """One sandbox with the feed for the session (seed 5, scale 30)."""
    state = tmp_path_factory.mktemp("cmp-sandbox") / "sandbox.sqlite3"
    server = SandboxServer(state_path=state, seed=CMP_SEED, scale=CMP_SCALE, modules=cmp_modules()).start()
    yield server
    server.stop()


@pytest.fixture
def cmp(cmp_server):
    """That sandbox reset to its seeded state, faults cleared (the feed's knobs back to defaults)."""
    requests.post(f"{cmp_server.url}/_sandbox/reset", json={}, timeout=60).raise_for_status()
    requests.delete(f"{cmp_server.url}/_sandbox/faults", timeout=10).raise_for_status()
    return cmp_server
