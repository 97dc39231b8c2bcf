"""Read the sandbox with the official Connect client (independent of our own client) and
compare it with the mirror."""

from __future__ import annotations

import time

import requests
from connect.client import ConnectClient as OfficialClient

from fulfillment.models import (
    Asset,
    Conversation,
    FulfillmentRequest,
    Hub,
    Marketplace,
    Product,
    TierAccount,
    TierConfig,
    TierConfigRequest,
)

KEY = "ApiKey SU-000-000-000:sandbox"

COLLECTIONS = {
    "/products": Product,
    "/marketplaces": Marketplace,
    "/hubs": Hub,
    "/tier/accounts": TierAccount,
    "/assets": Asset,
    "/requests": FulfillmentRequest,
    "/tier/configs": TierConfig,
    "/tier/config-requests": TierConfigRequest,
    "/conversations": Conversation,
}


def official(sandbox) -> OfficialClient:
    return OfficialClient(
        KEY, endpoint=sandbox.connect_url, use_specs=False, max_retries=0, default_limit=1000
    )


def upstream_objects(sandbox, path: str) -> dict[str, dict]:
    client = official(sandbox)
    collection = client.collection(path.strip("/"))
    return {obj["id"]: obj for obj in collection.all()}


def mirror_objects(model) -> dict[str, dict]:
    return dict(model.objects.values_list("id", "payload"))


def assert_mirror_equals_upstream(sandbox, collections=COLLECTIONS) -> None:
    for path, model in collections.items():
        upstream = upstream_objects(sandbox, path)
        mirror = mirror_objects(model)
        assert upstream, f"{path}: the sandbox has nothing; the test proves nothing"
        missing = sorted(set(upstream) - set(mirror))
        extra = sorted(set(mirror) - set(upstream))
        stale = sorted(k for k in upstream.keys() & mirror.keys() if upstream[k] != mirror[k])
        assert not missing, f"{path}: {len(missing)} missing from the mirror, e.g. {missing[:5]}"
        assert not extra, f"{path}: {len(extra)} in the mirror but not upstream, e.g. {extra[:5]}"
        assert not stale, f"{path}: {len(stale)} differ from upstream, e.g. {stale[:5]}"


def control(sandbox, method: str, what: str, body: dict | None = None):
    response = requests.request(method, f"{sandbox.url}/_sandbox/{what}", json=body, timeout=30)
    response.raise_for_status()
    return response.json() if response.content else None


def sandbox_log(sandbox, limit: int = 10000) -> list[dict]:
    return control(sandbox, "GET", f"log?limit={limit}")


def settled_log(sandbox, count, *, seconds: float = 10.0) -> list[dict]:
    """The sandbox log once `count(entries)` is true. A request the client gave up on (a
    timeout fault) is logged only when the sandbox finishes answering it, later."""
    deadline = time.monotonic() + seconds
    while True:
        entries = sandbox_log(sandbox)
        if count(entries) or time.monotonic() > deadline:
            return entries
        time.sleep(0.1)
