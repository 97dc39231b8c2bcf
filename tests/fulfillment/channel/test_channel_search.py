"""Finding Channel entitlements and customers by what staff see (issue 15): the short id of the
entitlement list, the customer's organisation name and domain; the admin's search box and the
read API's RQL filters, each served by an index."""

from __future__ import annotations

from importlib import import_module
from urllib.parse import quote

import pytest
from django.apps import apps
from django.db.models import Q
from django.urls import reverse

from channelhub.api.lookups import prefix
from fulfillment.channel import mappers
from fulfillment.models import Customer, Entitlement
from tests.fulfillment.channel.factories import CustomerFactory, EntitlementFactory
from tests.fulfillment.search_plans import (
    SQLITE_PLANS_ONLY,
    assert_index_serves,
    assert_no_full_scan,
    searches_of,
)

pytestmark = pytest.mark.django_db

ENTITLEMENTS = Entitlement._meta.db_table
CUSTOMERS = Customer._meta.db_table


@pytest.fixture
def world():
    acme = CustomerFactory(customer_id="C0acme", org="Acme Widgets Ltd", domain="acme-widgets.example")
    other = CustomerFactory(customer_id="C0zeta", org="Zeta Acme Corp", domain="zeta.example")
    target = EntitlementFactory(customer=acme, entitlement_id="Sx9Qw2AbCd")
    others = [EntitlementFactory(customer=other) for _ in range(3)]
    return {"acme": acme, "other": other, "target": target, "others": others}


def _search(client, model, term):
    return client.get(reverse(f"admin:fulfillment_{model}_changelist"), {"q": term}).content.decode()


ENTITLEMENT_TERMS = {
    "Sx9Qw2AbCd": "the id the list shows",
    "accounts/C0test/customers/C0acme/entitlements/Sx9": "the name's start",
    "accounts/C0test/customers/C0acme": "the customer's name (its start)",
    "acme wid": "the customer's organisation name start, any case",
    "ACME-WIDGETS.EXAMPLE": "the customer's domain",
}


@pytest.mark.parametrize("term", list(ENTITLEMENT_TERMS), ids=list(ENTITLEMENT_TERMS.values()))
def test_the_entitlement_search_finds_it(admin_user_client, world, term):
    html = _search(admin_user_client, "entitlement", term)
    assert "Sx9Qw2AbCd" in html, term
    assert not any(str(e) in html for e in world["others"])


@pytest.mark.parametrize("term", ["sx9qw2abcd", "Sx9Qw", "widgets", "Zeta Acme"])
def test_the_entitlement_search_is_exact_where_it_says(admin_user_client, world, term):
    # the short id is case-sensitive and exact (Channel ids); the organisation name matches its start
    assert "Sx9Qw2AbCd" not in _search(admin_user_client, "entitlement", term)


@pytest.mark.parametrize(
    ("term", "found"),
    [("acme", "Acme Widgets Ltd"), ("ZETA A", "Zeta Acme Corp"), ("Zeta.example", "Zeta Acme Corp")],
)
def test_the_customer_search_finds_it(admin_user_client, world, term, found):
    html = _search(admin_user_client, "customer", term)
    other = ({"Acme Widgets Ltd", "Zeta Acme Corp"} - {found}).pop()
    assert f">{found}<" in html and f">{other}<" not in html


def test_the_search_boxes_say_what_can_be_typed(admin_user_client, world):
    assert "organisation name (its start, any case)" in _search(admin_user_client, "entitlement", "")
    assert "The start of the organisation name (any case)" in _search(admin_user_client, "customer", "")


@SQLITE_PLANS_ONLY
@pytest.mark.parametrize("term", list(ENTITLEMENT_TERMS), ids=list(ENTITLEMENT_TERMS.values()))
def test_every_entitlement_search_reads_indexes_only(client, superuser, world, term):
    client.force_login(superuser)
    queries = searches_of(lambda: _search(client, "entitlement", term), [term])
    assert_no_full_scan(queries, ENTITLEMENTS)
    for sql, params in queries:  # the customers' side of the IN subquery too
        plan = [line for line in _plan(sql, params) if CUSTOMERS in line]
        assert plan and not any(line.startswith(f"SCAN {CUSTOMERS}") for line in plan), plan


@SQLITE_PLANS_ONLY
@pytest.mark.parametrize("term", ["acme", "zeta.example", "accounts/C0test/customers/C0a"])
def test_every_customer_search_reads_indexes_only(client, superuser, world, term):
    client.force_login(superuser)
    assert_no_full_scan(searches_of(lambda: _search(client, "customer", term), [term]), CUSTOMERS)


