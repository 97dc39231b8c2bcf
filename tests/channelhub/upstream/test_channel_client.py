"""The Cloud Channel client against the sandbox over real HTTP (token flow, paging, errors, LROs)."""

from __future__ import annotations

import json
import socket
import urllib.parse
import uuid

import pytest
import requests

from channelhub.upstream.channel import (
    ChannelClient,
    ChannelOperationFailed,
    ChannelOperationRetryable,
    clear_credentials_cache,
    load_credentials,
    operation_result,
)
from channelhub.upstream.channel_words import plain_words
from channelhub.upstream.errors import (
    UpstreamBadResponse,
    UpstreamNotConfigured,
    UpstreamNotFound,
    UpstreamRejected,
    UpstreamRetryable,
    UpstreamUnauthorized,
)


def control(sandbox, method: str, what: str, body: dict | None = None):
    response = requests.request(method, f"{sandbox.url}/_sandbox/{what}", json=body, timeout=30)
    response.raise_for_status()
    return response.json() if response.content else None


def log(sandbox) -> list[dict]:
    return control(sandbox, "GET", "log?limit=10000")


def knobs(sandbox, **values):
    return control(sandbox, "POST", "channel", values)


@pytest.fixture
def client(channel_settings) -> ChannelClient:
    return ChannelClient.from_settings()


def query_of(entry) -> dict:
    return dict(urllib.parse.parse_qsl(entry["query"]))


def entitlements(client, state: str) -> list[dict]:
    out = []
    for customer in client.iter_all(f"{client.account}/customers", "customers", page_size=50):
        out += [
            e
            for e in client.iter_all(f"{customer['name']}/entitlements", "entitlements")
            if e.get("provisioningState") == state
        ]
        if len(out) >= 2:
            break
    assert out, f"the sandbox has no {state} entitlement"
    return out


# --- configuration -------------------------------------------------------------------------


def test_not_configured(settings):
    settings.CHANNEL_API_URL = "http://127.0.0.1:1"
    settings.CHANNEL_ACCOUNT_ID = "C0"
    settings.CHANNEL_CREDENTIALS_FILE = ""
    settings.CHANNEL_ADMIN_EMAIL = "admin@example.com"
    assert not ChannelClient.is_configured()
    with pytest.raises(UpstreamNotConfigured):
        ChannelClient.from_settings()


def test_unreadable_key_file_is_not_configured(channel_settings, settings, tmp_path):
    settings.CHANNEL_CREDENTIALS_FILE = str(tmp_path / "missing.json")
    with pytest.raises(UpstreamNotConfigured, match="cannot be read"):
        ChannelClient.from_settings()
    (tmp_path / "bad.json").write_text("{}")
    settings.CHANNEL_CREDENTIALS_FILE = str(tmp_path / "bad.json")
    with pytest.raises(UpstreamNotConfigured, match="not a service-account key"):
        ChannelClient.from_settings()


def test_account_and_reads(client, channel_settings):
    assert client.account == f"accounts/{channel_settings.channel_account_id}"
    first = client.list_page(f"{client.account}/customers", "customers", page_size=1).items[0]
    assert client.get(first["name"]) == first


# --- token flow ----------------------------------------------------------------------------


def test_token_is_fetched_once_and_reused(client, channel_settings):
    for _ in range(3):
        client.list_page(f"{client.account}/customers", "customers", page_size=1)
    # a second client in the same process reuses the cached credentials too
    ChannelClient.from_settings().list_page(f"{client.account}/offers", "offers", page_size=1)
    entries = log(channel_settings)
    assert [e["path"] for e in entries].count("/token") == 1
    assert sum(e["path"].startswith("/v1/") and e["status"] == 200 for e in entries) == 4


def test_revoked_token_is_refreshed_once_on_401(client, channel_settings):
    client.list_page(f"{client.account}/customers", "customers", page_size=1)
    knobs(channel_settings, revoke_tokens=True)
    page = client.list_page(f"{client.account}/customers", "customers", page_size=1)
    assert page.items
    entries = [(e["path"], e["status"]) for e in log(channel_settings)]
    customers = f"/v1/{client.account}/customers"
    assert entries == [
        ("/token", 200),
        (customers, 200),
        (customers, 401),
        ("/token", 200),
        (customers, 200),
    ]


