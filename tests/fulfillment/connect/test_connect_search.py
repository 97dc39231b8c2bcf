"""Finding a fulfillment request by what staff see or what a caller says (issue 15): the admin's
search box and the read API's RQL filters, each served by an index."""

from __future__ import annotations

from importlib import import_module
from urllib.parse import quote

import pytest
from django.apps import apps
from django.db.models import Q
from django.urls import reverse

from channelhub.api.lookups import glob_prefix, prefix
from fulfillment.connect import mappers, selectors
from fulfillment.models import FulfillmentRequest
from tests.fulfillment.connect.factories import FulfillmentRequestFactory
from tests.fulfillment.search_plans import (
    SQLITE_PLANS_ONLY,
    assert_index_serves,
    assert_no_full_scan,
    searches_of,
)

pytestmark = pytest.mark.django_db

TABLE = FulfillmentRequest._meta.db_table
TARGET = "PR-1895-0864-1238-001"


@pytest.fixture
def requests_():
    """The request a caller asks about (the real fixture's ids and names), and others like it."""
    target = FulfillmentRequestFactory(
        request_id=TARGET,
        asset_id="AS-1895-0864-1238",
        external_id="1147660",
        customer_id="TA-2483-1010-5646",
        customer_name="Mayer-Kerluke",
        customer_external_id="CUST-77",
        product_name="Gizmo Cloud",
    )
    others = [
        FulfillmentRequestFactory(customer_name="Kerluke Mayer", product_name="My Product") for _ in range(3)
    ]
    return target, others


# Each term staff type (or a caller reads out), and the search forms it reaches the database as.
ADMIN_TERMS = {
    "PR-1895-0864-1238-001": "the whole id",
    "pr-1895-0864": "the id's start, in lower case",
    "1895-0864-1238": "the number without PR-",
    "1238-001": "the id's end: what a caller reads out",
    "AS-1895-0864-1238": "the asset id",
    "as-1895-08": "the asset id's start",
    "TA-2483-1010-5646": "the customer's tier account id",
    "ta-2483-1010-5646": "... in lower case",
    "1147660": "the asset's external id",
    "CUST-77": "the customer's external id",
    "mayer": "the customer name's start, any case",
    "MAYER-KER": "... upper case",
    "gizmo": "the product name's start",
}


def _changelist(client, term):
    return client.get(reverse("admin:fulfillment_fulfillmentrequest_changelist"), {"q": term})


@pytest.mark.parametrize("term", list(ADMIN_TERMS), ids=list(ADMIN_TERMS.values()))
def test_the_admin_search_finds_the_request(admin_user_client, requests_, term):
    target, others = requests_
    html = _changelist(admin_user_client, term).content.decode()
    assert f">{target.pk}<" in html
    assert not any(o.pk in html for o in others)


@pytest.mark.parametrize("term", ["0864-1238", "kerluke", "ACME", "PR-1895-0864-1238-002"])
def test_the_admin_search_does_not_match_the_middle_or_another_id(admin_user_client, requests_, term):
    target, _ = requests_
    assert f">{target.pk}<" not in _changelist(admin_user_client, term).content.decode()


def test_the_search_box_says_what_can_be_typed(admin_user_client, requests_):
    html = _changelist(admin_user_client, "").content.decode()
    for words in ("1895-0864", "1238-001", "AS-", "TA-", "external id", "customer", "product"):
        assert words in selectors.REQUEST_SEARCH_HELP
    assert "its end as a caller reads it" in html


@SQLITE_PLANS_ONLY
@pytest.mark.parametrize("term", list(ADMIN_TERMS), ids=list(ADMIN_TERMS.values()))
def test_every_admin_search_reads_indexes_only(client, superuser, requests_, term):
    client.force_login(superuser)
    queries = searches_of(lambda: _changelist(client, term), [term, term[::-1]])
    assert_no_full_scan(queries, TABLE)


