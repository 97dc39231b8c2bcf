"""The CMP feed's resources: one builder per nflex type, each returning a resource exactly as
`nflex_connector_utils` 0.2.0 serializes it (key order included; docs/sandbox.md, "The CMP
inventory feed"), drawn only from the caller's RNG.

`base.last_seen_at` is stored as None: the routes stamp it with the time of the answer, as the
library does at `serialize()` time. A few details keys the library does not know are added on
purpose (`EXTRA_DETAIL_KEYS`), as real connectors add them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from channelhub.sandbox.common import EPOCH

# Every type a listing carries, in the order the seed builds them (volumes and networks before
# the servers and appliances that connect to them).
TYPES = (
    "account",
    "network",
    "volume",
    "server",
    "appliance",
    "service_offering",
    "compute_pool",
    "saas_user",
    "colo_space",
    "circuit",
)
ID_PREFIX = {
    "network": "net",
    "volume": "vol",
    "server": "srv",
    "appliance": "app",
    "service_offering": "so",
    "compute_pool": "cp",
    "saas_user": "usr",
    "colo_space": "colo",
    "circuit": "ckt",
}
# Details keys beyond the library's (real connectors add such keys: `details.server.template`).
EXTRA_DETAIL_KEYS = {"server": ("template",), "appliance": ("family",)}

ACCOUNTS = (
    {
        "id": "acc-1",
        "name": "Northwind Traders (AWS)",
        "prefix": "nw",
        "provider": "aws",
        "domain": "northwind.example",
    },
    {
        "id": "acc-2",
        "name": "Contoso Ltd (Azure)",
        "prefix": "co",
        "provider": "azure",
        "domain": "contoso.example",
    },
)

REGIONS = {
    "aws": ("eu-west-1", "eu-central-1", "us-east-1"),
    "azure": ("westeurope", "northeurope", "eastus"),
}
INSTANCE_TYPES = {
    "aws": ("t3.medium", "m5.large", "m5.xlarge", "c5.2xlarge", "r5.large"),
    "azure": ("Standard_B2s", "Standard_D2s_v3", "Standard_D4s_v3", "Standard_E4s_v3"),
}
# CMP state -> the provider's own words for it
PROVIDER_STATES = {
    "aws": {
        "running": "running",
        "stopped": "stopped",
        "pending": "pending",
        "stopping": "stopping",
        "terminated": "terminated",
        "unknown": "unknown",
    },
    "azure": {
        "running": "PowerState/running",
        "stopped": "PowerState/deallocated",
        "pending": "PowerState/starting",
        "stopping": "PowerState/stopping",
        "terminated": "PowerState/deleted",
        "unknown": "PowerState/unknown",
    },
}
STATES = ("running",) * 14 + ("stopped",) * 3 + ("pending", "stopping", "terminated", "unknown")
IMAGES = (
    ("ami-0ubuntu2204", "Ubuntu Server 22.04 LTS", "x86_64", "Ubuntu", "Linux", "22.04"),
    ("ami-0rhel9", "Red Hat Enterprise Linux 9", "x86_64", "RHEL", "Linux", "9.2"),
    ("img-win2022", "Windows Server 2022 Datacenter", "x64", "Windows Server", "Windows", "2022"),
    ("img-debian12-arm", "Debian 12 (arm64)", "arm64", "Debian", "Linux", "12"),
    ("img-custom-7f3a", "golden-image-2023-11", None, None, "Linux", None),
)
SITES = (
    (("dc-par-1", "Paris DC1", 48.8566, 2.3522), ("paris", "Paris"), ("FR", "France"), ("emea", "Europe")),
    (
        ("dc-lon-2", "London Docklands", 51.5072, -0.1276),
        ("london", "London"),
        ("GB", "United Kingdom"),
        ("emea", "Europe"),
    ),
    (
        ("dc-fra-1", "Frankfurt FR4", 50.1109, 8.6821),
        ("frankfurt", "Frankfurt"),
        ("DE", "Germany"),
        ("emea", "Europe"),
    ),
    (
        ("dc-ash-3", "Ashburn DC3", 39.0438, -77.4874),
        ("ashburn", "Ashburn"),
        ("US", "United States"),
        ("amer", "Americas"),
    ),
    (
        ("dc-tyo-1", "Tokyo Otemachi", 35.6762, 139.6503),
        ("tokyo", "Tokyo"),
        ("JP", "Japan"),
        ("apac", "Asia Pacific"),
    ),
)
WORDS = ("web", "api", "db", "cache", "batch", "etl", "auth", "mail", "build", "search", "report", "queue")
OWNERS = ("alice", "bob", "chen", "dana", "emil", "farah", "gus")
GIB = 1024**3


def convert_datetime(dt: datetime | None) -> str | None:
    """The library's `rfc3339.convert_datetime`: UTC, `...%fZ` with microseconds, `...Z` without."""
    if dt is None:
        return None
    if dt.tzinfo:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if dt.microsecond else "%Y-%m-%dT%H:%M:%SZ")