def _key_with_token_uri(channel_settings, tmp_path, token_uri: str) -> str:
    info = json.loads(channel_settings.channel_credentials_path.read_text())
    info["token_uri"] = token_uri
    path = tmp_path / "sa.json"
    path.write_text(json.dumps(info))
    return str(path)


def test_token_endpoint_refusal_is_unauthorized(channel_settings, settings, tmp_path):
    settings.CHANNEL_CREDENTIALS_FILE = _key_with_token_uri(
        channel_settings, tmp_path, f"{channel_settings.url}/no-such-token-endpoint"
    )
    client = ChannelClient.from_settings()
    with pytest.raises(UpstreamUnauthorized) as caught:
        client.get(f"{client.account}/customers/x")
    assert caught.value.code == "UNAUTHENTICATED"
    assert caught.value.errors[0] == "Google did not accept our credentials."
    assert caught.value.status is None  # the API itself was never called
    assert not any(e["path"].startswith("/v1/") for e in log(channel_settings))


def test_token_endpoint_down_is_retryable(client, channel_settings):
    # google-auth itself tries the token endpoint three times (about 3 s of its own backoff)
    control(channel_settings, "POST", "faults", {"next": ["503"] * 3, "path": "^/token$"})
    with pytest.raises(UpstreamRetryable) as caught:
        client.get(f"{client.account}/customers/x")
    assert not caught.value.maybe_applied
    assert [e["status"] for e in log(channel_settings)] == [503, 503, 503]
    # an outage of Google's token service is said as one, never as refused credentials
    assert caught.value.code == "UNAVAILABLE"
    assert "outage" in caught.value.errors[0]
    assert "credentials" not in str(caught.value).replace("not a problem with our credentials", "")
    control(channel_settings, "DELETE", "faults")
    assert client.list_page(f"{client.account}/customers", "customers", page_size=1).items


