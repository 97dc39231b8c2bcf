"""The CMP feed's seeded world: accounts `acc-1` and `acc-2`, about `scale` resources each, every
nflex type present at any scale, the same upstream ids in both accounts (`srv-00001` is in both)
with different contents. Deterministic per (seed, scale): each account draws from its own RNG,
`random.Random(f"cmp-{seed}-{account}")`, and timestamps count back from `common.EPOCH`."""

from __future__ import annotations

import random

from . import world

# Share of an account's resources per type (the account resource itself aside).
WEIGHTS = {
    "network": 0.10,
    "volume": 0.30,
    "server": 0.30,
    "appliance": 0.06,
    "service_offering": 0.05,
    "compute_pool": 0.04,
    "saas_user": 0.08,
    "colo_space": 0.03,
    "circuit": 0.04,
}


def counts_for(scale: int) -> dict[str, int]:
    """How many resources of each type an account gets: about `scale` in all, at least one each."""
    rest = max(int(scale), 1) - 1
    return {rtype: max(1, round(weight * rest)) for rtype, weight in WEIGHTS.items()}


def build_account_world(seed: int, scale: int, account: dict) -> list[dict]:
    """Every resource of one account (the account resource first), built from its own RNG."""
    rng = random.Random(f"cmp-{seed}-{account['id']}")
    counts = counts_for(scale)
    docs = [world.build_account(rng, account)]
    by_type: dict[str, list[dict]] = {}
    for rtype in ("network", "volume"):
        by_type[rtype] = [
            world.SIMPLE_BUILDERS[rtype](rng, account, world.rid_for(rtype, n), n)
            for n in range(1, counts[rtype] + 1)
        ]
    networks, volumes = by_type["network"], by_type["volume"]
    n_servers = counts["server"]
    attached: dict[int, list[dict]] = {}
    for i, volume in enumerate(volumes):
        if rng.random() < 0.85:  # the rest stay unattached
            attached.setdefault(i % n_servers, []).append(volume)
    servers = []
    for i in range(n_servers):
        nets = [networks[i % len(networks)]]
        if len(networks) > 1 and rng.random() < 0.3:
            nets.append(networks[(i + 1) % len(networks)])
        servers.append(
            world.build_server(
                rng,
                account,
                world.rid_for("server", i + 1),
                i + 1,
                nets,
                attached.get(i, []),
                i % 5 == 1,  # every fifth server lists a volume that is not listed
            )
        )
    appliances = [
        world.build_appliance(
            rng,
            account,
            world.rid_for("appliance", n),
            n,
            rng.sample(networks, min(len(networks), rng.randint(1, 2))),
            n == 1 or rng.random() < 0.25,  # the first appliance's extra network is never listed
        )
        for n in range(1, counts["appliance"] + 1)
    ]
    docs += networks + volumes + servers + appliances
    for rtype in ("service_offering", "compute_pool", "saas_user", "colo_space", "circuit"):
        build = world.SIMPLE_BUILDERS[rtype]
        docs += [build(rng, account, world.rid_for(rtype, n), n) for n in range(1, counts[rtype] + 1)]
    return docs


def build_world(seed: int, scale: int) -> tuple[list[dict], dict[str, list[dict]]]:
    """(account records, resources by account id) of the seeded world."""
    accounts = [{"id": a["id"], "name": a["name"], "profile": dict(a)} for a in world.ACCOUNTS]
    resources = {a["id"]: build_account_world(seed, scale, a) for a in world.ACCOUNTS}
    return accounts, resources


def next_numbers(resources: dict[str, list[dict]]) -> dict[str, dict[str, int]]:
    """Per account and type, the number the next arriving resource takes (ids are never reused)."""
    out: dict[str, dict[str, int]] = {}
    for account, docs in resources.items():
        seq = out.setdefault(account, {})
        for doc in docs:
            if doc["type"] in world.ID_PREFIX:
                number = int(doc["id"].rsplit("-", 1)[1])
                seq[doc["type"]] = max(seq.get(doc["type"], 0), number) + 1
    return out
