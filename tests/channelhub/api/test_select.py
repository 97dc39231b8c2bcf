"""select(-a.b): removed in SQL where the path runs through objects, in Python where it
crosses an array; the two together must equal the plain Python pruning of the payload."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channelhub.api.select import prune
from fulfillment.models import FulfillmentRequest
from tests.fulfillment.connect import factories as f

pytestmark = pytest.mark.django_db

KEYS = st.sampled_from(["a", "b", "c-d", "e_f"])
SCALARS = st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=3)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=12,
)
PATHS = st.lists(st.lists(KEYS, min_size=1, max_size=3).map(tuple), min_size=1, max_size=3, unique=True)


def _listed(api, paths, extra=""):
    query = "select(" + ",".join("-" + ".".join(p) for p in paths) + f"){extra}&ordering(id)&limit=100"
    r = api.get(f"/api/v1/connect/requests?{query}")
    assert r.status_code == 200, r.content
    return r.json()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=st.lists(st.dictionaries(KEYS, JSON, max_size=4), min_size=1, max_size=3), paths=PATHS)
def test_sql_and_python_pruning_equal_python_alone(api, docs, paths):
    FulfillmentRequest.objects.all().delete()
    rows = []
    for doc in docs:
        rows.append(f.FulfillmentRequestFactory())
        # The stored JSON is any object here (the typed columns stay those of the factory).
        FulfillmentRequest.objects.filter(pk=rows[-1].pk).update(payload=doc)
    got = _listed(api, paths)
    expected = [orjson.loads(prune(orjson.dumps(d).decode(), tuple(paths))) for d in docs]
    assert got == expected
    for row, doc in zip(rows, expected, strict=True):  # the detail prunes the same way
        query = "select(" + ",".join("-" + ".".join(p) for p in paths) + ")"
        assert api.get(f"/api/v1/connect/requests/{row.pk}?{query}").json() == doc


def test_a_path_through_an_array_applies_to_every_element(api):
    pr = f.FulfillmentRequestFactory()
    payload = pr.payload
    payload["asset"]["items"] = [{"id": "1", "params": [1], "x": 1}, {"id": "2", "params": [2]}]
    FulfillmentRequest.objects.filter(pk=pr.pk).update(payload=payload)
    other = f.FulfillmentRequestFactory()  # its items an object: removed in SQL
    other_payload = other.payload
    other_payload["asset"]["items"] = {"params": 1, "id": "3"}
    FulfillmentRequest.objects.filter(pk=other.pk).update(payload=other_payload)

    first, second = _listed(api, [("asset", "items", "params"), ("note",)])
    assert first["asset"]["items"] == [{"id": "1", "x": 1}, {"id": "2"}] and "note" not in first
    assert second["asset"]["items"] == {"id": "3"} and "note" not in second
    assert first["asset"]["product"] == payload["asset"]["product"]
