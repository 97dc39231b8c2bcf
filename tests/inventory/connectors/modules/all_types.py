"""Every nflex resource type with every optional argument set (as nflex-samples/all_types.json).

Appliance, Network, Server, Volume, ServiceOffering, ComputePool, SaasUser, ColoSpace, Circuit
and a base Resource of type "account", each with Connections (every kind), Metadata (three
namespaces), Locations and a Region, a provider_created_at and a native_portal_link; the
server with IpAddress (with and without a network) and an ImageDetail from an ImageDetailMap.
"""

from datetime import datetime, timedelta, timezone

from nflex_connector_utils import (
    Appliance,
    Circuit,
    ColoSpace,
    ComputePool,
    Connections,
    ImageDetail,
    ImageDetailMap,
    IpAddress,
    Locations,
    Metadata,
    Network,
    Region,
    Resource,
    SaasUser,
    Server,
    ServiceOffering,
    Volume,
    serialize_list,
)

CREATED = datetime(2017, 2, 4, 13, 50, 30, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30)))
PARIS = {
    "location": {"id": "loc-1", "name": "DC Paris 1", "latitude": 48.86, "longitude": 2.39},
    "city": {"name": "Paris"},
    "state": {"id": "IDF", "name": "Ile-de-France"},
    "country": {"id": "FR", "name": "France"},
    "region": {"name": "Europe"},
    "type": "provider",
}


def _common(kind, index=1):
    ident = f"{kind}-{index}"
    return {
        "id": ident,
        "name": f"{kind.replace('_', ' ').title()} {index}",
        "provider_created_at": CREATED,
        "native_portal_link": f"https://portal.example.com/{kind}/{ident}",
        "region": Region("region-1"),
        "locations": Locations([PARIS]),
        "connections": Connections(type="compute_pool", connections=["cp-1"])
        .add(appliances=["appliance-1"])
        .add(servers=["server-1"])
        .add(networks=["network-1"])
        .add(volumes=["volume-1"]),
        "metadata": Metadata([("key1", "value1"), ("provider_metadata", "tags", {"env": "prod"})]).add(
            "owner", "ops", namespace="default"
        ),
    }


IMAGES = ImageDetailMap({"ami-123": ("Ubuntu 16.04 LTS", "Linux", "Ubuntu", "16.04", "x86_64")})


def get(event, context):
    """One of each type, all optional arguments set."""
    return serialize_list(
        [
            Appliance(type_id="firewall", size_b=1024, **_common("appliance")),
            Network(**_common("network")),
            Server(
                cpu_cores=4,
                cpu_hz=2_500_000_000,
                ram_b=8 * 1024**3,
                volumes_b=100 * 1024**3,
                instance_type="m5.xlarge",
                state="running",
                provider_state="poweredOn",
                is_virtual=True,
                image_detail=IMAGES.get("ami-123"),
                ip_addresses=[
                    IpAddress(
                        ip_address="10.0.0.5",
                        network_id="network-1",
                        network_name="Network 1",
                        description="private",
                    ),
                    IpAddress(ip_address="203.0.113.7", description="public"),
                ],
                **_common("server"),
            ),
            Server(
                image_detail=ImageDetail(
                    id="image-2",
                    name="Debian",
                    type="Linux",
                    distribution="Debian",
                    version="12",
                    architecture="arm64",
                ),
                **_common("server", 2),
            ),
            Volume(
                size_b=50 * 1024**3, encrypted=True, iops="3000", zone_name="eu-west-1a", **_common("volume")
            ),
            ServiceOffering(type_id="database", **_common("service_offering")),
            ComputePool(
                cpu_hz=10_000_000_000,
                memory_b=64 * 1024**3,
                storage_b=10**12,
                billing_tag="pool-tag-1",
                **_common("compute_pool"),
            ),
            SaasUser(
                avatar_url="https://example.com/a.png",
                phone="+33 1 23 45 67 89",
                address="1 Rue Example, Paris",
                is_active=True,
                disk_quota_b=10**10,
                disk_used_b=10**9,
                email="user@example.com",
                country="FR",
                language="fr",
                **_common("saas_user"),
            ),
            ColoSpace(
                power_allocation_w=4000,
                type_id="cage",
                colo_space_location="Hall 2 / Row B",
                customer_name="ACME",
                customer_label="ACME-CAGE-1",
                customer_description="Primary cage",
                combination="1234",
                **_common("colo_space"),
            ),
            Circuit(
                type_id="mpls",
                carrier="NTT",
                reference="CKT-0001",
                endpoint_a="Paris DC1",
                endpoint_b="London DC2",
                **_common("circuit"),
            ),
            Resource(type="account", id="account-1", name="Account 1", region=Region("eu-west-1")),
        ]
    )
