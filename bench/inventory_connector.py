"""The benchmark's connector module (run by bench/inventory.py in the connector's child
process, as any source's): `count` resources of the usual mix (servers with IPs and
connections, volumes, networks), three metadata values each, deterministic for a `seed`."""

from __future__ import annotations

import random

TYPES = ("server", "server", "server", "volume", "volume", "network")


def _server(i: int, rng: random.Random) -> dict:
    return {
        "cpu_cores": rng.choice((1, 2, 4, 8, 16)),
        "cpu_hz": 2_400_000_000,
        "ram_b": rng.choice((2, 4, 8, 16, 32)) * 2**30,
        "volumes_b": 100 * 2**30,
        "instance_type": rng.choice(("m5.large", "m5.xlarge", "c5.2xlarge")),
        "state": rng.choice(("running", "running", "stopped")),
        "provider_state": "poweredOn",
        "ip_addresses": [
            {
                "ip_address": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
                "network": {"id": f"network-{i % 997}", "name": "private"},
                "description": "private",
            },
            {"ip_address": f"203.0.{i // 256 % 256}.{i % 256}", "description": "public"},
        ],
        "image_detail": {
            "id": "ami-1",
            "name": "Ubuntu",
            "type": "Linux",
            "distribution": "Ubuntu",
            "version": "22.04",
            "architecture": "x86_64",
        },
        "is_virtual": True,
    }


def make(i: int, seed: int) -> dict:
    """Resource `i` (its id and type do not depend on the seed; its contents do)."""
    rng = random.Random(i * 7919 + seed)
    type_ = TYPES[i % len(TYPES)]
    if type_ == "server":
        details = _server(i, rng)
        connections = {"volume": [{"id": f"volume-{i + 1}"}], "network": [{"id": f"network-{i % 997}"}]}
    elif type_ == "volume":
        details = {
            "encrypted": rng.random() < 0.5,
            "iops": 3000,
            "size_b": rng.choice((20, 100, 500)) * 2**30,
            "zone_name": f"eu-west-1{'abc'[i % 3]}",
        }
        connections = {}
    else:
        details, connections = {}, {}
    return {
        "id": f"{type_}-{i}",
        "type": type_,
        "base": {
            "name": f"{type_} {i}",
            "provider_created_at": "2025-01-01T00:00:00Z",
            "last_seen_at": "2026-12-01T00:00:00.000001Z",
            "regions": [{"id": f"eu-west-{i % 3 + 1}"}],
        },
        "connections": connections,
        "metadata": {
            "default": {"owner": f"team-{i % 40}"},
            "provider_specific": {"cost_centre": f"CC{i % 300}", "env": rng.choice(("prod", "dev"))},
        },
        "details": {type_: details},
    }


def get(event, context):
    """`count` resources; `changed` of them (every Nth) with the seed bumped."""
    params = event["parameters"]
    count, seed, changed = int(params["count"]), int(params.get("seed", 1)), int(params.get("changed", 0))
    step = count // changed if changed else 0
    return [make(i, seed + (1 if step and i % step == 0 else 0)) for i in range(count)]
