"""Every request of the read API has a bounded cost (channelhub.api.limits, docs/api.md "Limits").

- Each cap refuses a query one over it with a 400 naming the cap, and lets one at it through.
- A query at every default cap at once still answers 200 on SQLite and PostgreSQL: the caps
  sit below the recursion and database limits they guard against.
- The hostile corpus (tests/channelhub/api/hostile.py) is a 400 naming a limit on every endpoint of the
  schema, list and detail; before the caps these were 500s (RecursionError, SQLite's
  "Expression tree is too large", "too many arguments on function json_remove", "LIKE or
  GLOB pattern too complex"), Django's HTML 400 (more than 1000 fields) or 2 minutes of SQL.
"""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest
from django.db import connection
from drf_spectacular.generators import SchemaGenerator

from channelhub.api import limits
from tests.fulfillment.connect import factories as f

from .hostile import corpus

pytestmark = pytest.mark.django_db

REQUESTS = "/api/v1/connect/requests"


def get(api, path: str, query: str):
    return api.get(f"{path}?{quote(query, safe='(),=&*.-+|')}")


def assert_refused(response, cap: limits.Cap | None = None, context: str = ""):
    assert response.status_code == 400, (context, response.status_code, response.content[:300])
    body = response.json()
    assert body["error_code"] == "RQL_004", (context, body)
    details = body["details"]
    assert details["limit"].startswith("API_RQL_MAX_") and details["value"] > details["max"], body
    message = " ".join(body["errors"])
    assert details["limit"] in message and f"at most {details['max']}" in message, body
    if cap is not None:
        assert details["limit"] == cap.setting, body
    return body


def _values(n: int, prefix: str = "V") -> str:
    return ",".join(f"{prefix}{i}" for i in range(n))


# cap -> (a small value for it, query with n of what it counts)
AT_AND_OVER = {
    limits.QUERY_LENGTH: (60, lambda n: f"eq(id,{'x' * (n - 7)})"),
    # parentheses inside a quoted value are text, not nesting
    limits.DEPTH: (4, lambda n: "(" * (n - 1) + 'eq(id,"' + "(" * 20 + '")' + ")" * (n - 1)),
    limits.TERMS: (5, lambda n: "&".join(["eq(status,pending)"] * n)),
    limits.LIST_VALUES: (
        10,
        lambda n: f"in(id,({_values(n // 2, 'A')}))&in(asset.id,({_values(n - n // 2)}))",
    ),
    limits.SELECT_PROPS: (3, lambda n: "select(" + ",".join(f"-p{i}" for i in range(n)) + ")"),
    limits.ORDERING_KEYS: (2, lambda n: "ordering(" + ",".join(["-created", "id", "status"][:n]) + ")"),
    limits.PATH_SEGMENTS: (3, lambda n: "select(-" + ".".join(["asset"] * n) + ")"),
    limits.NAME_LENGTH: (10, lambda n: "select(-" + "a" * n + ")"),
    limits.VALUE_LENGTH: (10, lambda n: f"eq(id,{'x' * n})"),
}


@pytest.mark.parametrize("cap", limits.CAPS, ids=lambda c: c.setting)
def test_each_cap_lets_its_value_through_and_refuses_one_more(api, settings, cap):
    assert set(AT_AND_OVER) == set(limits.CAPS)  # every cap is tested here
    f.FulfillmentRequestFactory()
    value, build = AT_AND_OVER[cap]
    setattr(settings, cap.setting, value)
    at = get(api, REQUESTS, build(value))
    assert at.status_code == 200, (build(value), at.content[:300])
    body = assert_refused(get(api, REQUESTS, build(value + 1)), cap)
    assert body["details"] == {"limit": cap.setting, "max": value, "value": value + 1}


def test_the_ordering_cap_is_django_rqls_too(api, settings):
    f.FulfillmentRequestFactory()
    six = "ordering(-created,id,status,type,updated,asset.id)"
    assert_refused(get(api, REQUESTS, six), limits.ORDERING_KEYS)
    settings.API_RQL_MAX_ORDERING = 6
    assert get(api, REQUESTS, six).status_code == 200  # django-rql alone stops at 5


