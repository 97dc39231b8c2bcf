"""Property tests of /api/v1/channel: no query, however odd, makes it answer 500.

tests/channelhub/api/test_fuzz.py already walks every list operation of our OpenAPI schema (the Channel
ones included) over a Connect-only database; here the same schema-driven generator runs over
a filled Channel mirror, with raw RQL built from Channel's field names and resource-name
values, and with arbitrary detail paths (names hold slashes, so anything below a collection
reaches the view: 200 or a JSON 404, nothing else).
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.channelhub.api.test_fuzz import FUZZ, OPERATIONS, _query, _rql

from .test_channel_api import world  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

CHANNEL_OPERATIONS = [(path, params) for path, params in OPERATIONS if path.startswith("/api/v1/channel/")]


def test_the_schema_lists_every_channel_collection():
    assert {p.rstrip("/").rsplit("/", 1)[-1] for p, _ in CHANNEL_OPERATIONS} == {
        "customers",
        "entitlements",
        "entitlement-changes",
        "offers",
        "products",
        "skus",
        "channel-partner-links",
    }


def _check(response, query):
    assert response.status_code in (200, 400), (query, response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    if response.status_code == 400:
        body = response.json()
        assert body["error_code"] and body["errors"], body


@pytest.mark.parametrize("path,params", CHANNEL_OPERATIONS, ids=[p for p, _ in CHANNEL_OPERATIONS])
def test_schema_driven_queries_never_500(api, world, path, params):  # noqa: F811
    assert params, f"{path} documents no query parameters"

    @FUZZ
    @given(query=_query(params))
    def check(query):
        _check(api.get(f"{path}?{query}"), query)

    check()


NAMES = [
    "name",
    "customer",
    "provisioningState",
    "offer",
    "sku",
    "commitmentSettings.endTime",
    "trialSettings.trial",
    "parameters.num_units",
    "gone",
    "goneTime",
    "createTime",
    "updateTime",
    "orgDisplayName",
    "limit",
    "search",
]
VALUES = [
    '"accounts/C01hub9x/customers/S00001"',
    "accounts/C01hub9x/customers/S00001",
    "ACTIVE",
    "SUSPENDED",
    "true",
    "false",
    "null()",
    "2024-03-01T09:00:00Z",
    "2024-03-01T09:00:00.123456789Z",
    "-1",
    "9223372036854775808",
    "*Acme*",
]
CHANNEL_ATOMS = st.one_of(
    st.sampled_from(NAMES),
    st.sampled_from(VALUES),
    st.text(alphabet="abc(),=&*.-+'\"_/ 0123456789Z", max_size=10),
)


@FUZZ
@given(
    terms=st.lists(
        st.one_of(_rql(), st.builds(lambda n, v: f"eq({n},{v})", st.sampled_from(NAMES), CHANNEL_ATOMS))
    )
)
def test_raw_rql_with_channel_names_never_500(api, world, terms):  # noqa: F811
    query = "&".join(terms)
    for path in ("/api/v1/channel/entitlements", "/api/v1/channel/customers"):
        r = api.get(f"{path}?{quote(query, safe='(),=&*.-+/')}")
        assert r.status_code in (200, 400), (path, query, r.status_code, r.content[:300])


@FUZZ
@given(
    collection=st.sampled_from([p.rstrip("/") for p, _ in CHANNEL_OPERATIONS]),
    name=st.one_of(
        st.sampled_from(
            ["accounts/C01hub9x/customers/S00001", "products/Google-Workspace", "-", "%2F", "%0A"]
        ),
        st.text(alphabet="abcAZ09-_./%~:", min_size=1, max_size=40),
    ),
)
def test_any_detail_path_is_200_or_json_404(api, world, collection, name):  # noqa: F811
    r = api.get(f"{collection}/{quote(name, safe='/%')}")
    assert r.status_code in (200, 404), (name, r.status_code, r.content[:300])
    assert r["Content-Type"].startswith("application/json")
