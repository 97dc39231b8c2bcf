"""All streams, by name, in the order `sync --all` runs them (catalog before what refers to it).

Each domain app declares its streams in `<app>/streams.py` as a list `STREAMS`; the modules
are listed in `settings.SYNC_STREAM_MODULES`.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module

from django.conf import settings

from .streams import Stream


class UnknownStream(KeyError):
    pass


@cache
def all_streams() -> dict[str, Stream]:
    streams: dict[str, Stream] = {}
    for module in settings.SYNC_STREAM_MODULES:
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
