"""The CMP feed over real HTTP: accounts, paging and its headers, the nflex shape of every type,
ids shared by two accounts, authentication and the feed's error bodies."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.inventory.sandbox.cmp_feed import LIMITED, feed_get, listing
from tests.paths import shared_dir

TYPES = {
    "account",
    "appliance",
    "network",
    "server",
    "volume",
    "service_offering",
    "compute_pool",
    "saas_user",
    "colo_space",
    "circuit",
}
SAMPLE_CLASS = {
    "appliance": "Appliance",
    "network": "Network",
    "server": "Server",
    "volume": "Volume",
    "service_offering": "ServiceOffering",
    "compute_pool": "ComputePool",
    "saas_user": "SaasUser",
    "colo_space": "ColoSpace",
    "circuit": "Circuit",
}
# Details keys the library emits only when given (the rest always), and the extras we add.
OPTIONAL_DETAILS = {"server": {"is_virtual"}, "volume": {"zone_name"}, "compute_pool": {"billing_tag"}}
EXTRA_DETAILS = {"server": {"template"}, "appliance": {"family"}}
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?Z$")


@pytest.fixture(scope="module")
def samples():
    return json.loads((shared_dir() / "upstream" / "nflex-samples" / "all_types.json").read_text())


def test_accounts_list_both_accounts_with_their_resource_counts(cmp):
    response = feed_get(cmp, "/accounts")
    assert response.status_code == 200
    accounts = response.json()
    assert [a["id"] for a in accounts] == ["acc-1", "acc-2"]
    for account in accounts:
        assert set(account) == {"id", "name", "resources"}
        assert account["resources"] == len(listing(cmp, account["id"]))
    assert accounts[0]["name"] != accounts[1]["name"]


def test_pages_cover_the_listing_in_type_then_id_order_with_headers(cmp):
    full = listing(cmp, "acc-1")
    assert [(d["type"], d["id"]) for d in full] == sorted((d["type"], d["id"]) for d in full)
    pages, page = [], 1
    while True:
        response = feed_get(cmp, "/accounts/acc-1/resources", page=page, per_page=7)
        assert response.status_code == 200
        assert response.headers["x-total-count"] == str(len(full))
        assert response.headers["x-page"] == str(page)
        assert response.headers["x-per-page"] == "7"
        batch = response.json()
        if not batch:
            break
        pages.append(batch)
        page += 1
    assert all(len(p) == 7 for p in pages[:-1]) and 1 <= len(pages[-1]) <= 7
    assert [(d["type"], d["id"]) for p in pages for d in p] == [(d["type"], d["id"]) for d in full]


def test_page_defaults_and_the_page_size_is_clamped(cmp):
    response = feed_get(cmp, "/accounts/acc-1/resources")
    assert (response.headers["x-page"], response.headers["x-per-page"]) == ("1", "100")
    clamped = feed_get(cmp, "/accounts/acc-1/resources", per_page=5000)
    assert clamped.status_code == 200
    assert clamped.headers["x-per-page"] == "1000"
    past = feed_get(cmp, "/accounts/acc-1/resources", page=99, per_page=50)
    assert past.status_code == 200 and past.json() == []
    assert past.headers["x-total-count"] == response.headers["x-total-count"]


@pytest.mark.parametrize("params", [{"page": "0"}, {"page": "x"}, {"per_page": "-1"}, {"per_page": "1.5"}])
def test_a_bad_page_query_is_400_in_the_feed_body(cmp, params):
    response = feed_get(cmp, "/accounts/acc-1/resources", **params)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "BadRequest" and next(iter(params)) in body["message"]


def test_every_type_is_present_in_each_account_with_the_library_shape(cmp, samples):
    for account in ("acc-1", "acc-2"):
        docs = listing(cmp, account)
        assert {d["type"] for d in docs} == TYPES
        for doc in docs:
            _check_shape(doc, samples)


def _check_shape(doc: dict, samples: dict) -> None:
    rtype = doc["type"]
    base = doc["base"]
    assert isinstance(doc["id"], str) and doc["id"]
    assert list(base)[:3] == ["name", "provider_created_at", "last_seen_at"]
    assert ("locations" in base) != ("regions" in base)
    assert set(base) - {"locations", "regions"} <= {
        "name",
        "provider_created_at",
        "last_seen_at",
        "native_portal_link",
    }
    assert STAMP.match(base["last_seen_at"])
    assert base["provider_created_at"] is None or STAMP.match(base["provider_created_at"])
    assert isinstance(doc["connections"], dict) and isinstance(doc["metadata"], dict)
    if "locations" in base:
        assert base["locations"] and all(loc["type"] in ("provider", "customer") for loc in base["locations"])
    if rtype == "account":
        assert list(doc) == ["id", "type", "base", "connections", "metadata"]
        return
    assert list(doc) == ["id", "type", "base", "connections", "metadata", "details"]
    sample = samples[SAMPLE_CLASS[rtype]]
    assert set(doc) == set(sample)
    keys, sample_keys = set(doc["details"][rtype]), set(sample["details"][rtype])
    assert list(doc["details"]) == [rtype]
    assert sample_keys - OPTIONAL_DETAILS.get(rtype, set()) <= keys, rtype
    assert keys - sample_keys <= EXTRA_DETAILS.get(rtype, set()), rtype


def test_the_listing_carries_the_variety_a_real_connector_sends(cmp):
    docs = listing(cmp, "acc-1") + listing(cmp, "acc-2")
    servers = [d for d in docs if d["type"] == "server"]
    assert {"locations", "regions"} <= {k for d in docs for k in d["base"]}
    assert any(d["base"].get("regions") == [] for d in docs)
    assert any(d["base"].get("regions") for d in docs)
    assert any(d["base"]["provider_created_at"] is None for d in docs)
    assert any("native_portal_link" in d["base"] for d in docs)
    assert any("template" in d["details"]["server"] for d in servers)
    assert any("is_virtual" not in d["details"]["server"] for d in servers)
    assert len({d["details"]["server"]["state"] for d in servers}) >= 2
    ips = [ip for d in servers for ip in d["details"]["server"]["ip_addresses"]]
    assert any("network" in ip for ip in ips) and any("network" not in ip for ip in ips)
    assert all(1 <= len(d["details"]["server"]["ip_addresses"]) <= 3 for d in servers)
    namespaces = {ns for d in docs for ns in d["metadata"]}
    assert {"default", "provider_specific", "provider_metadata"} <= namespaces
    assert any(isinstance(d["metadata"].get("provider_specific", {}).get("tags"), list) for d in docs)


def test_connections_link_servers_and_appliances_some_dangling(cmp):
    docs = listing(cmp, "acc-1")
    listed = {(d["type"], d["id"]) for d in docs}
    servers = [d for d in docs if d["type"] == "server"]
    assert all(set(d["connections"]) <= {"network", "volume"} for d in servers)
    assert any("volume" in d["connections"] for d in servers)
    assert all("network" in d["connections"] for d in servers)
    appliances = [d for d in docs if d["type"] == "appliance"]
    assert all(set(d["connections"]) == {"network"} for d in appliances)
    links = [(kind, item["id"]) for d in docs for kind, items in d["connections"].items() for item in items]
    assert any(link in listed for link in links)
    assert any(link not in listed for link in links)  # dangling: points to an id that is not listed


def test_two_accounts_share_upstream_ids_with_different_contents(cmp):
    one = {(d["type"], d["id"]): d for d in listing(cmp, "acc-1")}
    two = {(d["type"], d["id"]): d for d in listing(cmp, "acc-2")}
    shared = set(one) & set(two)
    assert ("server", "srv-00001") in shared and len(shared) >= 20
    assert all(one[k]["base"]["name"] != two[k]["base"]["name"] for k in shared if k[0] != "account")
    assert one[("server", "srv-00001")]["details"] != two[("server", "srv-00001")]["details"]


def test_last_seen_at_is_the_time_of_the_answer(cmp):
    before = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=1)
    docs = listing(cmp, "acc-1")
    after = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=1)
    stamps = {d["base"]["last_seen_at"] for d in docs}
    assert len(stamps) == 1
    (stamp,) = stamps
    seen = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ" if "." in stamp else "%Y-%m-%dT%H:%M:%SZ")
    assert before <= seen <= after


@pytest.mark.parametrize("path", ["/accounts", "/accounts/acc-1/resources", "/accounts/acc-1/metrics"])
def test_a_missing_or_wrong_token_is_401_and_the_limited_one_403(cmp, path):
    for token in (None, "nope", ""):
        response = feed_get(cmp, path, token)
        assert response.status_code == 401
        assert response.json() == {"error": "InvalidCredentials", "message": "Invalid Credentials"}
    response = feed_get(cmp, path, LIMITED)
    assert response.status_code == 403
    assert response.json() == {"error": "InsufficientPermission", "message": "Insufficient permission"}


def test_an_unknown_account_path_or_method_answers_in_the_feed_body(cmp):
    for path in ("/accounts/acc-9/resources", "/accounts/acc-9/metrics"):
        response = feed_get(cmp, path, since="2026-01-01T00:00:00Z", until="2026-01-01T01:00:00Z")
        assert response.status_code == 404
        assert response.json()["error"] == "NotFound" and "acc-9" in response.json()["message"]
    unknown = feed_get(cmp, "/nothing/here")
    assert unknown.status_code == 404 and set(unknown.json()) == {"error", "message"}
    import requests  # noqa: PLC0415 - only this test writes

    post = requests.post(
        f"{cmp.cmp_url}/accounts", headers={"Authorization": "Bearer sandbox-cmp-token"}, timeout=10
    )
    assert post.status_code == 405 and post.json()["error"] == "MethodNotAllowed"
