"""The Connect-shaped collections: filters (pinned), ordering, select, pagination, details, query counts."""

from __future__ import annotations

import json
from datetime import timedelta
from importlib import import_module

import pytest
from dj_rql.utils import assert_filter_cls
from django.db import connection
from py_rql.constants import FilterLookups as L

from fulfillment.connect import filters
from fulfillment.models import FulfillmentRequest
from tests.channelhub.api.endpoints import ENDPOINTS, TIMEOUT_QUERIES, url
from tests.fulfillment.connect import factories as f

pytestmark = pytest.mark.django_db

STRING = L.string()
NUMERIC = L.numeric()
BLANK = {L.EQ, L.NE, L.IN, L.OUT, L.NULL}


def _s(route, lookups=None, null=False):
    lookups = set(lookups or STRING)
    if not null:
        lookups.discard(L.NULL)
    return {"orm_route": route, "lookups": lookups}


def _fk(route):
    return {"orm_route": route, "lookups": set(STRING)}  # an FK's target pk: null() allowed


def _when(route):
    return {"orm_route": route, "lookups": set(NUMERIC)}


TEXT = {L.EQ, L.NE, L.IN, L.OUT, L.LIKE, L.I_LIKE}


def _text(source):
    """An `indexed_text` filter (django-rql's helper only checks that a custom filter exists;
    test_connect_search.py checks what these match and that an index serves them)."""
    return {"text_source": source, "lookups": TEXT, "custom": True}


# The columns a case-insensitive index of migration 0010 serves (not declarable in Meta).
CASE_INSENSITIVE = {
    (table, column)
    for _, table, column in import_module("fulfillment.migrations.0010_search_indexes").CASE_INSENSITIVE
}