def created_at(rng) -> str | None:
    """A seeded creation time: null for some, before the epoch, with microseconds for some."""
    roll = rng.random()
    if roll < 0.1:
        return None
    when = EPOCH - timedelta(seconds=rng.randrange(3600, 3 * 365 * 86400))
    if roll < 0.4:
        when = when.replace(microsecond=rng.randrange(1, 1_000_000))
    return convert_datetime(when)


def location_of(rng, account: dict) -> dict:
    """`locations` (most), `regions: [{"id"}]` (some) or `regions: []` (a few), as base keys."""
    roll = rng.random()
    if roll < 0.65:
        (loc_id, loc_name, lat, lon), (city_id, city), (country_id, country), (region_id, region) = (
            rng.choice(SITES)
        )
        site = {
            "location": {"id": loc_id, "name": loc_name, "latitude": lat, "longitude": lon},
            "city": {"id": city_id, "name": city},
            "country": {"id": country_id, "name": country},
            "region": {"id": region_id, "name": region},
            "type": "customer" if rng.random() < 0.2 else "provider",
        }
        return {"locations": [site]}
    if roll < 0.88:
        return {"regions": [{"id": rng.choice(REGIONS[account["provider"]])}]}
    return {"regions": []}


def metadata_of(rng, account: dict) -> dict:
    """Metadata in the `default`, `provider_specific` and `provider_metadata` namespaces (empty
    for a few resources; tags as a list)."""
    if rng.random() < 0.08:
        return {}
    owner = rng.choice(OWNERS)
    out = {
        "default": {
            "cost_centre": f"CC-{rng.randrange(1000, 10000)}",
            "owner": f"{owner}@{account['domain']}",
        },
        "provider_specific": {
            "tags": sorted(
                rng.sample(("prod", "staging", "dev", "pci", "gdpr", "web", "internal"), rng.randint(0, 3))
            )
        },
    }
    if rng.random() < 0.6:
        out["provider_metadata"] = {
            "account_number": f"{rng.randrange(10**11, 10**12)}",
            "environment": rng.choice(("prod", "test")),
        }
    return out


def resource(rtype: str, rid: str, name: str, rng, account: dict, *, connections=None, details=None) -> dict:
    """The serialized envelope: id, type, base, connections, metadata and (but for `account`) details."""
    base = {"name": name, "provider_created_at": created_at(rng), "last_seen_at": None}
    if rng.random() < 0.7:
        base["native_portal_link"] = (
            f"https://portal.{account['provider']}.example/{account['id']}/{rtype}/{rid}"
        )
    base.update(location_of(rng, account))
    out = {
        "id": rid,
        "type": rtype,
        "base": base,
        "connections": connections or {},
        "metadata": metadata_of(rng, account),
    }
    if rtype != "account":
        out["details"] = {rtype: details if details is not None else {}}
    return out


def connections_of(**kinds: list[str]) -> dict:
    """The library's `Connections(...)`: singular keys in its order, `{"id": ...}` items, empty lists left out."""
    return {
        kind: [{"id": ident} for ident in kinds[kind]]
        for kind in ("appliance", "server", "network", "volume")
        if kinds.get(kind)
    }


def name_for(rng, account: dict, rtype: str, n: int) -> str:
    """A readable name, different across accounts (their prefixes) although ids overlap."""
    return f"{account['prefix']}-{rng.choice(WORDS)}-{rtype.replace('_', '-')}-{n:02d}"


