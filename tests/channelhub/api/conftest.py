"""The read API tests start each test with a full throttling budget (fixtures in
tests/plugins/api_clients.py)."""

import pytest


@pytest.fixture(autouse=True)
def _fresh_throttle(fresh_throttle):
    """Throttling counts live in the cache: each test starts with a full budget."""