# Each filter class pinned: Connect's name -> our column, lookups, ordering, search.
PINNED = {
    filters.FulfillmentRequestFilters: (
        {
            "id": _text("id"),
            "type": _s("type"),
            "status": _s("status"),
            "created": _when("created"),
            "updated": _when("updated"),
            "asset.id": _text("asset_id"),
            "asset.external_id": _text("asset_external_id"),
            "asset.external_uid": _s("asset_external_uid"),
            "asset.product.id": _fk("product__id"),
            "asset.connection.type": _s("connection_type"),
            "asset.connection.hub.id": _fk("hub__id"),
            "asset.marketplace.id": _fk("marketplace__id"),
            "marketplace.id": _fk("marketplace__id"),
            "asset.contract.id": _s("contract_id"),
            "contract.id": _s("contract_id"),
            "asset.tiers.customer.id": _fk("customer__id"),
            "asset.tiers.customer.external_id": _text("customer_external_id"),
            "asset.tiers.customer.name": _text("customer_name"),
            "asset.tiers.tier1.id": _fk("tier1__id"),
            "asset.tiers.tier2.id": _fk("tier2__id"),
            "template.id": _fk("template__id"),
            "assignee.id": {"blank_source": "assignee_id", "lookups": BLANK, "custom": True},
            "assignee": {"blank_source": "assignee_id", "lookups": BLANK, "custom": True},
            "asset.status": _s("asset_status"),
            "asset.product.name": _text("product_name"),
            "asset.connection.id": _s("connection_id"),
            "asset.connection.hub.name": _s("hub_name"),
            "asset.connection.provider.id": _s("provider_id"),
            "asset.connection.provider.name": _s("provider_name"),
            "asset.connection.vendor.id": _s("vendor_id"),
            "asset.connection.vendor.name": _s("vendor_name"),
        },
        {"id", "type", "status", "created", "updated", "asset.id", "asset.product.id"},
        {"id", "asset.id", "asset.external_id", "asset.tiers.customer.external_id"},
    ),
    filters.AssetFilters: (
        {
            "id": _fk("id"),
            "status": _s("status"),
            "external_id": _s("external_id"),
            "product.id": _fk("product__id"),
            "connection.type": _s("connection_type"),
            "marketplace.id": _fk("marketplace__id"),
            "tiers.customer.id": _fk("customer__id"),
            "tiers.customer.external_id": _s("customer_external_id"),
            "tiers.tier1.id": _fk("tier1__id"),
            "events.created.at": _when("created"),
            "events.updated.at": _when("updated"),
        },
        {"id", "status", "product.id", "events.created.at", "events.updated.at"},
        {"id", "external_id", "tiers.customer.external_id"},
    ),
    filters.TierConfigRequestFilters: (
        {
            "id": _fk("id"),
            "type": _s("type"),
            "status": _s("status"),
            "environment": _s("environment"),
            "configuration.id": _fk("configuration__id"),
            "configuration.account.id": _fk("account__id"),
            "configuration.account.external_id": _s("account_external_id"),
            "configuration.product.id": _fk("product__id"),
            "configuration.marketplace.id": _fk("marketplace__id"),
            "configuration.tier_level": {"orm_route": "tier_level", "lookups": NUMERIC},
            "configuration.account.external_uid": _s("account_external_uid"),
            "unassigned": {
                "blank_source": "assignee_id",
                "boolean": True,
                "lookups": {L.EQ, L.NE},
                "custom": True,
            },
            "events.created.at": _when("created"),
            "events.updated.at": _when("updated"),
        },
        {"id", "type", "status", "configuration.product.id", "events.created.at", "events.updated.at"},
        {"id", "configuration.id", "configuration.account.external_id"},
    ),
    filters.TierConfigFilters: (
        {"status": _s("status"), "account.id": _fk("account__id"), "product.id": _fk("product__id")},
        {"id", "status", "product.id", "events.created.at", "events.updated.at"},
        {"id", "account.external_id"},
    ),
    filters.TierAccountFilters: (
        {"name": _s("name"), "external_id": _s("external_id"), "marketplace.id": _fk("marketplace__id")},
        {"id", "name", "events.updated.at"},
        {"id", "name", "external_id"},
    ),
    filters.ProductFilters: (
        {"name": _s("name"), "status": _s("status"), "owner.id": _s("owner_id")},
        {"id", "name", "status", "events.updated.at"},
        {"id", "name"},
    ),
    filters.TemplateFilters: (
        {"scope": _s("scope"), "type": _s("type")},
        {"id", "events.updated.at"},
        set(),
    ),
    filters.MarketplaceFilters: ({"name": _s("name")}, {"id", "name", "events.updated.at"}, {"id", "name"}),
    filters.HubFilters: ({"name": _s("name")}, {"id", "name", "events.updated.at"}, {"id", "name"}),
    filters.ConversationFilters: (
        {"instance_id": _s("instance_id"), "created": _when("created")},
        {"id", "created", "events.updated.at"},
        {"id", "instance_id"},
    ),
}


@pytest.mark.parametrize("filter_cls", list(PINNED), ids=lambda c: c.__name__)
def test_filter_classes_are_pinned(filter_cls):
    wanted, ordering, search = PINNED[filter_cls]
    assert_filter_cls(filter_cls, wanted, ordering, search)


@pytest.mark.parametrize("filter_cls", list(PINNED), ids=lambda c: c.__name__)
def test_every_filter_and_ordering_reads_an_indexed_column(filter_cls):
    model = filter_cls.MODEL
    indexed = {"id"} | {fld.attname for fld in model._meta.concrete_fields if fld.db_index or fld.unique}
    leading = {
        model._meta.get_field(i.fields[0].lstrip("-")).attname for i in model._meta.indexes if i.fields
    }
    if filter_cls is filters.TemplateFilters:
        # The URL fixes the product: the rest of index tl_product_scope_type serves the filters.
        leading |= {model._meta.get_field(name).attname for name in ("scope", "type")}
    indexed |= {column for table, column in CASE_INSENSITIVE if table == model._meta.db_table}
    instance = filter_cls(model.objects.none())
    for name, item in instance.filters.items():
        item = item[0] if isinstance(item, list) else item
        route = item.get("blank_source") or item.get("text_source") or item["orm_route"]
        column = model._meta.get_field(route.split("__")[0]).attname
        assert column in indexed | leading, f"{filter_cls.__name__}.{name} -> {column} has no index"
        if item.get("tail_source"):
            assert model._meta.get_field(item["tail_source"]).db_index, name


