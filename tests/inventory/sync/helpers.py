"""Helpers of the inventory sync tests: sources on the sandbox's CMP feed (read by its demo
connector, or as an HTTP feed) or on a file, one pass, and the feed as the sandbox serves it."""

from __future__ import annotations

import json
from pathlib import Path

import requests

from channelhub.models import SyncRun
from channelhub.sync.engine import run_stream
from inventory.models import InventorySource, Resource, SourceKind

TOKEN = "sandbox-cmp-token"
FILE_CONNECTOR = "tests.inventory.sync.file_connector"


def sandbox_source(sandbox, name: str = "acc1", account: str = "acc-1", token: str = TOKEN, **fields):
    """A source of kind sandbox: the demo connector reading `account` of the feed."""
    parameters = {"credentials": {"url": sandbox.cmp_url, "token": token}, "parameters": {"account": account}}
    return InventorySource.objects.create(name=name, kind=SourceKind.SANDBOX, parameters=parameters, **fields)


def http_source(
    sandbox, name: str = "acc1http", account: str = "acc-1", token: str = TOKEN, per_page: int = 25, **fields
):
    """A source of kind http: the feed's resources URL, paged, with the bearer token header."""
    parameters = {
        "url": f"{sandbox.cmp_url}/accounts/{account}/resources",
        "auth_header": "Authorization",
        "credentials": {"auth_value": f"Bearer {token}"},
        "per_page": per_page,
        "account_id": account,
    }
    return InventorySource.objects.create(name=name, kind=SourceKind.HTTP, parameters=parameters, **fields)


def file_source(path: Path, name: str = "file", **fields):
    """A connector source listing what `path` holds (file_connector)."""
    parameters = {"module": FILE_CONNECTOR, "parameters": {"path": str(path)}}
    return InventorySource.objects.create(
        name=name, kind=SourceKind.CONNECTOR, parameters=parameters, **fields
    )


def write_feed(path: Path, resources: list[dict]) -> None:
    """What the file connector lists next."""
    path.write_text(json.dumps(resources))


def run_pass(source: InventorySource) -> SyncRun:
    """One pass of the source's resources stream, here; the source refreshed."""
    run = run_stream(source.stream_name)
    source.refresh_from_db()
    return run


def feed(sandbox, account: str = "acc-1") -> list[dict]:
    """Every resource the feed lists for `account` now."""
    out, page = [], 1
    while True:
        response = requests.get(
            f"{sandbox.cmp_url}/accounts/{account}/resources",
            headers={"Authorization": f"Bearer {TOKEN}"},
            params={"page": page, "per_page": 1000},
            timeout=10,
        )
        response.raise_for_status()
        items = response.json()
        out += items
        if len(items) < 1000:
            return out
        page += 1


def knobs(sandbox, **body) -> dict:
    """POST /_sandbox/cmp (the feed's knobs and actions)."""
    response = requests.post(f"{sandbox.url}/_sandbox/cmp", json=body, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def live_keys(source: InventorySource) -> set[tuple[str, str]]:
    """(type, upstream id) of the source's live resources."""
    return set(
        Resource.objects.filter(source=source, gone_at__isnull=True).values_list("type", "upstream_id")
    )


def feed_keys(items: list[dict]) -> set[tuple[str, str]]:
    """(type, id) of a listing."""
    return {(item["type"], item["id"]) for item in items}


def resource(n: int, type_: str = "server", name: str | None = None, **details) -> dict:
    """A small nflex resource for the file connector."""
    return {
        "id": f"{type_}-{n}",
        "type": type_,
        "base": {
            "name": name or f"{type_} {n}",
            "provider_created_at": None,
            "last_seen_at": "2026-12-01T00:00:00.000001Z",
            "regions": [],
        },
        "connections": {},
        "metadata": {"default": {"n": n}},
        "details": {type_: {"state": "running", **details}} if type_ == "server" else {type_: dict(details)},
    }
