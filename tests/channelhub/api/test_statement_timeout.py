"""On PostgreSQL no statement of an API request outlives API_STATEMENT_TIMEOUT_MS, and the
timeout never stays on the connection (channelhub.api.limits.statement_timeout).

The slow request is the real requests viewset over a queryset whose statements sleep 30 s
(tests/channelhub/api/pg_sleep_urls.py); without the timeout it answers 200 after 30 s.
"""

from __future__ import annotations

import time

import pytest
from django.db import connection

from tests.fulfillment.connect import factories as f

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="statement_timeout is PostgreSQL's"),
    pytest.mark.urls("tests.channelhub.api.pg_sleep_urls"),
]


def show_timeout() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return cursor.fetchone()[0]


def _cancelled_and_restored(api, settings):
    f.FulfillmentRequestFactory()
    before = show_timeout()
    settings.API_STATEMENT_TIMEOUT_MS = 300
    start = time.perf_counter()
    r = api.get("/api/v1/sleepy?eq(status,pending)")
    elapsed = time.perf_counter() - start
    print(f"\ncancelled after {elapsed * 1000:.0f} ms (timeout 300 ms, statement sleeps 30 s)")
    assert r.status_code == 503, r.content[:300]
    body = r.json()
    assert body["error_code"] == "QUERY_TOO_EXPENSIVE"
    assert "API_STATEMENT_TIMEOUT_MS" in body["errors"][0] and "300 ms" in body["errors"][0]
    assert body["details"] == {"limit": "API_STATEMENT_TIMEOUT_MS", "max": 300}
    assert elapsed < 10  # the statement sleeps 30 s
    # The connection is usable and carries no timeout of the request's.
    assert show_timeout() == before
    settings.API_STATEMENT_TIMEOUT_MS = 2000
    assert api.get("/api/v1/timeout").json() == {"statement_timeout": "2s"}
    assert show_timeout() == before
    assert api.get("/api/v1/connect/requests?eq(status,pending)").status_code == 200
    assert show_timeout() == before


@pytest.mark.django_db
def test_a_statement_past_the_timeout_is_503_inside_a_transaction(api, settings):
    """Inside the test's transaction (as under ATOMIC_REQUESTS) the request is a savepoint."""
    assert connection.in_atomic_block
    _cancelled_and_restored(api, settings)


@pytest.mark.django_db(transaction=True)
def test_a_statement_past_the_timeout_is_503_on_an_autocommit_connection(api, settings):
    """On an autocommit connection, as in production: the request is a transaction of its own."""
    assert not connection.in_atomic_block
    _cancelled_and_restored(api, settings)


@pytest.mark.django_db
def test_the_default_timeout_is_five_seconds(api):
    assert api.get("/api/v1/timeout").json() == {"statement_timeout": "5s"}
