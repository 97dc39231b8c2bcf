"""factory-boy factories for every inventory model (`from tests.inventory import factories`).

A resource is built as the nflex library serializes one (`/work/shared/upstream/nflex-samples`,
`all_types.json`): `payload` holds `{id, type, base, connections, metadata, details}` and the
typed columns hold what a sync reads from it; its key is `Resource.key(source, type, id)`.
The sync's own mapper is the lead's; these rows are written directly, so a test sets the
columns it filters on. Child rows (metadata, addresses, connections) are separate factories,
keyed as the sync keys them (`<resource key>|<kind>|...`), each linked to its resource.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import factory
from factory.django import DjangoModelFactory

from inventory.models import (
    InventorySource,
    MetricMapping,
    MetricSample,
    Resource,
    ResourceAddress,
    ResourceConnection,
    ResourceMetadata,
)

BASE_TIME = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)

PARIS = {
    "location": {"id": "loc-1", "name": "DC Paris 1", "latitude": 48.86, "longitude": 2.39},
    "city": {"name": "Paris"},
    "state": {"id": "IDF", "name": "Ile-de-France"},
    "country": {"id": "FR", "name": "France"},
    "region": {"name": "Europe"},
    "type": "provider",
}

# `details.<type>` of every nflex type, as the library's all_types sample has it.
DETAILS = {
    "appliance": {"type_id": "firewall"},
    "network": {},
    "server": {
        "cpu_cores": 4,
        "cpu_hz": 2500000000,
        "ram_b": 8589934592,
        "volumes_b": 107374182400,
        "instance_type": "m5.xlarge",
        "state": "running",
        "provider_state": "poweredOn",
        "ip_addresses": [{"ip_address": "10.0.0.5", "network": {"id": "network-1", "name": "Network 1"}}],
        "image_detail": {
            "id": "ami-123",
            "name": "Ubuntu 16.04 LTS",
            "architecture": "x86_64",
            "distribution": "Ubuntu",
            "type": "Linux",
            "version": "16.04",
        },
        "is_virtual": True,
    },
    "volume": {"encrypted": True, "iops": 3000, "size_b": 53687091200, "zone_name": "eu-west-1a"},
    "service_offering": {"type_id": "database"},
    "compute_pool": {
        "cpu_hz": 10000000000,
        "memory_b": 68719476736,
        "storage_b": 1000000000000,
        "billing_tag": "pool-tag-1",
    },
    "saas_user": {
        "avatar_url": "https://example.com/a.png",
        "phone": "+33 1 23 45 67 89",
        "address": "1 Rue Example, Paris",
        "is_active": True,
        "disk_quota_b": 10000000000,
        "disk_used_b": 1000000000,
        "email": "user@example.com",
        "country": "FR",
        "language": "fr",
    },
    "colo_space": {
        "power_allocation_w": 4000,
        "type_id": "cage",
        "colo_space_location": "Hall 2 / Row B",
        "customer_name": "ACME",
        "customer_label": "ACME-CAGE-1",
        "customer_description": "Primary cage",
        "combination": "1234",
    },
    "circuit": {
        "type_id": "mpls",
        "carrier": "NTT",
        "reference": "CKT-0001",
        "endpoint_a": "Paris DC1",
        "endpoint_b": "London DC2",
    },
}


class InventorySourceFactory(DjangoModelFactory):
    """A source of the sandbox kind that read completely once."""

    class Meta:
        model = InventorySource

    name = factory.Sequence(lambda n: f"source-{n}")
    kind = "sandbox"
    parameters = factory.LazyFunction(lambda: {"url": "http://cmp.example/api"})
    status = "ok"
    last_run_at = BASE_TIME
    last_success_at = BASE_TIME
    last_complete_at = BASE_TIME


def _columns(type_: str, details: dict) -> dict:
    """The typed columns a sync reads from a type's details."""
    columns = {}
    if type_ == "server":
        columns = {
            "cpu_cores": details.get("cpu_cores"),
            "cpu_hz": details.get("cpu_hz"),
            "ram_b": details.get("ram_b"),
            "instance_type": details.get("instance_type") or "",
            "state": details.get("state") or "",
            "provider_state": details.get("provider_state") or "",
            "is_virtual": details.get("is_virtual"),
            "image": (details.get("image_detail") or {}).get("name") or "",
        }
    elif type_ == "volume":
        columns = {
            "encrypted": details.get("encrypted"),
            "iops": details.get("iops"),
            "size_b": details.get("size_b"),
            "zone": details.get("zone_name") or "",
        }
    elif type_ == "saas_user":
        columns = {"state": "active" if details.get("is_active") else "inactive"}
    elif "type_id" in details:
        columns = {"type_id": details["type_id"]}
    return columns


