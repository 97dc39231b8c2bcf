"""The inventory read API (/api/v1/inventory/...): resources in our JSON with their children,
every filter (one match and one miss each), sources with their secrets censored, metric
samples, permissions, paging and flat query counts."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from channelhub import registry
from inventory.filters import ResourceFilters
from inventory.models import Resource
from tests.fulfillment.search_plans import SQLITE_PLANS_ONLY, assert_index_serves, sqlite_plan

from . import factories as f
from .endpoints import ENDPOINTS

pytestmark = pytest.mark.django_db

T0 = f.BASE_TIME
URL = "/api/v1/inventory/resources"


def bearer(plain: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return client


def ids(response) -> set[str]:
    assert response.status_code == 200, response.content[:500]
    return {o["id"] for o in response.json()}


@pytest.fixture
def world():
    """Two resources that differ in every filtered column: A a live server of `alpha` with an
    IP address and metadata, B a gone volume of `beta` (whose source read again later)."""
    alpha = f.InventorySourceFactory(name="alpha", last_complete_at=T0 + timedelta(days=2))
    beta = f.InventorySourceFactory(name="beta", last_complete_at=T0 + timedelta(days=5))
    a = f.ResourceFactory(
        source=alpha,
        type="server",
        upstream_id="srv-a",
        name="web-1",
        account="acc-a",
        region="Europe",
        country="FR",
        last_seen_at=T0,
    )
    b = f.ResourceFactory(
        source=beta,
        type="volume",
        upstream_id="vol-b",
        name="data-1",
        account="acc-b",
        region="Asia",
        country="JP",
        provider_created_at=T0.replace(year=2020),
        last_seen_at=T0 + timedelta(days=1),
        gone_at=T0 + timedelta(days=1),
        gone_reason="deleted",
    )
    f.ResourceAddressFactory(resource=a, ip_address="10.0.0.5")
    f.ResourceMetadataFactory(resource=a, namespace="provider_specific", key="env", value="prod")
    return {"a": a, "b": b}


def test_the_mount_is_in_the_registry_and_the_api_root(api):
    assert "inventory" in [m.prefix for m in registry.api_mounts()]
    root = api.get("/api/v1/").json()
    assert set(root["inventory"]) == {"resources", "sources", "metrics"}
    for name, link in root["inventory"].items():
        assert link.endswith(f"/api/v1/inventory/{name}") and api.get(link).status_code == 200


def test_a_resource_in_our_json_with_its_children_and_connections(api, world):
    a, b = world["a"], world["b"]
    f.ResourceMetadataFactory(resource=a, namespace="provider_metadata", key="tags", value={"team": "ops"})
    disk = f.ResourceFactory(source=a.source, type="volume", upstream_id="vol-a")
    f.ResourceConnectionFactory(resource=a, to=disk, kind="volume")  # mirrored: its key
    f.ResourceConnectionFactory(resource=a, to=b, kind="volumes")  # another source's id: not ours
    f.ResourceConnectionFactory(resource=a, target_type="network", kind="network", target_upstream_id="net-x")
    body = api.get(f"{URL}/{a.pk}").json()
    assert body["id"] == a.pk == Resource.key(a.source_id, "server", "srv-a")
    assert body["source"] == "alpha" and body["type"] == "server" and body["upstream_id"] == "srv-a"
    assert body["cpu_cores"] == 4 and body["ram_b"] == 8589934592 and body["state"] == "running"
    assert body["details"]["instance_type"] == "m5.xlarge" and body["base"]["name"] == "web-1"
    assert body["metadata"] == {
        "provider_specific": {"env": "prod"},
        "provider_metadata": {"tags": {"team": "ops"}},
    }
    assert body["ip_addresses"] == [
        {
            "ip_address": "10.0.0.5",
            "network_id": "network-1",
            "network_name": "Network 1",
            "description": "private",
        }
    ]
    assert sorted(body["connections"], key=lambda c: c["kind"]) == [
        {"kind": "network", "target_type": "network", "target_id": "net-x", "target": None},
        {"kind": "volume", "target_type": "volume", "target_id": "vol-a", "target": disk.pk},
        {"kind": "volumes", "target_type": "volume", "target_id": "vol-b", "target": None},
    ]
    # A live resource was last seen by its source's last complete pass; a gone one when it went.
    assert body["last_seen"].startswith("2024-03-03T09:00") and body["gone_at"] is None
    assert body["first_seen"].startswith("2024-03-01T09:00")
    gone = api.get(f"{URL}/{b.pk}").json()
    assert gone["last_seen"].startswith("2024-03-02T09:00") and gone["gone_reason"] == "deleted"
    assert "payload" not in body
    assert api.get(f"{URL}/{a.pk}/").status_code == 200
    assert api.get(f"{URL}/nope").status_code == 404


def test_a_key_with_a_slash_in_its_upstream_id_is_reachable(api):
    r = f.ResourceFactory(upstream_id="/subscriptions/x/vm-1")
    assert api.get(f"{URL}/{r.pk}").json()["upstream_id"] == "/subscriptions/x/vm-1"


# (query, the resources it finds): each filter once matching, once missing (or the other one).
FILTER_CASES = [
    ("eq(type,server)", {"a"}),
    ("eq(type,circuit)", set()),
    ("in(type,(server,volume))", {"a", "b"}),
    ("eq(source,alpha)", {"a"}),
    ("eq(source,nope)", set()),
    ("eq(account,acc-a)", {"a"}),
    ("ne(account,acc-a)", {"b"}),
    ("eq(region,Europe)", {"a"}),
    ("eq(region,Mars)", set()),
    ("eq(country,FR)", {"a"}),
    ("eq(country,DE)", set()),
    ("eq(state,running)", {"a"}),
    ("eq(state,stopped)", set()),
    ("eq(name,web-1)", {"a"}),
    ("like(name,web*)", {"a"}),
    ("like(name,xyz*)", set()),
    ("eq(upstream_id,srv-a)", {"a"}),
    ("eq(upstream_id,nope)", set()),
    ("lt(provider_created_at,2018-01-01T00:00:00Z)", {"a"}),
    ("ge(provider_created_at,2021-01-01T00:00:00Z)", set()),
    ("eq(cpu_cores,4)", {"a"}),
    ("eq(cpu_cores,8)", set()),
    ("ge(ram_b,8589934592)", {"a"}),
    ("gt(ram_b,8589934592)", set()),
    ("eq(size_b,53687091200)", {"b"}),
    ("eq(size_b,1)", set()),
    ("eq(zone,eu-west-1a)", {"b"}),
    ("eq(zone,nowhere)", set()),
    ("eq(encrypted,true)", {"b"}),
    ("eq(encrypted,false)", set()),
    ("eq(gone,true)", {"b"}),
    ("eq(gone,false)", {"a"}),
    ("ne(gone,true)", {"a"}),
    ("eq(gone_at,null())", {"a"}),
    ("ne(gone_at,null())", {"b"}),
    ("eq(ip,10.0.0.5)", {"a"}),
    ("like(ip,10.0.*)", {"a"}),
    ("ne(ip,10.0.0.5)", {"b"}),
    ("eq(ip,192.168.0.1)", set()),
    ("eq(metadata.key,env)", {"a"}),
    ("eq(metadata.key,owner)", set()),
    ("eq(metadata.value,prod)", {"a"}),
    ("like(metadata.value,pr*)", {"a"}),
    ("eq(metadata.value,dev)", set()),
    ("eq(metadata.namespace,provider_specific)", {"a"}),
    ("eq(metadata.namespace,default)", set()),
    # A by its source's pass (day 2), B by when it went (day 1): beta's later pass does not count.
    ("ge(last_seen,2024-03-02T21:00:00Z)", {"a"}),
    ("le(last_seen,2024-03-02T21:00:00Z)", {"b"}),
    ("gt(last_seen,2024-03-04T00:00:00Z)", set()),
    ("lt(last_seen,2024-03-01T00:00:00Z)", set()),
]


@pytest.mark.parametrize("query,expected", FILTER_CASES, ids=[q for q, _ in FILTER_CASES])
def test_each_resource_filter(api, world, query, expected):
    assert ids(api.get(f"{URL}?{query}")) == {world[k].pk for k in expected}


def test_a_live_resource_seen_after_its_sources_pass_is_found_by_its_own_time(api):
    source = f.InventorySourceFactory(last_complete_at=T0)
    late = f.ResourceFactory(source=source, last_seen_at=T0 + timedelta(hours=5))  # written after the pass
    assert ids(api.get(f"{URL}?ge(last_seen,2024-03-01T12:00:00Z)")) == {late.pk}
    assert ids(api.get(f"{URL}?le(last_seen,2024-03-01T12:00:00Z)")) == set()


def test_the_stored_half_of_last_seen_is_served_by_an_index():
    assert_index_serves(Resource.objects.filter(last_seen_at__gte=T0), "last_seen_at")


@SQLITE_PLANS_ONLY
@pytest.mark.parametrize(
    "query", ["ge(last_seen,2024-03-01T12:00:00Z)", "le(last_seen,2024-03-01T12:00:00Z)"]
)
def test_the_last_seen_filter_walks_no_whole_table(query):
    # Its OR (stored time, or the source's last pass for a live resource) is two index searches.
    _, filtered = ResourceFilters(Resource.objects.all()).apply_filters(query)
    plan = sqlite_plan(*filtered.order_by().only("pk").query.sql_with_params())
    assert not [line for line in plan if line.startswith("SCAN ")], plan
    assert any("USING INDEX resource_last_seen" in line for line in plan), plan


@pytest.mark.parametrize(
    "query", ["eq(gone,maybe)", "ge(last_seen,yesterday)", "eq(last_seen,2024-03-01T00:00:00Z)", "eq(nope,1)"]
)
def test_a_bad_filter_value_is_a_400(api, world, query):
    r = api.get(f"{URL}?{query}")
    assert r.status_code == 400, r.content
    assert r.json()["errors"]


# A sample's time is a later column of both its indexes (resource, metric, time) and (metric,
# time): it narrows a resource's or a metric's samples; alone it walks the ordering's index.
LATER_COLUMNS = {("MetricSample", "time")}


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.path != "sources"], ids=str)
def test_every_plain_filter_reads_an_indexed_column(endpoint):
    """Resources and samples are big tables (the sources' is a few rows: not checked)."""
    model = endpoint.filter_cls.MODEL
    indexed = {"id"} | {fld.attname for fld in model._meta.concrete_fields if fld.db_index or fld.unique}
    leading = {model._meta.get_field(i.fields[0].lstrip("-")).attname for i in model._meta.indexes}
    leading |= {model._meta.get_field(c.fields[0]).attname for c in model._meta.constraints}
    instance = endpoint.filter_cls(model.objects.none())
    for name, item in instance.filters.items():
        if item.get("custom"):
            continue  # computed: ip and metadata through the child's index, gone on gone_at
        if (model.__name__, name) in LATER_COLUMNS:
            continue
        route = item["orm_route"].split("__")
        column = model._meta.get_field(route[0])
        assert column.attname in indexed | leading, f"{name} -> {column.attname} has no index"
        if len(route) == 2 and route[1] != "id":
            related = column.related_model._meta
            target = related.get_field(route[1])
            led = {i.fields[0] for i in related.indexes}
            assert target.db_index or target.unique or target.name in led, f"{name} -> {route}"


# --- sources --------------------------------------------------------------------------------

SECRET = "tok-5ecret-9f8e7d"


def test_sources_are_served_with_their_secrets_censored_and_no_traceback(api):
    source = f.InventorySourceFactory(
        name="cmp-prod",
        parameters={
            "url": "https://cmp.example/api",
            "api_token": SECRET,
            "credentials": {"password": "pw-9z9z9z"},
        },
        status="failed",
        last_error=f"login refused for {SECRET}",
        last_traceback="Traceback (most recent call last): boom-in-connector",
        last_logs=[f"using {SECRET}"],
        state={"cursor": SECRET},
        held_run=7,
        held_count=12,
        held_live=20,
    )
    f.ResourceFactory(source=source)
    f.ResourceFactory(source=source)
    f.ResourceFactory(source=source, gone_at=T0)
    f.MetricSampleFactory(resource=f.ResourceFactory(source=source, name=SECRET[:3]))
    listed = api.get("/api/v1/inventory/sources").json()
    body = next(s for s in listed if s["name"] == "cmp-prod")
    assert body["parameters"] == {
        "url": "https://cmp.example/api",
        "api_token": "********",
        "credentials": {"password": "********"},
    }
    assert body["resources"] == 3  # live ones only
    assert body["held"] == 12 and body["status"] == "failed" and "********" in body["last_error"]
    assert set(body) >= {"kind", "description", "enabled", "poll_minutes", "last_run_at", "last_success_at"}
    for url in (
        "/api/v1/inventory/sources",
        f"/api/v1/inventory/sources/{source.pk}",
        URL,
        "/api/v1/inventory/metrics",
    ):
        text = api.get(url).content.decode()
        assert SECRET not in text and "pw-9z9z9z" not in text, url
        assert "boom-in-connector" not in text and "Traceback" not in text, url


def test_source_filters(api):
    ok = f.InventorySourceFactory(name="good", status="ok")
    bad = f.InventorySourceFactory(name="bad", status="failed", enabled=False)
    base = "/api/v1/inventory/sources"
    assert ids(api.get(f"{base}?eq(status,failed)")) == {bad.pk}
    assert ids(api.get(f"{base}?eq(enabled,true)")) == {ok.pk}
    assert ids(api.get(f"{base}?eq(name,good)")) == {ok.pk}
    assert ids(api.get(f"{base}?eq(name,none)")) == set()
    assert [s["name"] for s in api.get(base).json()] == ["bad", "good"]  # by name


# --- metrics --------------------------------------------------------------------------------


def test_metric_samples_and_their_filters(api, world):
    a, b = world["a"], world["b"]
    first = f.MetricSampleFactory(resource=a, metric="cpu", time=T0, value=10.0)
    second = f.MetricSampleFactory(resource=a, metric="cpu", time=T0 + timedelta(hours=1), value=20.0)
    other = f.MetricSampleFactory(resource=b, metric="iops", time=T0, value=300.0, unit="ops")
    base = "/api/v1/inventory/metrics"

    def sample_ids(query):
        r = api.get(f"{base}?{query}")
        assert r.status_code == 200, r.content
        return {o["id"] for o in r.json()}

    body = next(o for o in api.get(base).json() if o["id"] == other.pk)
    assert body == {
        "id": other.pk,
        "resource": b.pk,
        "resource_name": "data-1",
        "metric": "iops",
        "time": "2024-03-01T09:00:00Z",
        "value": 300.0,
        "unit": "ops",
        "counter": False,
        "specialisation": "",
    }
    assert sample_ids(f"eq(resource,{a.pk})") == {first.pk, second.pk}
    assert sample_ids("eq(resource,nope)") == set()
    assert sample_ids("eq(resource.upstream_id,vol-b)") == {other.pk}
    assert sample_ids("eq(resource.upstream_id,nope)") == set()
    assert sample_ids("eq(metric,cpu)") == {first.pk, second.pk}
    assert sample_ids("eq(metric,ram)") == set()
    assert sample_ids("ge(time,2024-03-01T09:30:00Z)") == {second.pk}
    assert sample_ids("le(time,2024-03-01T09:30:00Z)") == {first.pk, other.pk}
    assert sample_ids("gt(time,2024-03-02T00:00:00Z)") == set()


# --- auth, permission, paging, query counts -------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_anonymous_is_refused_and_the_view_permission_is_needed(anon, make_token, endpoint):
    obj = endpoint.make()
    for path in (endpoint.url(), f"{endpoint.url()}/{obj.pk}"):
        assert anon.get(path).status_code == 401, path
    token, plain = make_token(username="nobody", groups=())
    assert bearer(plain).get(endpoint.url()).status_code == 403
    app_label, codename = endpoint.perm.split(".")
    token.user.user_permissions.add(
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
    )
    assert ids(bearer(plain).get(endpoint.url())) == {obj.pk}
    assert bearer(plain).get(f"{endpoint.url()}/{obj.pk}").status_code == 200


def test_the_readonly_role_reads_every_inventory_endpoint(api):
    for endpoint in ENDPOINTS:
        obj = endpoint.make()
        assert obj.pk in ids(api.get(endpoint.url())), endpoint
        assert api.get(f"{endpoint.url()}/{obj.pk}").status_code == 200, endpoint


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_paging_headers_and_pages_that_neither_overlap_nor_skip(api, endpoint):
    rows = [endpoint.make() for _ in range(3)]
    r = api.get(endpoint.url("limit=2"))
    assert r["Content-Range"] == "items 0-1/3" and len(r.json()) == 2
    walked = [o["id"] for o in api.get(endpoint.url("limit=1")).json()]
    walked += [o["id"] for o in api.get(endpoint.url("limit=2&offset=1")).json()]
    assert sorted(walked, key=str) == sorted((o.pk for o in rows), key=str)
    assert api.get(endpoint.url("limit=1001")).json()["error_code"] == "PAGE_001"


def _resource_with_children(n: int):
    source = f.InventorySourceFactory()
    for i in range(n):
        r = f.ResourceFactory(source=source, upstream_id=f"r{i}")
        f.ResourceAddressFactory(resource=r)
        f.ResourceMetadataFactory(resource=r)
        f.ResourceConnectionFactory(resource=r, target_type="server", target_upstream_id=f"r{(i + 1) % n}")
        f.ResourceConnectionFactory(resource=r, target_type="volume", target_upstream_id=f"gone-{i}")
        f.MetricSampleFactory(resource=r)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_query_count_is_flat_in_the_page_size(api, endpoint):
    _resource_with_children(6)
    api.get(endpoint.url("limit=1"))  # warm up: token use recorded, permissions cached
    counts = []
    for limit in (1, 100):
        with CaptureQueriesContext(connection) as ctx:
            r = api.get(endpoint.url(f"limit={limit}"))
            assert r.status_code == 200 and r.json()
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    if endpoint.path == "resources" and connection.vendor == "sqlite":
        # token, count, page, then one query per child table (the target check is in its query)
        assert counts[0] == 6, [q["sql"][:120] for q in ctx.captured_queries]


def test_connections_in_a_page_say_which_targets_are_mirrored(api):
    _resource_with_children(3)
    page = api.get(f"{URL}?limit=100").json()
    for body in page:
        targets = {c["target_type"]: c["target"] for c in body["connections"]}
        assert targets["volume"] is None  # gone-<i>: never listed
        assert targets["server"] is not None and targets["server"].endswith(
            ":server:" + targets["server"].split(":")[-1]
        )
    assert json.dumps(page).count('"target": null') == 3