def _requests(n=5, **kw):
    return [f.FulfillmentRequestFactory(**kw) for _ in range(n)]


def test_list_serves_connect_json_exactly_as_stored(api):
    pr = f.FulfillmentRequestFactory()
    r = api.get("/api/v1/connect/requests")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/json")
    assert r.json() == [pr.payload]
    assert api.get(f"/api/v1/connect/requests/{pr.id}").json() == pr.payload


@pytest.mark.parametrize(
    "query,expected",
    [
        ("eq(status,pending)", lambda rows: [r for r in rows if r.status == "pending"]),
        ("status=inquiring", lambda rows: [r for r in rows if r.status == "inquiring"]),
        ("in(status,(pending,failed))", lambda rows: [r for r in rows if r.status in ("pending", "failed")]),
        ("ne(status,pending)", lambda rows: [r for r in rows if r.status != "pending"]),
        ("eq(asset.product.id,PRD-9)", lambda rows: [r for r in rows if r.product_id == "PRD-9"]),
        (
            "eq(asset.tiers.customer.id,TA-9000-0000-0001)",
            lambda rows: [r for r in rows if r.customer_id == "TA-9000-0000-0001"],
        ),
        ("eq(assignee,null())", lambda rows: [r for r in rows if not r.assignee_id]),
        ("ne(assignee.id,null())", lambda rows: [r for r in rows if r.assignee_id]),
        ("ge(created,2024-03-01T09:03:00+00:00)", lambda rows: [r for r in rows if r.created.minute >= 3]),
        (
            "and(eq(type,purchase),not(eq(status,failed)))",
            lambda rows: [r for r in rows if r.type == "purchase" and r.status != "failed"],
        ),
        # search= on requests: the start or the end of the id (the middle would scan the table)
        ("search=pr-0000-0000-0002", lambda rows: [r for r in rows if r.id.startswith("PR-0000-0000-0002")]),
        ("search=0002-001", lambda rows: [r for r in rows if r.id.endswith("0002-001")]),
    ],
)
def test_filters_match_the_orm(api, query, expected):
    rows = [
        f.FulfillmentRequestFactory(n=1, status="pending", type="purchase"),
        f.FulfillmentRequestFactory(n=2, status="failed", type="purchase", assignee=None),
        f.FulfillmentRequestFactory(n=3, status="inquiring", type="change", product_id="PRD-9"),
        f.FulfillmentRequestFactory(n=4, status="pending", type="cancel", assignee=None),
    ]
    rows = [FulfillmentRequest.objects.get(pk=r.pk) for r in rows]
    got = api.get(f"/api/v1/connect/requests?{query}&ordering(id)")
    assert got.status_code == 200, got.content
    assert [o["id"] for o in got.json()] == sorted(r.id for r in expected(rows))


def test_events_and_nested_names_on_assets_and_tcrs(api):
    early, late = f.AssetFactory(n=1), f.AssetFactory(n=50, product_id="PRD-2")
    r = api.get(
        f"/api/v1/connect/assets?gt(events.created.at,{late.created - timedelta(minutes=1):%Y-%m-%dT%H:%M:%S}+00:00)"
    )
    assert [a["id"] for a in r.json()] == [late.id]
    assert [a["id"] for a in api.get("/api/v1/connect/assets?eq(product.id,PRD-2)").json()] == [late.id]
    tcr = f.TierConfigRequestFactory(account_id="TA-8000-0000-0099")
    f.TierConfigRequestFactory()
    r = api.get("/api/v1/connect/tier/config-requests?eq(configuration.account.id,TA-8000-0000-0099)")
    assert [t["id"] for t in r.json()] == [tcr.id]
    assert early.id in {a["id"] for a in api.get("/api/v1/connect/assets?ordering(events.updated.at)").json()}


