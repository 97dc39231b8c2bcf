"""The usage read API (/api/v1/connect/usage/..., /api/v1/connect/subscriptions/...): every
endpoint lists Connect's JSON as stored, filters by each of its filter names as the ORM would,
orders, selects, pages with Content-Range, details and 404s, needs a token and its view
permission, and refuses an unknown filter."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.db import connection
from django.urls import get_resolver
from hypothesis import given
from rest_framework.test import APIClient

from channelhub import registry
from channelhub.models import MirroredModel
from tests.channelhub.api.endpoints import TIMEOUT_QUERIES
from tests.channelhub.api.routes import url_views
from tests.channelhub.api.test_fuzz import FUZZ, OPERATIONS, _query

from . import factories as f
from .endpoints import ENDPOINTS, PREFIX

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_throttle")]

BY_PATH = {e.path: e for e in ENDPOINTS}


def bearer(plain: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return client


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return [o["id"] for o in response.json()]


# --- the skeleton: every usage model mirrored has its viewset, filters and table entry ---------


def _usage_list_routes() -> dict[str, type]:
    found = {}
    for route, pattern in url_views(get_resolver().url_patterns):
        cls = getattr(pattern.callback, "cls", None)
        if not route.startswith("api/v1/connect/") or not (pattern.name or "").endswith("-list"):
            continue
        if cls is not None and cls.queryset.model._meta.app_label == "usage":
            path = route.replace("^", "").replace("$", "").removeprefix("api/v1/").removesuffix("/?")
            found[path] = cls
    return found


def test_every_mirrored_usage_model_has_a_listed_viewset_with_its_filters():
    routes = _usage_list_routes()
    mirrored = {m for m in apps.get_app_config("usage").get_models() if issubclass(m, MirroredModel)}
    assert {cls.queryset.model for cls in routes.values()} == mirrored
    for cls in routes.values():
        assert cls.rql_filter_class.__name__ == f"{cls.queryset.model.__name__}Filters"
    assert set(routes) == {f"{PREFIX}{e.path}" for e in ENDPOINTS}
    for endpoint in ENDPOINTS:
        cls = routes[f"{PREFIX}{endpoint.path}"]
        assert cls.rql_filter_class is endpoint.filter_cls
        model = cls.queryset.model
        assert endpoint.perm == f"usage.view_{model._meta.model_name}"


def test_the_usage_mounts_are_in_the_registry_and_the_api_root(api):
    prefixes = [m.prefix for m in registry.api_mounts()]
    assert "connect/usage" in prefixes and "connect/subscriptions" in prefixes
    assert prefixes.count("connect") == 1  # the fulfillment app's entries stay in the root
    root = api.get("/api/v1/").json()
    assert set(root["connect/usage"]) == {"files", "records", "chunks", "listings"}
    assert set(root["connect/subscriptions"]) == {"assets", "requests"}
    assert "requests" in {k.split("-")[0] + "s" for k in root["connect"]}  # fulfillment's still there
    for group in ("connect/usage", "connect/subscriptions"):
        for name, link in root[group].items():
            assert link.endswith(f"/api/v1/{group}/{name}"), link
            assert api.get(link).status_code == 200, link
    # Django tries the fulfillment app's connect/ routes first, then falls through to ours.
    assert api.get("/api/v1/connect/requests").status_code == 200


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_every_filter_and_ordering_reads_an_indexed_column(endpoint):
    model = endpoint.filter_cls.MODEL
    indexed = {"id"} | {fld.attname for fld in model._meta.concrete_fields if fld.db_index or fld.unique}
    leading = {model._meta.get_field(i.fields[0].lstrip("-")).attname for i in model._meta.indexes}
    instance = endpoint.filter_cls(model.objects.none())
    for name, item in instance.filters.items():
        route = item["orm_route"].split("__")
        column = model._meta.get_field(route[0])
        assert column.attname in indexed | leading, f"{name} -> {column.attname} has no index"
        if len(route) == 2 and route[1] != "id":  # one join: the target column must be indexed too
            target = column.related_model._meta.get_field(route[1])
            assert target.db_index or target.primary_key, f"{name} -> {route} has no index"


# --- each endpoint: list, detail, 404, auth, permissions, paging, bad filter ----------------


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_list_and_detail_serve_connect_json_exactly_as_stored(api, endpoint):
    obj = endpoint.make()
    r = api.get(endpoint.url())
    assert r.status_code == 200 and r["Content-Type"].startswith("application/json")
    assert r.json() == [obj.payload]
    assert api.get(f"{endpoint.url()}/{obj.pk}").json() == obj.payload
    assert api.get(f"{endpoint.url()}/{obj.pk}/").json() == obj.payload  # a trailing slash too
    assert api.get(f"{endpoint.url()}/").json() == [obj.payload]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_detail_of_an_unknown_id_is_a_json_404(api, endpoint):
    endpoint.make()
    r = api.get(f"{endpoint.url()}/NOPE-1")
    assert r.status_code == 404
    assert r.json()["error_code"] == "NOT_FOUND" and r.json()["errors"] == ["Object not found."]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_no_token_is_401_and_a_bad_one_too(anon, endpoint):
    obj = endpoint.make()
    for path in (endpoint.url(), f"{endpoint.url()}/{obj.pk}"):
        r = anon.get(path)
        assert r.status_code == 401, path
        assert r["WWW-Authenticate"] == "Bearer" and r.json()["error_code"] == "AUTH_001"
        assert bearer("chb_not-a-token").get(path).status_code == 401


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_without_the_view_permission_is_403_and_with_it_200(make_token, endpoint):
    obj = endpoint.make()
    token, plain = make_token(username="nobody", groups=())
    for path in (endpoint.url(), f"{endpoint.url()}/{obj.pk}"):
        r = bearer(plain).get(path)
        assert r.status_code == 403 and r.json()["error_code"] == "AUTH_002", path
    app_label, codename = endpoint.perm.split(".")
    token.user.user_permissions.add(
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
    )
    assert ids(bearer(plain).get(endpoint.url())) == [obj.pk]
    assert bearer(plain).get(f"{endpoint.url()}/{obj.pk}").status_code == 200


def test_the_readonly_role_reads_every_usage_endpoint(api):
    for endpoint in ENDPOINTS:
        obj = endpoint.make()
        assert obj.pk in ids(api.get(endpoint.url())), endpoint
        assert api.get(f"{endpoint.url()}/{obj.pk}").status_code == 200, endpoint


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_paging_headers(api, endpoint):
    rows = [endpoint.make() for _ in range(3)]
    r = api.get(endpoint.url("limit=2"))
    assert r["Content-Range"] == "items 0-1/3" and len(r.json()) == 2
    r = api.get(endpoint.url("limit=2&offset=2"))
    assert r["Content-Range"] == "items 2-2/3" and len(r.json()) == 1
    r = api.get(endpoint.url("limit=0"))
    assert r.json() == [] and r["Content-Range"] == "items 0-0/3"
    r = api.get(endpoint.url("eq(id,NOPE)"))
    assert r.json() == [] and r["Content-Range"] == "items 0-0/0"
    walked = ids(api.get(endpoint.url("limit=1"))) + ids(api.get(endpoint.url("limit=2&offset=1")))
    assert sorted(walked) == sorted(o.pk for o in rows)  # pages neither overlap nor skip
    assert api.get(endpoint.url("limit=1001")).json()["error_code"] == "PAGE_001"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_an_unknown_filter_is_400_naming_the_filters_there_are(api, endpoint):
    endpoint.make()
    r = api.get(endpoint.url("eq(nope,1)"))
    assert r.status_code == 400
    body = r.json()
    assert body["error_code"] == "RQL_002"
    assert "Unknown filter 'nope'" in body["errors"][0]
    listed = body["errors"][0].split("Filters here: ")[1].rstrip(".").split(", ")
    assert set(listed) == set(endpoint.filter_cls(endpoint.filter_cls.MODEL.objects.none()).filters)
    assert api.get(endpoint.url("nope=1")).status_code == 400  # the shorthand too
    assert api.get(endpoint.url("and(eq(id,x)")).json()["error_code"] == "RQL_001"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_query_count_does_not_grow_with_page_size(api, django_assert_num_queries, endpoint):
    for _ in range(3):
        endpoint.make()
    api.get(endpoint.url("limit=1"))  # warm up: token use recorded, permissions cached
    # token + count + page; on PostgreSQL the planner's table size (unfiltered) and the timeout's.
    probe = connection.vendor == "postgresql"
    for limit in (1, 100):
        with django_assert_num_queries(3 + probe + TIMEOUT_QUERIES):
            assert api.get(endpoint.url(f"limit={limit}")).status_code == 200


# --- every filter name, against the ORM ----------------------------------------------------


def _files():
    return [
        f.UsageFileFactory(),
        f.UsageFileFactory(
            status="pending",
            schema="tr",
            currency="EUR",
            environment="test",
            product_id="PRD-200-000-002",
            contract_id="CRD-00000-00000-00002",
            marketplace_id="MP-22222",
            vendor_id="VA-000-002",
            provider_id="PA-000-002",
            period_from=date(2024, 3, 1),
            period_to=date(2024, 3, 31),
        ),
        f.UsageFileFactory(
            status="accepted", schema="pr", environment="preview", product_id="PRD-300-000-003"
        ),
    ]


def _records():
    return [
        f.UsageRecordFactory(external_billing_id="INV-1", record_status="closed"),
        f.UsageRecordFactory(
            usage_file=f.UsageFileFactory(schema="tr"),
            record_status="approved",
            product_id="PRD-200-000-002",
            item_id="PRD-200-000-002-0001",
            item_mpn="MPN-TR",
        ),
        f.UsageRecordFactory(record_status="invalid", item_mpn="MPN-X", item_id="PRD-100-200-300-0002"),
    ]


def _chunks():
    return [
        f.UsageChunkFactory(external_id="hub_batch_1"),
        f.UsageChunkFactory(
            status="closed", hub_id="HB-0000-0002", marketplace_id="MP-22222", provider_id="PA-2"
        ),
        f.UsageChunkFactory(status="failed"),
    ]


def _listings():
    return [
        f.ListingFactory(),
        f.ListingFactory(
            status="unlisted",
            product_id="PRD-200-000-002",
            contract_id="CRD-2",
            marketplace_id="MP-2",
            vendor_id="VA-2",
            provider_id="PA-2",
        ),
        f.ListingFactory(product_id="PRD-300-000-003"),
    ]


def _assets():
    return [
        f.RecurringAssetFactory(),
        f.RecurringAssetFactory(
            status="suspended",
            product_id="PRD-200-000-002",
            marketplace_id="MP-2",
            contract_id="CRD-2",
            customer_id="TA-0000-0000-0002",
            customer_name="Globex",
            environment="test",
            next_date=datetime(2024, 4, 1, tzinfo=UTC),
        ),
        f.RecurringAssetFactory(status="terminated"),
    ]


def _billing_requests():
    return [
        f.BillingRequestFactory(),
        f.BillingRequestFactory(type="provider", product_id="PRD-200-000-002", period_from=date(2024, 3, 1)),
        f.BillingRequestFactory(),
    ]


WORLDS = {
    "usage/files": _files,
    "usage/records": _records,
    "usage/chunks": _chunks,
    "usage/listings": _listings,
    "subscriptions/assets": _assets,
    "subscriptions/requests": _billing_requests,
}


def _filter_cases():
    for endpoint in ENDPOINTS:
        instance = endpoint.filter_cls(endpoint.filter_cls.MODEL.objects.none())
        for name in sorted(instance.filters):
            yield pytest.param(endpoint, name, id=f"{endpoint.path}:{name}")


def _wire(value) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _attr(obj, route: str):
    for part in route.split("__"):
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize("endpoint,name", list(_filter_cases()))
def test_each_filter_narrows_as_the_orm_does(api, endpoint, name):
    rows = WORLDS[endpoint.path]()
    model = endpoint.filter_cls.MODEL
    route = endpoint.filter_cls(model.objects.none()).filters[name]["orm_route"]
    value = _attr(model.objects.get(pk=rows[1].pk), route)
    expected = sorted(model.objects.filter(**{route: value}).values_list("id", flat=True))
    # The world is built so that every filter really narrows: one row or two, never all.
    assert 0 < len(expected) < len(rows), (name, value, expected)
    got = api.get(endpoint.url(f'eq({name},"{_wire(value)}")&ordering(id)'))
    assert ids(got) == expected
    got = api.get(endpoint.url(f'ne({name},"{_wire(value)}")&ordering(id)'))
    assert sorted(ids(got)) == sorted(set(model.objects.values_list("id", flat=True)) - set(expected))


def _ordering_cases():
    for endpoint in ENDPOINTS:
        instance = endpoint.filter_cls(endpoint.filter_cls.MODEL.objects.none())
        for name in sorted(instance.ordering_filters):
            yield pytest.param(endpoint, name, id=f"{endpoint.path}:{name}")


@pytest.mark.parametrize("endpoint,name", list(_ordering_cases()))
def test_each_ordering_sorts_as_the_orm_does(api, endpoint, name):
    WORLDS[endpoint.path]()
    model = endpoint.filter_cls.MODEL
    route = endpoint.filter_cls(model.objects.none()).filters[name]["orm_route"]
    for desc in ("", "-"):
        expected = list(model.objects.order_by(f"{desc}{route}", f"{desc}id").values_list("id", flat=True))
        assert ids(api.get(endpoint.url(f"ordering({desc}{name})"))) == expected, desc


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_default_ordering(api, endpoint):
    rows = WORLDS[endpoint.path]()
    view = _usage_list_routes()[f"{PREFIX}{endpoint.path}"]
    model = endpoint.filter_cls.MODEL
    order = list(view.default_ordering)
    order.append("-id" if order[-1].startswith("-") else "id")
    expected = list(
        model.objects.filter(pk__in=[r.pk for r in rows]).order_by(*order).values_list("id", flat=True)
    )
    assert ids(api.get(endpoint.url())) == expected


# Each filter class pinned: Connect's name -> our column (orm route); then the orderable and
# searchable names. A renamed or remapped filter changes what clients' queries mean.
PINNED = {
    "usage/files": (
        {
            "id": "id",
            "status": "status",
            "external_id": "external_id",
            "environment": "environment",
            "schema": "schema",
            "currency": "currency",
            "product.id": "product_id",
            "product_id": "product_id",
            "contract.id": "contract_id",
            "distribution_contract_id": "contract_id",
            "marketplace.id": "marketplace_id",
            "marketplace_id": "marketplace_id",
            "vendor.id": "vendor_id",
            "vendor_id": "vendor_id",
            "provider.id": "provider_id",
            "provider_id": "provider_id",
            "period.from": "period_from",
            "created.at": "created",
            "events.created.at": "created",
        },
        {"id", "status", "product.id", "contract.id", "period.from", "created.at", "events.created.at"},
        {"id", "external_id"},
    ),
    "usage/records": (
        {
            "id": "id",
            "usage_file": "usage_file__id",
            "usagefile.id": "usage_file__id",
            "usagefile.schema": "usage_file__schema",
            "status": "status",
            "asset.id": "asset_id",
            "asset_id": "asset_id",
            "asset.external_id": "asset_external_id",
            "asset_external_id": "asset_external_id",
            "product.id": "product_id",
            "product_id": "product_id",
            "item.id": "item_id",
            "item_id": "item_id",
            "item.mpn": "item_mpn",
            "start_date": "start_date",
            "external_billing_id": "external_billing_id",
        },
        {"id", "usagefile.id", "status", "asset.id", "start_date"},
        {"id", "asset.external_id", "item.mpn", "external_billing_id"},
    ),
    "usage/chunks": (
        {
            "id": "id",
            "status": "status",
            "usagefile.id": "usage_file__id",
            "provider.id": "provider_id",
            "binding.hub.id": "hub_id",
            "marketplace.id": "marketplace_id",
            "external_id": "external_id",
            "events.created.at": "created",
        },
        {"id", "status", "events.created.at"},
        {"id", "external_id"},
    ),
    "usage/listings": (
        {
            "id": "id",
            "status": "status",
            "product.id": "product_id",
            "product__id": "product_id",
            "contract.id": "contract_id",
            "contract__id": "contract_id",
            "marketplace.id": "marketplace_id",
            "marketplace__id": "marketplace_id",
            "vendor.id": "vendor_id",
            "provider.id": "provider_id",
            "provider__id": "provider_id",
            "created": "created",
            "updated": "updated",
        },
        {"id", "status", "product.id", "created", "updated"},
        {"id"},
    ),
    "subscriptions/assets": (
        {
            "id": "id",
            "status": "status",
            "external_id": "external_id",
            "external_uid": "external_uid",
            "product.id": "product_id",
            "marketplace.id": "marketplace_id",
            "contract.id": "contract_id",
            "connection.type": "environment",
            "tiers.customer.id": "customer_id",
            "tiers.customer.name": "customer_name",
            "billing.next_date": "next_billing_date",
            "events.created.at": "created",
            "events.updated.at": "updated",
        },
        {"id", "status", "product.id", "billing.next_date", "events.created.at", "events.updated.at"},
        {"id", "external_id"},
    ),
    "subscriptions/requests": (
        {
            "id": "id",
            "type": "type",
            "asset.id": "asset__id",
            "asset.external_uid": "asset_external_uid",
            "asset.product.id": "product_id",
            "period.from": "period_from",
            "events.created.at": "created",
            "events.updated.at": "updated",
        },
        {"id", "type", "asset.id", "period.from", "events.created.at", "events.updated.at"},
        {"id"},
    ),
}


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_filter_classes_are_pinned(endpoint):
    routes, ordering, search = PINNED[endpoint.path]
    instance = endpoint.filter_cls(endpoint.filter_cls.MODEL.objects.none())
    assert {name: item["orm_route"] for name, item in instance.filters.items()} == routes
    assert instance.ordering_filters == ordering
    assert instance.search_filters == search


# --- fuzz: no documented query makes a usage endpoint answer 500 ---------------------------

USAGE_OPERATIONS = [
    (p, params) for p, params in OPERATIONS if "/connect/usage/" in p or "/subscriptions/" in p
]


def test_the_schema_documents_every_usage_list_with_its_filters():
    documented = {p.removeprefix("/api/v1/connect/").rstrip("/"): params for p, params in USAGE_OPERATIONS}
    assert set(documented) == set(BY_PATH)
    for path, params in documented.items():
        instance = BY_PATH[path].filter_cls(BY_PATH[path].filter_cls.MODEL.objects.none())
        assert set(instance.filters) <= {p["name"] for p in params}, path


@pytest.mark.parametrize("path,params", USAGE_OPERATIONS, ids=[p for p, _ in USAGE_OPERATIONS])
def test_schema_driven_queries_never_500(api, path, params):
    for world in WORLDS.values():
        world()

    @FUZZ
    @given(query=_query(params))
    def check(query):
        r = api.get(f"{path}?{query}")
        assert r.status_code in (200, 400), (query, r.status_code, r.content[:300])
        if r.status_code == 400:
            assert r.json()["error_code"] and r.json()["errors"]

    check()