def _at_every_cap() -> str:
    """One query at every default cap at once (depth, terms, list values, select paths of
    full length and segments, ordering keys, value length), under the length cap."""
    depth, terms, values = limits.DEPTH.default, limits.TERMS.default, limits.LIST_VALUES.default
    nested = "eq(status,pending)"
    for _ in range(depth - 2):  # and() levels around eq(); the in() of each adds the last level
        nested = f"and(in(type,(purchase,change)),{nested})"
    nested_terms, nested_values = depth - 1, 2 * (depth - 2)  # an in() a level, and the eq()

    def path(i: int) -> str:  # PATH_SEGMENTS segments, NAME_LENGTH characters
        head = ".".join([f"s{i}"] * (limits.PATH_SEGMENTS.default - 1)) + "."
        return head + "p" * (limits.NAME_LENGTH.default - len(head))

    flat = [
        f"ne(id,{'v' * limits.VALUE_LENGTH.default})",
        "ordering("
        + ",".join(["-created", "-updated", "status", "type", "id"][: limits.ORDERING_KEYS.default])
        + ")",
        "limit=1000",
        "select(" + ",".join(f"-{path(i)}" for i in range(limits.SELECT_PROPS.default)) + ")",
    ]
    lists_n = terms - nested_terms - 2  # ne() and limit are terms too
    spread = [(values - nested_values) // lists_n] * lists_n
    spread[-1] += values - nested_values - sum(spread)
    lists = [f"in(id,({_values(n, f'L{t}-')}))" for t, n in enumerate(spread)]
    return "&".join([nested, *flat, *lists])


def test_a_query_at_every_cap_answers_200(api):
    for _ in range(5):
        f.FulfillmentRequestFactory()
    query = _at_every_cap()
    assert len(query) <= limits.QUERY_LENGTH.default
    limits.check_query(query)  # at, not over: no cap refuses it
    start = time.perf_counter()
    r = get(api, REQUESTS, query)
    elapsed = time.perf_counter() - start
    print(f"\nquery at every cap ({len(query)} chars) on {connection.vendor}: {elapsed * 1000:.0f} ms")
    assert r.status_code == 200, r.content[:300]
    assert elapsed < 10  # before the caps: 2 minutes for 10,000 in() values on SQLite
    assert_refused(get(api, REQUESTS, query + "&eq(status,pending)"), limits.TERMS)  # one more


def _operations():
    """Every list and detail operation of the schema (so every route of the routers)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in sorted(schema["paths"].items()):
        op = item.get("get")
        if op and op["operationId"].endswith(("_list", "_retrieve")):
            path = path.rstrip("/").replace("{product_id}", "PRD-276-377-545")
            yield path.replace("{id}", "X-1").replace("{name}", "X-1")


OPERATIONS = list(_operations())
# 29 collections (the inventory: resources, sources, metrics), each with its detail: the corpus
# below reaches every route.
assert len(OPERATIONS) == 58 and sum(p.endswith("X-1") for p in OPERATIONS) == 29, OPERATIONS


@pytest.mark.parametrize("path", OPERATIONS)
def test_hostile_queries_are_400_naming_the_limit_on_every_endpoint(api, path):
    list_path = path.removesuffix("/X-1")
    slowest, hit = (0.0, ""), set()
    for shape, query in corpus(list_path):
        start = time.perf_counter()
        r = get(api, path, query)
        elapsed = time.perf_counter() - start
        slowest = max(slowest, (elapsed, shape))
        assert r["Content-Type"].startswith("application/json"), (shape, r.content[:200])
        hit.add(assert_refused(r, context=shape)["details"]["limit"])
    print(f"\n{path} on {connection.vendor}: slowest hostile query {slowest[0] * 1000:.0f} ms ({slowest[1]})")
    assert hit == {cap.setting for cap in limits.CAPS}  # each cap answers on each endpoint
    assert slowest[0] < 10, slowest  # before the caps: 127 s for 50 in() of 200 values


@pytest.mark.parametrize("path", OPERATIONS)
def test_a_query_of_thousands_of_fields_that_does_not_parse_is_a_json_400(api, path):
    for query in ("eq(id,x)" + "&" * 1500, "&".join(["x"] * 1500)):
        r = api.get(f"{path}?{query}")  # was Django's HTML 400 (over 1000 fields)
        assert r.status_code == 400 and r.json()["error_code"] == "RQL_001", r.content[:200]