class ResourceFactory(DjangoModelFactory):
    """A resource of a source, by default a server in Paris; `ResourceFactory(type="volume")`
    takes that type's sample details; pass a column to set it (it wins over the details)."""

    class Meta:
        model = Resource

    class Params:
        connections = factory.LazyFunction(dict)
        metadata = factory.LazyFunction(dict)

    source = factory.SubFactory(InventorySourceFactory)
    type = "server"
    upstream_id = factory.Sequence(lambda n: f"res-{n}")
    name = factory.LazyAttribute(lambda o: f"{o.type} {o.upstream_id}")
    account = "account-1"
    region = "Europe"
    country = "FR"
    location = "DC Paris 1"
    locations = factory.LazyFunction(lambda: [dict(PARIS)])
    provider_created_at = datetime(2017, 2, 4, 8, 20, 30, tzinfo=UTC)
    native_portal_link = factory.LazyAttribute(
        lambda o: f"https://portal.example.com/{o.type}/{o.upstream_id}"
    )
    details = factory.LazyAttribute(lambda o: dict(DETAILS.get(o.type, {})))
    base = factory.LazyAttribute(
        lambda o: {
            "name": o.name,
            "provider_created_at": "2017-02-04T08:20:30Z",
            "native_portal_link": o.native_portal_link,
            "locations": o.locations,
        }
    )
    first_seen_at = BASE_TIME
    last_seen_at = BASE_TIME

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        connections = kwargs.pop("connections", {})
        metadata = kwargs.pop("metadata", {})
        source = kwargs["source"]
        fields = {**_columns(kwargs["type"], kwargs.get("details") or {}), **kwargs}
        fields["id"] = Resource.key(source.pk, fields["type"], fields["upstream_id"])
        fields["payload"] = {
            "id": fields["upstream_id"],
            "type": fields["type"],
            "base": fields["base"],
            "connections": connections,
            "metadata": metadata,
            "details": {fields["type"]: fields["details"]},
        }
        obj = model_class(**fields)
        obj.save(force_insert=True)
        return obj


class ResourceMetadataFactory(DjangoModelFactory):
    """One metadata value of a resource."""

    class Meta:
        model = ResourceMetadata

    resource = factory.SubFactory(ResourceFactory)
    namespace = "provider_specific"
    key = factory.Sequence(lambda n: f"key{n}")
    value = "value"
    value_text = factory.LazyAttribute(lambda o: o.value if isinstance(o.value, str) else str(o.value))
    id = factory.LazyAttribute(lambda o: f"{o.resource.pk}|m|{o.namespace}|{o.key}")
    payload = factory.LazyAttribute(lambda o: {o.namespace: {o.key: o.value}})


class ResourceAddressFactory(DjangoModelFactory):
    """An IP address of a server."""

    class Meta:
        model = ResourceAddress

    resource = factory.SubFactory(ResourceFactory)
    ip_address = factory.Sequence(lambda n: f"10.0.{n // 250}.{n % 250 + 1}")
    network_id = "network-1"
    network_name = "Network 1"
    description = "private"
    id = factory.LazyAttribute(lambda o: f"{o.resource.pk}|ip|{o.ip_address}")
    payload = factory.LazyAttribute(lambda o: {"ip_address": o.ip_address, "description": o.description})


class ResourceConnectionFactory(DjangoModelFactory):
    """A connection from a resource to another of its source (`to=` a Resource, or a dangling
    `target_upstream_id` of `target_type`)."""

    class Meta:
        model = ResourceConnection
        exclude = ("to",)

    to = None
    resource = factory.SubFactory(ResourceFactory)
    target_type = factory.LazyAttribute(lambda o: o.to.type if o.to else "volume")
    kind = factory.LazyAttribute(lambda o: o.target_type)
    target_upstream_id = factory.LazyAttribute(lambda o: o.to.upstream_id if o.to else "missing-1")
    target_key = factory.LazyAttribute(
        lambda o: Resource.key(o.resource.source_id, o.target_type, o.target_upstream_id)
    )
    id = factory.LazyAttribute(lambda o: f"{o.resource.pk}|c|{o.kind}|{o.target_upstream_id}")
    payload = factory.LazyAttribute(lambda o: {"id": o.target_upstream_id})


class MetricMappingFactory(DjangoModelFactory):
    """A mapping of a raw metric for every source."""

    class Meta:
        model = MetricMapping

    key = factory.Sequence(lambda n: f"raw.metric.{n}")
    name = "cpu-usage"
    unit = "percent"
    conversion_expr = "value * 100"


class MetricSampleFactory(DjangoModelFactory):
    """One sample of a resource's metric."""

    class Meta:
        model = MetricSample

    resource = factory.SubFactory(ResourceFactory)
    metric = "cpu-usage"
    time = factory.Sequence(lambda n: BASE_TIME + timedelta(minutes=5 * n))
    value = 42.0
    unit = "percent"
    # the key the metrics stream gives a sample: (resource, metric, time)
    id = factory.LazyAttribute(
        lambda o: f"{o.resource.pk}|{o.metric}|{round(o.time.timestamp() * 1_000_000)}"
    )
