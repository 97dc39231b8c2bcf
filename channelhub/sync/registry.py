"""All streams, by name, in the order `sync --all` runs them (catalog before what refers to it).

Two kinds, one namespace:

- **declared** streams: each domain app lists them in a module with a `STREAMS` list and
  registers the module from its `AppConfig.ready()` (`channelhub.registry.register_streams`),
  in order. Fixed at start-up; each has its own django-q schedule (`sync:<name>`).
- **provided** streams: made at run time from rows (one per configured source) by the
  callables registered with `channelhub.registry.register_stream_provider`. Asked afresh
  whenever the streams are listed; they run through the dispatcher (`channelhub.sync.dispatch`).

A declared stream that is wrong (a bad or duplicate name, an unknown upstream) fails the
system check at start-up. A provided one cannot (it comes from rows, after start-up): it is
left out, with an error (`provided()`), which `sync`, the dispatcher and the stream-state
admin show; every other stream goes on syncing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module

from channelhub import registry as app_registry

from .names import name_problem, renamed_to
from .streams import Stream

logger = logging.getLogger(__name__)


class UnknownStream(KeyError):
    """No stream of that name, declared or provided (the message says what there is)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _problem(stream: Stream, taken: dict[str, Stream]) -> str | None:
    """Why `stream` cannot join the streams in `taken`, or None."""
    if stream.name in taken:
        return f"duplicate stream name {stream.name!r} ({stream!r} and {taken[stream.name]!r})"
    try:
        app_registry.upstream(stream.upstream)
    except LookupError as exc:
        return f"stream {stream.name!r}: {exc}"
    return name_problem(stream.name, stream.upstream)


@cache
def declared_streams() -> dict[str, Stream]:
    """The streams the apps' STREAMS modules declare, in order. Raises ValueError if one is wrong."""
    streams: dict[str, Stream] = {}
    for module in app_registry.stream_modules():
        for stream in import_module(module).STREAMS:
            problem = _problem(stream, streams)
            if problem:
                raise ValueError(problem)
            streams[stream.name] = stream
    return streams


@dataclass
class Provided:
    """What the stream providers give now: the good streams, and why any others were left out."""

    streams: dict[str, Stream] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _provider_name(provider) -> str:
    return f"{getattr(provider, '__module__', '?')}.{getattr(provider, '__qualname__', repr(provider))}"


def provided() -> Provided:
    """Ask every stream provider for its streams now. A provider that fails, or a stream that
    clashes with another or is named wrong, is left out with an error; the rest stand."""
    result = Provided()
    declared = declared_streams()
    for provider in app_registry.stream_providers():
        try:
            streams = list(provider())
        except Exception as exc:  # a provider's bug or its table not migrated yet: not everyone's sync
            logger.exception("stream provider %s failed", _provider_name(provider))
            result.errors.append(
                f"stream provider {_provider_name(provider)} failed: {type(exc).__name__}: {exc}"
            )
            continue
        for stream in streams:
            problem = _problem(stream, {**declared, **result.streams})
            if problem:
                logger.error("stream provider %s: %s; left out", _provider_name(provider), problem)
                result.errors.append(f"{problem}; left out (from {_provider_name(provider)})")
                continue
            result.streams[stream.name] = stream
    return result


def all_streams() -> dict[str, Stream]:
    """Every stream: the declared ones in order, then the provided ones."""
    return {**declared_streams(), **provided().streams}


def check_streams(app_configs=None, **kwargs) -> list:
    """System check: every declared stream has a unique `<upstream>.<collection>` name and a
    registered upstream. (Provided streams come from rows: they are checked when listed.)"""
    from django.core.checks import Error  # noqa: PLC0415 - checks are imported when they run

    try:
        declared_streams()
    except (ValueError, LookupError) as exc:
        return [Error(f"sync streams: {exc}", id="channelhub.E001")]
    return []


def unknown_message(name: str, known) -> str:
    """What to tell someone who typed `name`, which is no stream: the new name of an old one,
    else the streams there are."""
    new = renamed_to(name)
    if new:
        return f"stream {name!r} is now called {new!r} (streams are named <upstream>.<collection>)"
    return f"unknown stream {name!r}; known streams: {', '.join(known)}"


def get(name: str) -> Stream:
    """The stream called `name`, declared or provided; UnknownStream (saying why) if none."""
    declared = declared_streams()
    if name in declared:
        return declared[name]
    streams = provided().streams
    if name in streams:
        return streams[name]
    raise UnknownStream(unknown_message(name, {**declared, **streams}))
