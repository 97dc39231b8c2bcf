"""The seeded resources against nflex_connector_utils itself: every resource, rebuilt with the
library's classes from its own values, serializes to the same document (but `last_seen_at`,
which the library stamps, and the extra details keys real connectors add); the seed is
deterministic and cheap."""

import time

import nflex_connector_utils as nflex

from channelhub.sandbox.store import Store
from inventory.sandbox import seed, world
from inventory.sandbox.state import COLLECTIONS, CmpState

CLASSES = {
    "appliance": nflex.Appliance,
    "network": nflex.Network,
    "server": nflex.Server,
    "volume": nflex.Volume,
    "service_offering": nflex.ServiceOffering,
    "compute_pool": nflex.ComputePool,
    "saas_user": nflex.SaasUser,
    "colo_space": nflex.ColoSpace,
    "circuit": nflex.Circuit,
}


def _connections(doc: dict):
    links = doc["connections"]
    ids = {
        kind: [item["id"] for item in links.get(kind, [])]
        for kind in ("appliance", "server", "network", "volume")
    }
    return nflex.Connections(
        appliances=ids["appliance"], servers=ids["server"], networks=ids["network"], volumes=ids["volume"]
    )


def _metadata(doc: dict):
    values = [(ns, key, value) for ns, entries in doc["metadata"].items() for key, value in entries.items()]
    return nflex.Metadata(values)


def _details_args(rtype: str, details: dict) -> dict:
    args = {k: v for k, v in details.items() if k not in world.EXTRA_DETAIL_KEYS.get(rtype, ())}
    if rtype == "server":
        args["ip_addresses"] = [
            nflex.IpAddress(
                ip_address=ip.get("ip_address"),
                network_id=ip.get("network", {}).get("id"),
                network_name=ip.get("network", {}).get("name"),
                description=ip.get("description"),
            )
            for ip in details["ip_addresses"]
        ]
        image = details["image_detail"]
        args["image_detail"] = nflex.ImageDetail(**image) if image else None
    return args


def rebuild(doc: dict) -> dict:
    """The library's serialization of a resource with the same values as `doc`."""
    base = doc["base"]
    common = {
        "id": doc["id"],
        "name": base["name"],
        "provider_created_at": base["provider_created_at"],
        "native_portal_link": base.get("native_portal_link"),
        "connections": _connections(doc),
        "metadata": _metadata(doc),
        "region": nflex.Region(base["regions"][0]["id"]) if base.get("regions") else None,
        "locations": nflex.Locations(base["locations"]) if base.get("locations") else None,
    }
    if doc["type"] == "account":
        return nflex.Resource(type="account", **common).serialize()
    rtype = doc["type"]
    return CLASSES[rtype](**common, **_details_args(rtype, doc["details"][rtype])).serialize()


def _strip(doc: dict) -> dict:
    base = {k: v for k, v in doc["base"].items() if k != "last_seen_at"}
    out = {**doc, "base": base}
    if "details" in doc:
        rtype = doc["type"]
        extras = world.EXTRA_DETAIL_KEYS.get(rtype, ())
        out["details"] = {rtype: {k: v for k, v in doc["details"][rtype].items() if k not in extras}}
    return out


def test_every_seeded_resource_is_what_the_library_serializes():
    _, resources = seed.build_world(5, 60)
    checked = set()
    for docs in resources.values():
        for doc in docs:
            ours = _strip(doc)
            theirs = _strip(rebuild(doc))
            assert ours == theirs, doc["id"]
            assert list(ours) == list(theirs) and list(ours["base"]) == list(theirs["base"])
            if "details" in doc:
                assert list(ours["details"][doc["type"]]) == list(theirs["details"][doc["type"]])
            checked.add(doc["type"])
    assert checked == set(world.TYPES)


def test_the_extra_details_keys_are_really_there():
    _, resources = seed.build_world(5, 60)
    docs = [d for docs in resources.values() for d in docs]
    for rtype, extras in world.EXTRA_DETAIL_KEYS.items():
        assert any(set(extras) & set(d["details"][rtype]) for d in docs if d["type"] == rtype), rtype


def test_the_seed_is_deterministic_per_seed_and_scale():
    assert seed.build_world(5, 40) == seed.build_world(5, 40)
    assert seed.build_world(5, 40) != seed.build_world(6, 40)


def test_every_type_is_present_at_scale_one_and_scale_is_respected():
    for scale in (1, 2, 10):
        _, resources = seed.build_world(1, scale)
        for docs in resources.values():
            assert {d["type"] for d in docs} == set(world.TYPES)
    _, resources = seed.build_world(1, 200)
    assert all(180 <= len(docs) <= 220 for docs in resources.values())


def test_seeding_two_accounts_of_a_hundred_is_cheap(tmp_path):
    state = CmpState()
    state.bind(tmp_path / "sandbox.sqlite3")  # no shared state beside it: seed 1, scale 50
    started = time.monotonic()
    pristine = state.ensure_pristine(9, 100)
    assert time.monotonic() - started < 1.0
    assert pristine == state.pristine_path(9, 100) and pristine.exists()
    with Store(pristine, COLLECTIONS).session() as session:
        assert session.scalar("SELECT COUNT(*) FROM cmp_resources") >= 190
        assert session.meta("cmp")["seed"] == 9