@pytest.mark.parametrize("ordering", ["created", "-created", "status,-created", "-id", "asset.product.id"])
def test_ordering_is_stable_and_matches_the_orm(api, ordering):
    for i in range(6):
        f.FulfillmentRequestFactory(status=["pending", "failed"][i % 2], product_id=f"PRD-{i % 3}")
    columns = {"asset.product.id": "product_id"}
    order = [
        ("-" if o.startswith("-") else "") + columns.get(o.lstrip("-"), o.lstrip("-"))
        for o in ordering.split(",")
    ]
    order.append("-id" if order[-1].startswith("-") else "id")
    expected = list(FulfillmentRequest.objects.order_by(*order).values_list("id", flat=True))
    got = [o["id"] for o in api.get(f"/api/v1/connect/requests?ordering({ordering})").json()]
    assert got == expected


def test_default_ordering_is_newest_first(api):
    rows = _requests(3)
    assert [o["id"] for o in api.get("/api/v1/connect/requests").json()] == [r.id for r in reversed(rows)]


def test_select_removes_properties_list_and_detail(api):
    pr = f.FulfillmentRequestFactory()
    (obj,) = api.get("/api/v1/connect/requests?select(-asset.items,-asset.params,-note)").json()
    assert "items" not in obj["asset"] and "params" not in obj["asset"] and "note" not in obj
    assert obj["asset"]["product"] == pr.payload["asset"]["product"]
    detail = api.get(f"/api/v1/connect/requests/{pr.id}?select(-asset.tiers.customer.contact_info)").json()
    assert "contact_info" not in detail["asset"]["tiers"]["customer"]
    assert "contact_info" in detail["asset"]["tiers"]["tier1"]
    # Inclusion is a no-op (everything is shown), as on Connect for the default fields.
    assert api.get("/api/v1/connect/requests?select(asset)").json() == [pr.payload]


def test_pagination_headers_and_counts(api):
    rows = _requests(7)
    r = api.get("/api/v1/connect/requests?limit=3&offset=0")
    assert r["Content-Range"] == "items 0-2/7" and len(r.json()) == 3
    r = api.get("/api/v1/connect/requests?limit=3&offset=6")
    assert r["Content-Range"] == "items 6-6/7" and [o["id"] for o in r.json()] == [rows[0].id]
    r = api.get("/api/v1/connect/requests?limit=0")
    assert r.json() == [] and r["Content-Range"] == "items 0-0/7"
    r = api.get("/api/v1/connect/requests?limit=3&offset=20")
    assert r.json() == [] and r["Content-Range"] == "items 20-20/7"
    assert api.get("/api/v1/connect/requests?eq(status,nope)").status_code == 400  # not a choice
    r = api.get("/api/v1/connect/requests?eq(status,approved)")
    assert r.json() == [] and r["Content-Range"] == "items 0-0/0"
    assert "X-Total-Count-Estimated" not in r


def test_count_is_capped_then_estimated(api, settings):
    settings.API_COUNT_CAP = 3
    _requests(5)
    r = api.get("/api/v1/connect/requests?eq(status,pending)&limit=2")
    assert r["Content-Range"].startswith("items 0-1/") and int(r["Content-Range"].split("/")[1]) >= 4
    assert r["X-Total-Count-Estimated"] == "true"
    # The last page knows the exact total.
    r = api.get("/api/v1/connect/requests?eq(status,pending)&limit=2&offset=4")
    assert r["Content-Range"] == "items 4-4/5" and "X-Total-Count-Estimated" not in r


