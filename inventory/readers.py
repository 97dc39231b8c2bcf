"""Reading a source: what each kind of source is, as one listing of nflex resources.

`open_listing(source)` gives a `Listing` (a context manager) whose `pages(size)` yields the
source's resources page by page, validated, and which says afterwards what the connector
logged and the state it keeps. A connector module (and the sandbox's feed, read by its demo
connector `channelhub.sandbox.cmp_connector`) runs in a child process
(`inventory.connectors.runner`); an HTTP feed is read by `channelhub.upstream.nflex`. Every
failure is a `SourceFailed` with its kind (the source's status), plain words, and the
connector's traceback where there is one, secrets censored.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import ClassVar

from django.conf import settings

from channelhub.upstream.errors import UpstreamError, UpstreamUnauthorized
from channelhub.upstream.nflex import NflexFeedClient

from .connectors.child import Garbage, check_item
from .connectors.runner import ConnectorCall, ConnectorFailed, run_connector
from .models import InventorySource, SourceKind, SourceStatus
from .secrets import scrub, secret_values

SANDBOX_CONNECTOR = "channelhub.sandbox.cmp_connector"
NFLEX_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"  # setup_time_interval's default format

STATUS_OF_KIND = {
    "invalid_credentials": SourceStatus.INVALID_CREDENTIALS,
    "insufficient_permission": SourceStatus.INSUFFICIENT_PERMISSION,
    "no_billing_report": SourceStatus.NO_BILLING_REPORT,
}


class SourceFailed(UpstreamError):
    """A source could not be read whole: `kind` (a ConnectorFailed kind, or "http"), `words`
    for staff, `traceback` for supervisors (censored, cut)."""

    def __init__(self, kind: str, words: str, *, traceback: str = "", logs=(), status: int | None = None):
        super().__init__(words, upstream="cmp", code=kind, status=status)
        self.kind = kind
        self.words = words
        self.traceback = traceback
        self.logs = list(logs)

    def __str__(self):
        return self.words

    @property
    def source_status(self) -> str:
        """The source's status after this failure."""
        return STATUS_OF_KIND.get(self.kind, SourceStatus.FAILED)


def nflex_time(when: datetime | None) -> str | None:
    """A time as nflex's `last_update` (naive UTC, with microseconds, `Z`)."""
    if when is None:
        return None
    return when.astimezone(UTC).replace(tzinfo=None).strftime(NFLEX_TIME)


def event_for(
    source: InventorySource, *, last_update: datetime | None = None, extra: dict | None = None
) -> dict:
    """The nflex event a connector gets: credentials and parameters, the poll window's
    `poll_interval` (seconds) and `last_update`."""
    params = source.parameters or {}
    resource = dict(params.get("parameters") or {})
    event = {
        "account_id": params.get("account_id") or resource.get("account") or "",
        "provider": params.get("provider") or source.kind,
        "poll_interval": source.poll_minutes * 60,
        "poll_type": "resources",
        "credentials": dict(params.get("credentials") or {}),
        "resource": resource,
        "parameters": resource,
        "last_update": nflex_time(last_update),
        "source": source.name,
    }
    event.update(extra or {})
    return event


def _module_of(source: InventorySource) -> str:
    if source.kind == SourceKind.SANDBOX:
        return SANDBOX_CONNECTOR
    module = (source.parameters or {}).get("module")
    if not module:
        raise SourceFailed("error", "The source names no connector module (parameters: module).")
    return module


class Listing:
    """One read of a source: `pages(size)`, then `state`, `logs` and `count`."""

    state: dict
    logs: ClassVar[list[str]]

    def pages(self, size: int) -> Iterator[list[dict]]:
        """The resources, page by page (raises SourceFailed)."""
        raise NotImplementedError


class ConnectorListing(Listing):
    """The listing of a connector run in a child process."""

    def __init__(self, run, source: InventorySource):
        self.run = run
        self.state = run.state
        self.logs = run.logs
        self.count = run.count

    def pages(self, size: int) -> Iterator[list[dict]]:
        """The resources the connector returned, read from its output page by page."""
        yield from self.run.pages(size)


