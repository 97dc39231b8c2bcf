"""Property tests: no query, however odd, makes the read API answer 500.

Two generators: (1) schema-driven, in schemathesis' manner: for each list operation of our
own OpenAPI schema, any subset of its documented query parameters with values drawn from
each parameter's JSON schema (hypothesis-jsonschema); (2) raw RQL-looking text built from
RQL's own alphabet, operators and our filter names. Example counts stay modest so the suite
stays fast; a failure prints the exact query to replay.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from tests.fulfillment.connect import factories as f

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _list_operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in sorted(schema["paths"].items()):
        op = item.get("get")
        if not op or not op["operationId"].endswith("_list"):
            continue
        params = [p for p in op.get("parameters", []) if p["in"] == "query"]
        yield path.replace("{product_id}", "PRD-276-377-545"), params


OPERATIONS = list(_list_operations())


def _value(param):
    return st.one_of(from_schema(param.get("schema", {"type": "string"})).map(str), st.text(max_size=12))


def _query(params):
    pairs = st.lists(
        st.sampled_from(params).flatmap(lambda p: st.tuples(st.just(p["name"]), _value(p))),
        max_size=4,
    )
    return pairs.map(lambda kv: "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in kv))


@pytest.fixture
def world():
    f.FulfillmentRequestFactory(status="pending")
    f.FulfillmentRequestFactory(status="failed", assignee=None)
    f.AssetFactory()
    f.TierConfigRequestFactory()
    f.TemplateFactory()


@pytest.mark.parametrize("path,params", OPERATIONS, ids=[p for p, _ in OPERATIONS])
def test_schema_driven_queries_never_500(api, world, path, params):
    assert params, f"{path} documents no query parameters"

    @FUZZ
    @given(query=_query(params))
    def check(query):
        r = api.get(f"{path}?{query}")
        assert r.status_code in (200, 400), (query, r.status_code, r.content[:300])
        assert r["Content-Type"].startswith("application/json")
        if r.status_code == 400:
            body = r.json()
            assert body["error_code"] and body["errors"], body

    check()


NAMES = [
    "status",
    "created",
    "asset.product.id",
    "id",
    "assignee",
    "limit",
    "offset",
    "search",
    "nope",
    "events.updated.at",
]
ATOMS = st.one_of(
    st.sampled_from(NAMES),
    st.sampled_from(
        [
            "pending",
            "null()",
            "empty()",
            "2024-01-01",
            "2024-01-01T00:00:00+00:00",
            "*x*",
            "-1",
            "1e99",
            "'a'",
            '"b c"',
            "%00",
            "\\",
            "💥",
        ]
    ),
    st.text(alphabet="abc(),=&*.-+'\"_ 0123456789", max_size=8),
)


def _rql(depth=2):
    op = st.sampled_from(["eq", "ne", "gt", "ge", "lt", "le", "like", "ilike", "in", "out"])
    leaf = st.builds(lambda o, a, b: f"{o}({a},{b})", op, ATOMS, ATOMS) | ATOMS
    if depth == 0:
        return leaf
    node = st.builds(
        lambda o, xs: f"{o}({','.join(xs)})",
        st.sampled_from(["and", "or", "not", "ordering", "select"]),
        st.lists(_rql(depth - 1), max_size=3),
    )
    return leaf | node


@FUZZ
@given(terms=st.lists(_rql(), min_size=1, max_size=3))
def test_raw_rql_never_500(api, world, terms):
    query = "&".join(terms)
    for path in ("/api/v1/connect/requests", "/api/v1/channelhub/actions"):
        r = api.get(f"{path}?{quote(query, safe='(),=&*.-+')}")
        assert r.status_code in (200, 400), (path, query, r.status_code, r.content[:300])


# --- hostile shapes (channelhub.api.limits; the fixed corpus is tests/channelhub/api/hostile.py) ------

_LEAF = st.sampled_from(["eq(status,pending)", "in(id,(PR-1,PR-2))", "ne(type,purchase)", "ilike(id,*1*)"])
_MANY = st.integers(0, 2000)


def _hostile():
    """The corpus' shapes at random sizes, from well under the caps to far past them."""
    seq = st.lists(_LEAF, min_size=1, max_size=3)
    return st.one_of(
        st.builds(lambda d, leaf: "(" * d + leaf + ")" * d, st.integers(0, 400), _LEAF),
        st.builds(lambda d, leaf: "".join(f"and({leaf}," for _ in range(d)) + leaf + ")" * d, _MANY, _LEAF),
        st.builds(lambda k, xs, sep: sep.join(xs * k), _MANY, seq, st.sampled_from(["&", "|"])),
        st.builds(lambda k, xs: f"and({','.join(xs * k)})", _MANY, seq),
        st.builds(lambda k: f"in(id,({','.join(f'PR-{i}' for i in range(k))}))", st.integers(0, 12_000)),
        st.builds(lambda k: "select(" + ",".join(f"-asset.p{i}" for i in range(k)) + ")&limit=1000", _MANY),
        st.builds(lambda k: "select(-" + ".".join(["asset"] * k) + ")", st.integers(1, 1500)),
        st.builds(lambda k: "ordering(" + ",".join(["-created", "id"] * k) + ")", st.integers(1, 300)),
        st.builds(lambda k: "eq(id," + "x" * k + ")", st.integers(0, 120_000)),
        st.builds(lambda k: "search=" + "s" * k, st.integers(0, 60_000)),
    )


@FUZZ
@given(queries=st.lists(_hostile(), min_size=1, max_size=2))
def test_hostile_shapes_are_200_or_400_naming_the_limit(api, world, queries):
    query = "&".join(queries)
    for path in ("/api/v1/connect/requests", "/api/v1/channelhub/actions", "/api/v1/channel/entitlements"):
        r = api.get(f"{path}?{quote(query, safe='(),=&*.-+|')}")
        assert r.status_code in (200, 400), (path, query[:300], r.status_code, r.content[:300])
        assert r["Content-Type"].startswith("application/json"), (path, query[:300])
        if r.status_code == 400:
            body = r.json()
            assert body["error_code"] and body["errors"], body
            if body["error_code"] == "RQL_004":
                assert body["details"]["limit"] in body["errors"][0], body