def test_keyset_paging_walks_past_the_offset_bound(api, settings):
    settings.API_MAX_OFFSET = 2
    rows = _requests(5)
    assert api.get("/api/v1/connect/requests?limit=2&offset=4").status_code == 400
    seen, query = [], "ordering(-created,-id)&limit=2"
    while True:
        page = api.get(f"/api/v1/connect/requests?{query}").json()
        if not page:
            break
        seen += [o["id"] for o in page]
        last = page[-1]
        query = f"lt(created,{last['created']})&ordering(-created,-id)&limit=2"
    assert seen == [r.id for r in reversed(rows)]


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS], ids=str)
def test_detail_404_and_list_of_each_endpoint(api, endpoint):
    obj = endpoint.make()
    assert api.get(f"{url(endpoint)}/NOPE-1").status_code == 404
    assert api.get(f"{url(endpoint)}/NOPE-1").json()["error_code"] == "NOT_FOUND"
    r = api.get(f"{url(endpoint)}/{obj.pk}/")  # a trailing slash is accepted too
    assert r.status_code == 200 and str(r.json()["id"]) == str(obj.pk)
    r = api.get(url(endpoint, "limit=1"))
    assert r["Content-Range"] == "items 0-0/1"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_query_count_does_not_grow_with_page_size(api, django_assert_num_queries, endpoint):
    for _ in range(3):
        endpoint.make()
    # Warm up: the token's last use is recorded once a minute, the user's permissions cached.
    api.get(url(endpoint, "limit=1"))
    # token (1) + count (1) + page (1, ids and rows in one statement); on PostgreSQL an
    # unfiltered list first asks the planner for the table's size (pg_class, 1); and the
    # statement timeout's own (TIMEOUT_QUERIES).
    probe = connection.vendor == "postgresql" and "templates" not in endpoint.path
    for limit in (1, 100):
        with django_assert_num_queries(3 + probe + TIMEOUT_QUERIES):
            r = api.get(url(endpoint, f"limit={limit}"))
        assert r.status_code == 200


def test_templates_are_those_of_the_product_in_the_path(api):
    mine = f.TemplateFactory(product_id="PRD-1", scope="asset", type="fulfillment")
    f.TemplateFactory(product_id="PRD-1", scope="tier1", type="inquire")
    other = f.TemplateFactory(product_id="PRD-2")
    r = api.get("/api/v1/connect/products/PRD-1/templates?eq(scope,asset)&eq(type,fulfillment)")
    assert [t["id"] for t in r.json()] == [mine.id]
    assert api.get(f"/api/v1/connect/products/PRD-1/templates/{other.id}").status_code == 404
    assert api.get(f"/api/v1/connect/products/PRD-2/templates/{other.id}").json()["id"] == other.id


def test_conversation_detail_answers_to_its_instance_id(api):
    co = f.ConversationFactory(instance_id="PR-1234-0000-0000-001")
    assert api.get(f"/api/v1/connect/conversations/{co.id}").json()["id"] == co.id
    assert api.get("/api/v1/connect/conversations/PR-1234-0000-0000-001").json()["id"] == co.id
    assert api.get("/api/v1/connect/conversations/PR-0").status_code == 404


@pytest.mark.parametrize(
    "query,code,fragment",
    [
        ("eq(nope,1)", "RQL_002", "Unknown filter 'nope'"),
        ("eq(asset.product.nope,1)", "RQL_002", "Unknown filter"),
        ("eq(created,yesterday)", "RQL_003", "created"),
        ("eq(status,nonsense)", "RQL_003", "status"),
        ("gt(status,pending)", "RQL_002", "status"),
        ("and(eq(status,pending)", "RQL_001", "Invalid RQL"),
        ("ordering(note)", "RQL_001", "ordering"),
        ("limit=1001", "PAGE_001", "limit"),
        ("limit=-1", "PAGE_001", "limit"),
        ("limit=abc", "PAGE_001", "limit"),
        ("offset=99999999", "PAGE_001", "offset"),
        ("limit=1&limit=2", "RQL_001", "limit"),
        ("select(-a..b)", "RQL_001", ""),
        ("select(a)&select(b)", "RQL_001", "select"),
        ("search=x&ne(search,y)", "RQL_001", "search"),
    ],
)
def test_bad_queries_are_400_with_the_reason(api, query, code, fragment):
    f.FulfillmentRequestFactory()
    r = api.get(f"/api/v1/connect/requests?{query}")
    assert r.status_code == 400, r.content
    body = r.json()
    assert body["error_code"] == code
    assert fragment in " ".join(body["errors"]), body


def test_a_value_the_database_refuses_is_400(api):
    r = api.get("/api/v1/connect/requests?eq(id,%22a%00b%22)")
    assert r.status_code in (200, 400)
    if r.status_code == 400:
        assert json.loads(r.content)["errors"]