def build_account(rng, account: dict) -> dict:
    """The account itself as CMP's /query shows it: a resource of type `account`, without details
    (the library's generic `Resource(type="account")`)."""
    doc = resource("account", account["id"], account["name"], rng, account)
    doc["metadata"].setdefault("provider_specific", {})["regions"] = list(REGIONS[account["provider"]][:2])
    return doc


def build_network(rng, account: dict, rid: str, n: int) -> dict:
    """A network: base fields only (`details.network` is `{}`)."""
    return resource("network", rid, name_for(rng, account, "vnet", n), rng, account, details={})


def build_volume(rng, account: dict, rid: str, n: int) -> dict:
    """A volume: encrypted, iops (int), size_b, and zone_name for most."""
    details = {
        "encrypted": rng.choice((True, True, False, None)),
        "iops": rng.choice((None, 100, 3000, 3000, 16000)),
        "size_b": rng.choice((8, 20, 50, 100, 250, 500, 1024)) * GIB,
    }
    if rng.random() < 0.8:
        region = rng.choice(REGIONS[account["provider"]])
        details["zone_name"] = (
            f"{region}{rng.choice('abc')}"
            if account["provider"] == "aws"
            else f"{region}-{rng.randint(1, 3)}"
        )
    return resource("volume", rid, name_for(rng, account, "disk", n), rng, account, details=details)


