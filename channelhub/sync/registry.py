"""All streams, by name, in the order `sync --all` runs them (catalog before what refers to it).

Each domain app declares its streams in a module with a list `STREAMS`, and registers the
module from its `AppConfig.ready()` (`channelhub.registry.register_streams`), in order.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module

from channelhub import registry as app_registry

from .streams import Stream


class UnknownStream(KeyError):
    pass


@cache
def all_streams() -> dict[str, Stream]:
    streams: dict[str, Stream] = {}
    for module in app_registry.stream_modules():
        for stream in import_module(module).STREAMS:
            if stream.name in streams:
                raise ValueError(f"duplicate stream name {stream.name!r}")
            streams[stream.name] = stream
    return streams


def get(name: str) -> Stream:
    try:
        return all_streams()[name]
    except KeyError:
        known = ", ".join(all_streams())
        raise UnknownStream(f"unknown stream {name!r}; known streams: {known}") from None
