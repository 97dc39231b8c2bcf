"""Our Connect client against the real sandbox over HTTP: paging, errors, retries."""

from __future__ import annotations

import socket

import pytest

from channelhub.upstream import rql
from channelhub.upstream.connect import ConnectClient
from channelhub.upstream.errors import (
    UpstreamBadResponse,
    UpstreamNotConfigured,
    UpstreamNotFound,
    UpstreamRejected,
    UpstreamRetryable,
    UpstreamTimeout,
    UpstreamUnauthorized,
)
from channelhub.upstream.http import RetryPolicy
from tests.channelhub.sync.helpers import control, sandbox_log, settled_log


@pytest.fixture
def client(sandbox):
    c = ConnectClient(
        base_url=sandbox.connect_url,
        api_key="SU-000-000-000:sandbox",
        timeout=1.0,
        retry=RetryPolicy(max_retries=3, backoff=0.01),
    )
    c.sleeps = []
    c.http.sleep = c.sleeps.append  # record the backoff instead of sleeping it
    return c


def faults(sandbox, **config):
    control(sandbox, "POST", "faults", config)


def calls_to(sandbox, fragment: str, method: str | None = None) -> list[dict]:
    return [
        e for e in sandbox_log(sandbox) if fragment in e["path"] and (method is None or e["method"] == method)
    ]


def a_request(client, status: str) -> dict:
    page = client.list_page("/requests", filters=rql.eq("status", status), limit=1)
    assert page.items, f"the sandbox has no {status} request"
    return page.items[0]


def test_list_page_reads_content_range(client):
    page = client.list_page("/requests", limit=5, offset=2)
    assert len(page.items) == 5
    assert (page.first, page.last) == (2, 6)
    assert page.total == client.count("/requests") > 5


def test_iter_all_reads_every_object_once(client):
    ids = [o["id"] for o in client.iter_all("/tier/accounts", limit=7)]
    assert len(ids) == len(set(ids)) == client.count("/tier/accounts")


def test_rql_values_with_timezones_and_commas_survive_the_url(client):
    first = client.list_page("/requests", ordering=("updated", "id"), limit=1).items[0]
    page = client.list_page("/requests", filters=rql.eq("updated", first["updated"]), limit=100)
    assert first["id"] in {o["id"] for o in page.items}
    assert client.list_page("/products", filters=rql.eq("name", "a,b)(c"), limit=1).items == []


def test_not_found_and_rejections_carry_the_upstream_code(client):
    with pytest.raises(UpstreamNotFound) as not_found:
        client.get("/requests/PR-0000-0000-0000-000")
    assert not_found.value.status == 404 and not_found.value.code
    approved = a_request(client, "approved")
    with pytest.raises(UpstreamRejected) as rejected:
        client.post(f"/requests/{approved['id']}/pend")
    assert rejected.value.status == 400
    assert rejected.value.code and rejected.value.errors
    assert not rejected.value.retryable


def test_bad_credentials_are_unauthorized(sandbox):
    with pytest.raises(UpstreamUnauthorized) as exc:
        ConnectClient(base_url=sandbox.connect_url, api_key=" ").list_page("/requests")
    assert exc.value.code == "AUTH_001"


def test_missing_settings_say_what_to_set(settings):
    settings.CONNECT_API_URL = ""
    with pytest.raises(UpstreamNotConfigured, match="CONNECT_API_URL"):
        ConnectClient.from_settings()


@pytest.mark.parametrize("kind", ["500", "502", "503", "truncated", "reset", "timeout"])
def test_reads_retry_transient_faults(client, sandbox, kind):
    faults(sandbox, next=[kind, kind], path="/requests", timeout_seconds=2)
    page = client.list_page("/requests", limit=3)
    assert len(page.items) == 3
    assert len(client.sleeps) == 2


def test_429_honours_retry_after(client, sandbox):
    faults(sandbox, next=["429"], path="/requests", retry_after=2)
    client.list_page("/requests", limit=1)
    assert client.sleeps == [2.0]


def test_reads_give_up_after_max_retries(client, sandbox):
    faults(sandbox, rate=1.0, kinds=["502"], path="/requests")
    with pytest.raises(UpstreamRetryable) as exc:
        client.list_page("/requests", limit=1)
    assert exc.value.status == 502
    assert len(client.sleeps) == 3


def test_an_action_is_not_resent_after_a_timeout(client, sandbox):
    pending = a_request(client, "pending")
    control(sandbox, "DELETE", "log")
    faults(sandbox, next=["timeout"], path="/fail", timeout_seconds=2)
    with pytest.raises(UpstreamTimeout) as exc:
        client.post(f"/requests/{pending['id']}/fail", {"reason": "test"})
    assert exc.value.maybe_applied
    settled_log(sandbox, lambda entries: any("/fail" in e["path"] for e in entries))
    assert len(calls_to(sandbox, "/fail", "POST")) == 1  # sent once, never blindly again
    # ... and it was applied upstream: the caller must read the state before re-sending
    assert client.get(f"/requests/{pending['id']}")["status"] == "failed"


def test_an_action_is_resent_after_503(client, sandbox):
    pending = a_request(client, "pending")
    control(sandbox, "DELETE", "log")
    faults(sandbox, next=["503"], path="/fail")
    result = client.post(f"/requests/{pending['id']}/fail", {"reason": "test"})
    assert result["status"] == "failed"
    assert len(calls_to(sandbox, "/fail", "POST")) == 2


def test_a_broken_body_is_a_bad_response(client, sandbox):
    faults(sandbox, rate=1.0, kinds=["truncated"], path="/requests")
    with pytest.raises(UpstreamBadResponse):
        client.list_page("/requests", limit=2)


def test_connection_refused_is_retryable_and_never_applied():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once we leave: nothing listens there
    c = ConnectClient(
        base_url=f"http://127.0.0.1:{port}/public/v1",
        api_key="x",
        retry=RetryPolicy(max_retries=1, backoff=0),
    )
    with pytest.raises(UpstreamRetryable) as exc:
        c.post("/requests/PR-1/approve", {"template_id": "TL-1"})
    assert not exc.value.maybe_applied