def ip_addresses(rng, networks: list[dict]) -> list[dict]:
    """1-3 addresses: a private one on a network (id and name), maybe a public one, maybe one
    whose network name is unknown (the library then drops `network`)."""
    out = []
    private = {"ip_address": f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"}
    if networks:
        private["network"] = {"id": networks[0]["id"], "name": networks[0]["base"]["name"]}
    private["description"] = "private"
    out.append(private)
    if rng.random() < 0.5:
        out.append({"ip_address": f"203.0.113.{rng.randrange(1, 255)}", "description": "public"})
    if rng.random() < 0.25:
        out.append({"ip_address": f"fd00::{rng.randrange(1, 0xFFFF):x}"})
    return out


def server_details(rng, account: dict, networks: list[dict], volumes: list[dict]) -> dict:
    """A server's details in the library's key order (is_virtual only when known, a template for some)."""
    cores = rng.choice((1, 2, 2, 4, 4, 8, 16))
    state = rng.choice(STATES)
    image = rng.choice(IMAGES) if rng.random() < 0.9 else None
    details = {
        "cpu_cores": cores,
        "cpu_hz": rng.choice((2_200_000_000, 2_500_000_000, 3_100_000_000)),
        "ram_b": cores * rng.choice((2, 4, 8)) * GIB,
        "volumes_b": sum(v["details"]["volume"]["size_b"] for v in volumes) or None,
        "instance_type": rng.choice(INSTANCE_TYPES[account["provider"]]),
        "state": state,
        "provider_state": PROVIDER_STATES[account["provider"]][state],
        "ip_addresses": ip_addresses(rng, networks),
        "image_detail": dict(
            zip(("id", "name", "architecture", "distribution", "type", "version"), image, strict=True)
        )
        if image
        else None,
    }
    roll = rng.random()
    if roll < 0.85:
        details["is_virtual"] = roll < 0.8
    if rng.random() < 0.2:
        details["template"] = rng.choice(("base-linux", "hardened-windows", "k8s-node"))
    return details


def build_server(
    rng, account: dict, rid: str, n: int, networks: list[dict], volumes: list[dict], dangling: bool
) -> dict:
    """A server connected to its volumes and network(s); `dangling` adds a volume id that is not listed."""
    details = server_details(rng, account, networks, volumes)
    volume_ids = [v["id"] for v in volumes] + (["vol-99999"] if dangling else [])
    links = connections_of(network=[x["id"] for x in networks], volume=volume_ids)
    return resource(
        "server", rid, name_for(rng, account, "vm", n), rng, account, connections=links, details=details
    )


def build_appliance(rng, account: dict, rid: str, n: int, networks: list[dict], dangling: bool) -> dict:
    """An appliance (type_id from the documented list) connected to networks, some to a missing one."""
    details = {
        "type_id": rng.choice(("firewall", "load_balancer", "router", "switch", "storage", "kvm", "unknown"))
    }
    if rng.random() < 0.3:
        details["family"] = rng.choice(("FortiGate", "F5 BIG-IP", "Cisco ISR"))
    network_ids = [x["id"] for x in networks] + (["net-09999"] if dangling else [])
    links = connections_of(network=network_ids)
    return resource(
        "appliance", rid, name_for(rng, account, "fw", n), rng, account, connections=links, details=details
    )


def build_service_offering(rng, account: dict, rid: str, n: int) -> dict:
    """A service offering (free-text type_id)."""
    details = {"type_id": rng.choice(("database", "object-storage", "backup", "dns", "cdn"))}
    return resource("service_offering", rid, name_for(rng, account, "svc", n), rng, account, details=details)


def build_compute_pool(rng, account: dict, rid: str, n: int) -> dict:
    """A compute pool: cpu_hz, memory_b, storage_b, and billing_tag for some."""
    details = {
        "cpu_hz": rng.choice((20, 40, 80)) * 2_500_000_000,
        "memory_b": rng.choice((64, 128, 256)) * GIB,
        "storage_b": rng.choice((1, 2, 4)) * 1024 * GIB,
    }
    if rng.random() < 0.6:
        details["billing_tag"] = f"pool-{rng.randrange(100, 1000)}"
    return resource("compute_pool", rid, name_for(rng, account, "pool", n), rng, account, details=details)


def build_saas_user(rng, account: dict, rid: str, n: int) -> dict:
    """A SaaS user (every key the library emits; some null)."""
    owner = f"{rng.choice(OWNERS)}{n}"
    quota = rng.choice((None, 15, 50, 100))
    quota = quota * GIB if quota else None
    details = {
        "avatar_url": f"https://avatars.example/{owner}.png" if rng.random() < 0.5 else None,
        "phone": f"+44 20 7946 {rng.randrange(1000, 10000)}" if rng.random() < 0.6 else None,
        "address": None,
        "is_active": rng.random() < 0.85,
        "disk_quota_b": quota,
        "disk_used_b": rng.randrange(0, quota) if quota else None,
        "email": f"{owner}@{account['domain']}",
        "country": rng.choice(("GB", "FR", "DE", "US")),
        "language": rng.choice(("en", "fr", "de")),
    }
    return resource(
        "saas_user", rid, f"{owner.capitalize()} ({account['prefix']})", rng, account, details=details
    )


def build_colo_space(rng, account: dict, rid: str, n: int) -> dict:
    """A colocation space (cage, rack or suite)."""
    details = {
        "power_allocation_w": rng.choice((2000, 4000, 8000)),
        "type_id": rng.choice(("cage", "rack", "suite")),
        "colo_space_location": f"Hall {rng.randint(1, 4)} / Row {rng.choice('ABCDEF')}",
        "customer_name": account["name"],
        "customer_label": f"{account['prefix'].upper()}-CAGE-{n}",
        "customer_description": rng.choice(("Primary cage", "DR rack", None)),
        "combination": f"{rng.randrange(10000):04d}",
    }
    return resource("colo_space", rid, name_for(rng, account, "colo", n), rng, account, details=details)


def build_circuit(rng, account: dict, rid: str, n: int) -> dict:
    """A circuit between two sites."""
    a, b = rng.sample(SITES, 2)
    details = {
        "type_id": rng.choice(("mpls", "internet", "ethernet")),
        "carrier": rng.choice(("NTT", "Colt", "Lumen")),
        "reference": f"CKT-{rng.randrange(10**5):05d}",
        "endpoint_a": a[0][1],
        "endpoint_b": b[0][1],
    }
    return resource("circuit", rid, name_for(rng, account, "link", n), rng, account, details=details)


SIMPLE_BUILDERS = {
    "network": build_network,
    "volume": build_volume,
    "service_offering": build_service_offering,
    "compute_pool": build_compute_pool,
    "saas_user": build_saas_user,
    "colo_space": build_colo_space,
    "circuit": build_circuit,
}


def rid_for(rtype: str, n: int) -> str:
    """The upstream id of the n-th resource of a type: `srv-00001` (the same in every account)."""
    return f"{ID_PREFIX[rtype]}-{n:05d}"


def now_stamp() -> str:
    """The wall clock as the library stamps `last_seen_at` (also the creation time of live arrivals)."""
    return convert_datetime(datetime.now(UTC))