@pytest.mark.parametrize(
    ("condition", "column"),
    [
        (Q(prefix("id", "PR-1895")), "id"),
        (Q(prefix("id_reversed", "100-8321")), "id_reversed"),
        (Q(prefix("asset_id", "AS-1895")), "asset_id"),
        (Q(customer_id="TA-2483-1010-5646"), "customer_id"),
        (Q(asset_external_id="1147660"), "asset_external_id"),
        (Q(customer_external_id="CUST-77"), "customer_external_id"),
        (Q(customer_name__istartswith="mayer"), "customer_name"),
        (Q(customer_name__iexact="mayer-kerluke"), "customer_name"),
        (Q(product_name__istartswith="gizmo"), "product_name"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_each_search_lookup_is_served_by_an_index(requests_, condition, column):
    assert_index_serves(FulfillmentRequest.objects.filter(condition), column)


# --- the read API ------------------------------------------------------------------------------

API_QUERIES = [
    "eq(asset.tiers.customer.name,Mayer-Kerluke)",
    "ilike(asset.tiers.customer.name,mayer*)",
    "like(asset.tiers.customer.name,Mayer-K*)",
    "ilike(asset.tiers.customer.name,MAYER-KERLUKE)",
    "in(asset.tiers.customer.name,(Mayer-Kerluke,Nobody))",
    "ilike(asset.product.name,gizmo*)",
    "eq(asset.product.name,Gizmo%20Cloud)",
    "eq(asset.external_id,1147660)",
    "like(asset.external_id,11476*)",
    "eq(asset.tiers.customer.external_id,CUST-77)",
    "eq(asset.tiers.customer.id,TA-2483-1010-5646)",
    "like(asset.id,AS-1895-0864*)",
    "eq(id,PR-1895-0864-1238-001)",
    "like(id,PR-1895-0864*)",
    "ilike(id,pr-1895-0864*)",
    "like(id,*1238-001)",
    "ilike(id,*1238-001)",
    "search=1238-001",
    "search=pr-1895-0864",
    "search=1147660",
]


@pytest.mark.parametrize("query", API_QUERIES)
def test_the_api_filter_returns_the_request(api, requests_, query):
    target, _ = requests_
    response = api.get(f"/api/v1/connect/requests?{query}")
    assert response.status_code == 200, response.content
    assert [r["id"] for r in response.json()] == [target.pk]


@pytest.mark.parametrize(
    "query",
    [
        "like(asset.tiers.customer.name,mayer*)",  # like is case-sensitive
        "eq(asset.tiers.customer.name,mayer-kerluke)",
        "ne(asset.tiers.customer.name,Mayer-Kerluke)",
        "out(id,(PR-1895-0864-1238-001))",
        "like(id,*1238-002)",
    ],
)
def test_the_api_filter_leaves_the_request_out(api, requests_, query):
    target, _ = requests_
    response = api.get(f"/api/v1/connect/requests?{query}")
    assert response.status_code == 200, response.content
    assert target.pk not in [r["id"] for r in response.json()]


@pytest.mark.parametrize(
    "query",
    [
        "ilike(asset.tiers.customer.name,*kerluke*)",
        "like(asset.tiers.customer.name,*Kerluke)",  # no reversed column for names
        "like(asset.product.name,Giz*Cloud)",
        "like(id,*0864*)",
        "like(asset.external_id,*660)",
    ],
)
def test_an_api_pattern_that_would_scan_is_refused(api, requests_, query):
    response = api.get(f"/api/v1/connect/requests?{query}")
    assert response.status_code == 400
    assert "would scan the whole table" in response.content.decode()


@SQLITE_PLANS_ONLY
@pytest.mark.parametrize("query", API_QUERIES)
def test_every_api_filter_reads_indexes_only(api, requests_, query):
    value = query.split(",")[-1].split("=")[-1].strip("()*").split(",")[0].replace("%20", " ")
    markers = [value.strip("*"), value.strip("*")[::-1]]
    assert_no_full_scan(searches_of(lambda: api.get(f"/api/v1/connect/requests?{query}"), markers), TABLE)


def test_the_filters_are_in_the_schema_with_what_they_take(api):
    schema = api.get("/api/v1/schema/?format=json").json()
    params = {p["name"]: p for p in schema["paths"]["/api/v1/connect/requests/"]["get"]["parameters"]}
    assert "value*" in params["asset.tiers.customer.name"]["description"]
    assert "*value" in params["id"]["description"]


# --- the columns behind it ---------------------------------------------------------------------


def test_the_mapper_fills_the_reversed_id(connect_fixture):
    payload = connect_fixture("fulfillment_request.json")
    assert mappers.map_request(payload)["id_reversed"] == payload["id"][::-1]


def test_the_migration_backfills_the_new_columns(requests_):
    target, _ = requests_
    FulfillmentRequest.objects.update(id_reversed="")
    import_module("fulfillment.migrations.0010_search_indexes").fill_search_columns(apps, None)
    assert FulfillmentRequest.objects.get(pk=target.pk).id_reversed == TARGET[::-1]
    assert not FulfillmentRequest.objects.filter(id_reversed="").exists()


def test_glob_prefix_matches_wildcards_literally():
    assert glob_prefix("a*b?[c") == "a[*]b[?][[]c*"
    FulfillmentRequestFactory(request_id="PR-*-1")
    FulfillmentRequestFactory(request_id="PR-X-1")
    assert list(FulfillmentRequest.objects.filter(prefix("id", "PR-*")).values_list("pk", flat=True)) == [
        "PR-*-1"
    ]


def test_a_term_with_quote_or_percent_is_just_text(admin_user_client, requests_):
    for term in ("%", "_", "'", quote("\\")):
        assert _changelist(admin_user_client, term).status_code == 200