def _plan(sql, params):
    from tests.fulfillment.search_plans import sqlite_plan  # noqa: PLC0415 - SQLite only

    return sqlite_plan(sql, params)


@pytest.mark.parametrize(
    ("model", "condition", "column"),
    [
        (Entitlement, Q(short_id="Sx9Qw2AbCd"), "short_id"),
        (Entitlement, Q(prefix("id", "accounts/C0test/customers/C0acme/")), "id"),
        (Entitlement, Q(customer_id="accounts/C0test/customers/C0acme"), "customer_id"),
        (Customer, Q(org_display_name__istartswith="acme"), "org_display_name"),
        (Customer, Q(domain="acme-widgets.example"), "domain"),
        (Customer, Q(prefix("id", "accounts/C0test/")), "id"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_each_search_lookup_is_served_by_an_index(world, model, condition, column):
    assert_index_serves(model.objects.filter(condition), column)


# --- the read API ------------------------------------------------------------------------------


def _names(response):
    assert response.status_code == 200, response.content[:500]
    return [o["name"] for o in response.json()]


@pytest.mark.parametrize(
    "query",
    [
        "eq(shortId,Sx9Qw2AbCd)",
        "in(shortId,(Sx9Qw2AbCd,nothing))",
        "like(shortId,Sx9Q*)",
        "ilike(customer.orgDisplayName,acme%20w*)",
        "eq(customer.orgDisplayName,Acme%20Widgets%20Ltd)",
        "eq(customer.domain,acme-widgets.example)",
        "ilike(customer.domain,ACME-WIDGETS.EXAMPLE)",
    ],
)
def test_the_entitlement_filters_return_it(api, world, query):
    assert _names(api.get(f"/api/v1/channel/entitlements?{query}")) == [world["target"].pk]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ilike(orgDisplayName,acme*)", ["acme"]),
        ("like(orgDisplayName,Zeta*)", ["other"]),
        ("like(orgDisplayName,zeta*)", []),  # like is case-sensitive
        ("eq(domain,zeta.example)", ["other"]),
        ("ilike(domain,Zeta.Example)", ["other"]),
        ("search=acme", ["acme"]),  # the start of the name or domain, not the middle
        ("search=zeta.ex", ["other"]),
    ],
)
def test_the_customer_filters_return_it(api, world, query, expected):
    assert sorted(_names(api.get(f"/api/v1/channel/customers?{query}"))) == sorted(
        world[key].pk for key in expected
    )


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/channel/customers?ilike(orgDisplayName,*widgets*)",
        "/api/v1/channel/customers?like(domain,*.example)",
        "/api/v1/channel/entitlements?ilike(customer.orgDisplayName,*widgets)",
        "/api/v1/channel/entitlements?like(shortId,*AbCd)",
    ],
)
def test_an_api_pattern_that_would_scan_is_refused(api, world, url):
    response = api.get(url)
    assert response.status_code == 400
    assert "would scan the whole table" in response.content.decode()


@SQLITE_PLANS_ONLY
@pytest.mark.parametrize(
    ("url", "marker", "table"),
    [
        ("/api/v1/channel/entitlements?eq(shortId,Sx9Qw2AbCd)", "Sx9Qw2AbCd", ENTITLEMENTS),
        ("/api/v1/channel/entitlements?ilike(customer.orgDisplayName,acme*)", "acme", ENTITLEMENTS),
        ("/api/v1/channel/entitlements?eq(customer.domain,zeta.example)", "zeta.example", ENTITLEMENTS),
        ("/api/v1/channel/customers?ilike(orgDisplayName,acme*)", "acme", CUSTOMERS),
        ("/api/v1/channel/customers?search=acme", "acme", CUSTOMERS),
    ],
)
def test_every_api_filter_reads_indexes_only(api, world, url, marker, table):
    assert_no_full_scan(searches_of(lambda: api.get(url), [marker]), table)


# --- the column behind it ----------------------------------------------------------------------


def test_the_mapper_fills_the_short_id(world):
    payload = world["target"].payload
    assert mappers.map_entitlement(payload)["short_id"] == "Sx9Qw2AbCd" == str(world["target"])


def test_the_migration_backfills_the_short_id(world):
    Entitlement.objects.update(short_id="")
    import_module("fulfillment.migrations.0010_search_indexes").fill_search_columns(apps, None)
    assert Entitlement.objects.get(pk=world["target"].pk).short_id == "Sx9Qw2AbCd"
    assert not Entitlement.objects.filter(short_id="").exists()


def test_a_name_with_slashes_is_quoted_in_rql(api, world):
    name = quote(f'"{world["acme"].pk}"', safe="")
    assert _names(api.get(f"/api/v1/channel/entitlements?eq(customer,{name})")) == [world["target"].pk]