class FeedListing(Listing):
    """The listing of an HTTP feed."""

    def __init__(self, client: NflexFeedClient, secrets: tuple[str, ...], state: dict):
        self.client = client
        self.secrets = secrets
        self.state = state
        self.logs = []
        self.count = 0

    def pages(self, size: int) -> Iterator[list[dict]]:
        """The feed's pages, validated, re-cut to `size`."""
        buffer: list[dict] = []
        try:
            for page in self.client.pages():
                for item in page:
                    try:
                        check_item(self.count + 1, item)
                    except Garbage as exc:
                        raise SourceFailed(
                            "garbage", f"The feed answered something that is not a resource: {exc}"
                        ) from None
                    self.count += 1
                    buffer.append(item)
                    if len(buffer) >= size:
                        yield buffer
                        buffer = []
        except UpstreamUnauthorized as exc:
            if exc.status == 403:
                raise SourceFailed(
                    "insufficient_permission", "Insufficient permission: the feed refused access.", status=403
                ) from None
            raise SourceFailed(
                "invalid_credentials",
                "Invalid credentials: the feed refused the source's credentials.",
                status=exc.status,
            ) from None
        except SourceFailed:
            raise
        except UpstreamError as exc:
            kind = "insufficient_permission" if exc.status == 403 else "http"
            words = (
                "Insufficient permission: the feed refused access."
                if exc.status == 403
                else scrub(f"The feed could not be read: {exc}", self.secrets)
            )
            raise SourceFailed(kind, words, status=exc.status) from None
        if buffer:
            yield buffer


def _connector_call(source: InventorySource, handler: str, event: dict) -> ConnectorCall:
    return ConnectorCall(
        module=_module_of(source),
        handler=handler,
        event=event,
        state=dict(source.state or {}),
        time_limit=float(source.time_limit),
        memory_mb=int(source.memory_mb),
        secrets=secret_values(source.parameters or {}),
    )


def _failed(exc: ConnectorFailed) -> SourceFailed:
    return SourceFailed(exc.kind, exc.words, traceback=exc.traceback, logs=exc.logs)


@contextmanager
def open_listing(source: InventorySource, *, last_update: datetime | None = None):
    """The source's listing, open for reading (a context manager; raises SourceFailed)."""
    if source.kind == SourceKind.HTTP:
        params = source.parameters or {}
        try:
            client = NflexFeedClient(
                params.get("url", ""),
                auth_header=params.get("auth_header", "Authorization"),
                auth_value=(params.get("credentials") or {}).get("auth_value", "")
                or params.get("auth_value", ""),
                paged=bool(params.get("paged", True)),
                per_page=int(params.get("per_page", settings.INVENTORY_PAGE_SIZE)),
                page_param=params.get("page_param", "page"),
                per_page_param=params.get("per_page_param", "per_page"),
            )
        except (ValueError, TypeError) as exc:
            raise SourceFailed("error", f"The source's feed settings are wrong: {exc}") from None
        yield FeedListing(client, secret_values(params), dict(source.state or {}))
        return
    event = event_for(source, last_update=last_update)
    try:
        with run_connector(_connector_call(source, "get", event)) as run:
            yield ConnectorListing(run, source)
    except ConnectorFailed as exc:
        raise _failed(exc) from None


def read_metrics(source: InventorySource, *, window_event: dict) -> tuple[object, dict, list[str]]:
    """Run the source's `get_metrics` for a poll window: (what it returned, its state, logs).
    Only connector and sandbox sources report metrics."""
    if source.kind == SourceKind.HTTP:
        return {"metrics": []}, dict(source.state or {}), []
    event = event_for(source, extra=window_event)
    try:
        with run_connector(_connector_call(source, "get_metrics", event)) as run:
            return run.value, run.state, run.logs
    except ConnectorFailed as exc:
        raise _failed(exc) from None


class OfSource:
    """What a source's streams share (`cmp.resources.<name>`, `cmp.metrics.<name>`): made from
    the row, run while it is enabled, opened by each run itself (no shared client)."""

    upstream = "cmp"
    stream_kind = "resources"  # the collection in the stream's name

    def __init__(self, source: InventorySource):
        self.source_id = source.pk
        self.source_name = source.name
        self.name = f"cmp.{self.stream_kind}.{source.name}"
        self.enabled = source.enabled
        self.schedule_minutes = source.poll_minutes
        self.schedule_words = f"every {source.poll_minutes} min"

    def is_configured(self) -> bool:
        """A disabled source is not read."""
        return self.enabled

    def not_configured_reason(self) -> str:
        """Why it is not read."""
        return f"inventory source {self.source_name!r} is disabled"

    def client(self):
        """Each run opens the source itself (`open_listing`, `read_metrics`)."""
        return None
