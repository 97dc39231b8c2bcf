"""Fixtures of the usage sandbox tests."""

import pytest

from tests.usage.sandbox.usage_workbooks import set_delay


@pytest.fixture
def usage(sandbox):
    """The reset sandbox with uploads processed by the next read (processing_seconds 0)."""
    set_delay(sandbox, 0)
    return sandbox
