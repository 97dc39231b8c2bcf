"""Compiled list plans and prepared lookups (channelhub.api.statements): the SQL of a URL is
compiled once and re-run, and what comes back is always the database's current rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from channelhub.api import viewsets
from channelhub.api.authentication import _TOKEN_BY_HASH
from channelhub.api.statements import PreparedModelQuery, Statement
from channelhub.models.tokens import ApiToken, hash_token
from fulfillment.models import FulfillmentRequest
from tests.fulfillment.connect import factories as f

pytestmark = pytest.mark.django_db

REQUESTS = "/api/v1/connect/requests"


@pytest.fixture(autouse=True)
def _no_plans():
    viewsets._LIST_PLANS.clear()
    yield
    viewsets._LIST_PLANS.clear()


def _ids(response):
    return [o["id"] for o in response.json()]


def test_a_repeated_query_reuses_its_plan_and_sees_new_rows(api, monkeypatch):
    f.FulfillmentRequestFactory(status="pending")
    query = f"{REQUESTS}?eq(status,pending)&ordering(-created)&limit=5"
    first = api.get(query)
    assert first.status_code == 200 and first["Content-Range"] == "items 0-0/1"
    assert len(viewsets._LIST_PLANS) == 1

    # The second request must not filter, order or compile again...
    def no_compiling(*args, **kwargs):
        raise AssertionError("the plan was compiled again")

    monkeypatch.setattr(viewsets.ConnectPayloadViewSet, "filter_queryset", no_compiling)
    newer = f.FulfillmentRequestFactory(status="pending", created=timezone.now() + timedelta(days=1))
    f.FulfillmentRequestFactory(status="approved")
    second = api.get(query)
    # ...and still answers with the rows there are now: plans hold SQL, never results.
    assert second.status_code == 200 and second["Content-Range"] == "items 0-1/2"
    assert _ids(second)[0] == newer.id


def test_a_refused_query_is_not_kept(api, settings):
    for query in ("eq(status,pending", "limit=5000", "eq(nope,1)", "select(-a..b)"):
        assert api.get(f"{REQUESTS}?{query}").status_code == 400
    assert len(viewsets._LIST_PLANS) == 0


def test_a_changed_setting_empties_the_plans(api, settings):
    assert api.get(f"{REQUESTS}?limit=50").status_code == 200
    settings.API_MAX_LIMIT = 10
    assert len(viewsets._LIST_PLANS) == 0
    assert api.get(f"{REQUESTS}?limit=50").status_code == 400


def test_the_path_is_part_of_the_plan(api):
    one = f.TemplateFactory(product_id="PRD-1")
    two = f.TemplateFactory(product_id="PRD-2")
    assert _ids(api.get("/api/v1/connect/products/PRD-1/templates?limit=10")) == [one.id]
    assert _ids(api.get("/api/v1/connect/products/PRD-2/templates?limit=10")) == [two.id]


def test_select_exclusions_are_part_of_the_plan(api):
    f.FulfillmentRequestFactory()
    for _ in range(2):  # compiled, then from the plan
        assert "asset" in api.get(f"{REQUESTS}?limit=1").json()[0]
        assert "asset" not in api.get(f"{REQUESTS}?select(-asset)&limit=1").json()[0]


def test_the_plan_cache_is_bounded(api, monkeypatch):
    monkeypatch.setattr(viewsets._LIST_PLANS, "size", 3)
    for n in range(6):
        assert api.get(f"{REQUESTS}?limit={n + 1}").status_code == 200
    assert len(viewsets._LIST_PLANS) == 3


def test_statement_rows_come_back_as_the_orm_returns_them():
    """Raw column values pass through the ORM's converters (on SQLite a datetime is text, a
    boolean an integer and JSON a string until converted)."""
    request = f.FulfillmentRequestFactory(is_migration=True)
    queryset = FulfillmentRequest.objects.filter(pk=request.pk).values_list(
        "created", "is_migration", "items", "payload"
    )
    rows = Statement.of(queryset).rows()
    assert rows == [tuple(queryset.get())]
    created, is_migration, items, payload = rows[0]
    assert created == request.created and is_migration is True and isinstance(payload, dict)


def test_prepared_model_query_equals_the_orm_and_reads_fresh_rows(reader_token):
    token, plain = reader_token
    found = _TOKEN_BY_HASH.get(hash_token(plain))
    expected = ApiToken.objects.select_related("user").get(pk=token.pk)
    assert found is not None and found.pk == expected.pk
    for field in ApiToken._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    for field in get_user_model()._meta.concrete_fields:
        assert getattr(found.user, field.attname) == getattr(expected.user, field.attname), field.name
    assert found._state.adding is False and found._state.db == "default"

    # Revoked in bulk (no signal, no save): the next lookup already sees it.
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    assert _TOKEN_BY_HASH.get(hash_token(plain)).revoked_at is not None
    assert _TOKEN_BY_HASH.get(hash_token("chb_no-such-token")) is None


def test_a_token_revoked_in_bulk_from_the_admin_is_refused_at_once(api, reader_token):
    assert api.get(f"{REQUESTS}?limit=1").status_code == 200
    ApiToken.objects.filter(pk=reader_token[0].pk).update(revoked_at=timezone.now())
    assert api.get(f"{REQUESTS}?limit=1").status_code == 401


def test_a_prepared_query_needs_its_value_as_a_parameter():
    prepared = PreparedModelQuery(lambda value: FulfillmentRequest.objects.filter(id=value))
    request = f.FulfillmentRequestFactory()
    assert prepared.get(request.id) == request
    assert prepared.get("PR-none") is None


def test_a_viewset_may_opt_out_of_kept_plans(api, monkeypatch):
    monkeypatch.setattr(viewsets.ConnectPayloadViewSet, "cache_plans", False)
    f.FulfillmentRequestFactory()
    assert api.get(f"{REQUESTS}?limit=1")["Content-Range"] == "items 0-0/1"
    assert len(viewsets._LIST_PLANS) == 0


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/channelhub/actions?actor.id=9223372036854775808",
        "/api/v1/channel/entitlements?eq(parameters.num_units,9223372036854775808)",
        "/api/v1/channel/entitlements?eq(parameters.num_units,9223372036854775808)&limit=0",
    ],
)
def test_a_filter_that_can_match_nothing_is_an_empty_page(api, url):
    """The ORM compiles such a filter to EmptyResultSet (it catches it in count() and list());
    compiled statements get a false predicate instead."""
    r = api.get(url)
    assert r.status_code == 200, r.content
    assert r["Content-Range"] == "items 0-0/0" and r.json() == []
