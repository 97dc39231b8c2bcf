"""Fixtures of the engine's tests: `register` puts a test-only stream in the registry."""

import pytest

from channelhub.sync import registry


@pytest.fixture
def register(monkeypatch):
    """Put a stream in the engine's registry for this test only; returns the stream."""

    def add(stream):
        monkeypatch.setitem(registry.declared_streams(), stream.name, stream)
        return stream

    return add