def test_token_endpoint_unreachable_is_retryable(channel_settings, settings, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.CHANNEL_CREDENTIALS_FILE = _key_with_token_uri(
        channel_settings, tmp_path, f"http://127.0.0.1:{port}/token"
    )
    settings.UPSTREAM_MAX_RETRIES = 2
    client = ChannelClient.from_settings()
    with pytest.raises(UpstreamRetryable) as caught:
        # even an action: the API request was surely never sent
        client.post(f"{client.account}/customers/x/entitlements/y:suspend", {})
    assert not caught.value.maybe_applied
    assert "TokenEndpointUnreachable" in str(caught.value)


# --- paging --------------------------------------------------------------------------------


def test_paging_follows_tokens_through_empty_pages(client, channel_settings):
    knobs(channel_settings, empty_page_every=0)
    expected = [c["name"] for c in client.iter_all(f"{client.account}/customers", "customers", page_size=50)]
    assert len(expected) >= 40
    knobs(channel_settings, empty_page_every=2)
    pages = list(client.iter_pages(f"{client.account}/customers", "customers", page_size=7))
    assert any(not p.items and p.next_page_token for p in pages), "no empty page with a token was served"
    got = [c["name"] for p in pages for c in p.items]
    assert got == expected
    assert [
        c["name"] for c in client.iter_all(f"{client.account}/customers", "customers", page_size=7)
    ] == expected
    # every follow-up request repeats the first one's parameters, plus the token
    lists = [query_of(e) for e in log(channel_settings) if e["path"].endswith("/customers")][-len(pages) :]
    assert all(q["pageSize"] == "7" for q in lists)
    assert "pageToken" not in lists[0] and all("pageToken" in q for q in lists[1:])


def test_page_size_is_clamped_to_the_methods_maximum(client, channel_settings):
    client.list_page(f"{client.account}/customers", "customers", page_size=500)
    client.list_page(f"{client.account}/offers", "offers", page_size=5000)
    client.list_page(f"{client.account}/channelPartnerLinks", "channelPartnerLinks", page_size=0)
    sizes = [query_of(e).get("pageSize") for e in log(channel_settings) if e["path"].startswith("/v1/")]
    assert sizes == ["50", "1000", "1"]


# --- errors --------------------------------------------------------------------------------


def test_http_errors_map_to_the_hierarchy_with_channel_names(client, channel_settings):
    with pytest.raises(UpstreamNotFound) as caught:
        client.get(f"{client.account}/customers/does-not-exist")
    assert caught.value.status == 404
    assert caught.value.code == "NOT_FOUND"
    assert caught.value.errors[0] == plain_words("NOT_FOUND")
    assert "does-not-exist" in caught.value.errors[1]

    with pytest.raises(UpstreamUnauthorized) as caught:
        client.list_page("accounts/someone-else/customers", "customers")
    assert caught.value.status == 403
    assert caught.value.code == "PERMISSION_DENIED"

    suspended = entitlements(client, "SUSPENDED")[0]
    with pytest.raises(UpstreamRejected) as caught:
        client.post(f"{suspended['name']}:suspend", {"requestId": str(uuid.uuid4())})
    error = caught.value
    assert type(error) is UpstreamRejected
    assert error.status == 400
    assert error.code == "NOT_ACTIVE"  # ErrorInfo.reason wins over the canonical FAILED_PRECONDITION
    assert error.errors[0] == "The entitlement is not active, so it cannot be suspended."
    assert error.as_detail()["error_code"] == "NOT_ACTIVE"


def test_503_and_429_are_retried(client, channel_settings):
    control(channel_settings, "POST", "faults", {"next": ["503", "429"], "path": "^/v1/", "retry_after": 0})
    page = client.list_page(f"{client.account}/customers", "customers", page_size=1)
    assert page.items
    statuses = [e["status"] for e in log(channel_settings) if e["path"].startswith("/v1/")]
    assert statuses == [503, 429, 200]


def test_retries_run_out_into_upstream_retryable(client, channel_settings, settings):
    control(channel_settings, "POST", "faults", {"next": ["503"] * 10, "path": "^/v1/"})
    client.http.retry = type(client.http.retry)(max_retries=2, backoff=0.01)
    with pytest.raises(UpstreamRetryable) as caught:
        client.get(f"{client.account}/customers/x")
    assert caught.value.status == 503
    assert caught.value.code == "UNAVAILABLE"


def test_an_action_with_a_request_id_is_retried_after_a_500_and_one_without_is_not(client, channel_settings):
    active = entitlements(client, "ACTIVE")
    control(channel_settings, "POST", "faults", {"next": ["500"], "path": ":suspend$"})
    operation = client.post(f"{active[0]['name']}:suspend", {"requestId": str(uuid.uuid4())})
    assert operation["name"].startswith("operations/")
    control(channel_settings, "POST", "faults", {"next": ["500"], "path": ":changeRenewalSettings$"})
    # no requestId: a 500 may have been applied, so it is not resent blindly
    with pytest.raises(UpstreamRetryable) as caught:
        client.post(
            f"{active[1]['name']}:changeRenewalSettings", {"renewalSettings": {"enableRenewal": False}}
        )
    assert caught.value.maybe_applied


def test_truncated_body_is_retried(client, channel_settings):
    control(channel_settings, "POST", "faults", {"next": ["truncated"], "path": "/customers$"})
    assert client.list_page(f"{client.account}/customers", "customers", page_size=2).items


# --- long-running operations ---------------------------------------------------------------


def test_operation_done_at_once_returns_the_entitlement(client, channel_settings):
    target = entitlements(client, "ACTIVE")[0]
    operation = client.post(f"{target['name']}:suspend", {"requestId": str(uuid.uuid4())})
    assert operation.get("done") is True
    assert client.wait_operation(operation) is operation  # nothing to wait for: no poll
    result = operation_result(operation)
    assert "@type" not in result
    assert result["name"] == target["name"]
    assert result["provisioningState"] == "SUSPENDED"


def test_wait_operation_polls_with_backoff_until_done(client, channel_settings):
    knobs(channel_settings, lro_polls=3)
    target = entitlements(client, "ACTIVE")[0]
    operation = client.post(f"{target['name']}:suspend", {"requestId": str(uuid.uuid4())})
    assert not operation.get("done")
    with pytest.raises(ValueError):
        operation_result(operation)
    sleeps = []
    client.sleep = sleeps.append
    done = client.wait_operation(operation, timeout=30)
    assert done["done"] is True
    assert operation_result(done)["provisioningState"] == "SUSPENDED"
    polls = [e for e in log(channel_settings) if e["path"] == f"/v1/{operation['name']}"]
    assert len(polls) == 3
    assert sleeps == pytest.approx([0.01, 0.015, 0.0225])


def test_wait_operation_gives_up_at_the_timeout_and_returns_the_operation(client, channel_settings):
    knobs(channel_settings, lro_delay_seconds=60)
    target = entitlements(client, "ACTIVE")[0]
    operation = client.post(f"{target['name']}:suspend", {"requestId": str(uuid.uuid4())})
    last = client.wait_operation(operation, timeout=0.1)
    assert last["name"] == operation["name"]
    assert not last.get("done")


@pytest.mark.parametrize(
    ("code", "reason", "cls", "name"),
    [
        (9, "CONDITION_NOT_MET", ChannelOperationFailed, "CONDITION_NOT_MET"),
        (3, None, ChannelOperationFailed, "INVALID_ARGUMENT"),
        (14, None, ChannelOperationRetryable, "UNAVAILABLE"),
        (13, None, ChannelOperationRetryable, "INTERNAL"),
    ],
)
def test_operation_errors_use_grpc_codes(client, channel_settings, code, reason, cls, name):
    failure = {"code": code, "message": "forced by the test", "operation_type": "SUSPEND_ENTITLEMENT"}
    if reason:
        failure["reason"] = reason
    knobs(channel_settings, lro_fail_next=[failure], lro_polls=1)
    target = entitlements(client, "ACTIVE")[0]
    operation = client.wait_operation(
        client.post(f"{target['name']}:suspend", {"requestId": str(uuid.uuid4())})
    )
    assert operation["done"]
    with pytest.raises(cls) as caught:
        operation_result(operation)
    error = caught.value
    assert error.grpc_code == code
    assert error.code == name
    assert error.errors == [plain_words(name), "forced by the test"]
    assert isinstance(error, UpstreamRejected if cls is ChannelOperationFailed else UpstreamRetryable)
    # the failed operation changed nothing
    assert client.get(target["name"])["provisioningState"] == "ACTIVE"


def test_operation_result_shapes():
    empty = {
        "name": "operations/x",
        "done": True,
        "response": {"@type": "type.googleapis.com/google.protobuf.Empty"},
    }
    assert operation_result(empty) == {}
    with pytest.raises(UpstreamBadResponse):
        operation_result({"name": "operations/x", "done": True})
    with pytest.raises(ValueError):
        operation_result({"name": "operations/x"})
    with pytest.raises(ChannelOperationFailed) as caught:
        operation_result({"name": "operations/x", "done": True, "error": {"code": 5, "message": "gone"}})
    assert caught.value.code == "NOT_FOUND"


def test_plain_words():
    assert plain_words("NOT_ACTIVE") == "The entitlement is not active, so it cannot be suspended."
    for name in (
        "SUSPENSION_NOT_RESELLER_INITIATED",
        "NOT_SUSPENDED",
        "NOT_COMMITMENT_PLAN",
        "NOT_IN_TRIAL",
        "DELETION_TYPE_NOT_ALLOWED",
        "INVALID_VALUE",
        "CONDITION_NOT_MET",
        "ALREADY_EXISTS",
        "FAILED_PRECONDITION",
        "INVALID_ARGUMENT",
        "PERMISSION_DENIED",
        "NOT_FOUND",
        "UNAUTHENTICATED",
    ):
        assert plain_words(name) != name
    assert plain_words("SOMETHING_NEW") == "SOMETHING_NEW"


def test_credentials_are_cached_per_key_file(channel_settings):
    clear_credentials_cache()
    path = str(channel_settings.channel_credentials_path)
    first = load_credentials(path, channel_settings.channel_admin_email)
    assert load_credentials(path, channel_settings.channel_admin_email) is first
    assert first._subject == channel_settings.channel_admin_email
    assert load_credentials(path, "other@reseller.example") is not first
