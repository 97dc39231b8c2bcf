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
            app_registry.upstream(stream.upstream)  # LookupError naming the upstreams there are
            streams[stream.name] = stream
    return streams


def check_streams(app_configs=None, **kwargs) -> list:
    """System check: every declared stream has a unique name and a registered upstream."""
    from django.core.checks import Error

    try:
        all_streams()
    except (ValueError, LookupError) as exc:
        return [Error(f"sync streams: {exc}", id="channelhub.E001")]
    return []


def get(name: str) -> Stream:
    try:
        return all_streams()[name]
    except KeyError:
        known = ", ".join(all_streams())
        raise UnknownStream(f"unknown stream {name!r}; known streams: {known}") from None
