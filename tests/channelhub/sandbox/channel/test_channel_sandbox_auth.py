"""The fake OAuth flow: google-auth's jwt-bearer grant against /token, bearer checks, revoke."""

import json

import requests
from google.auth.transport.requests import AuthorizedSession

from .conftest import ACCOUNT, error_of


def token_posts(sandbox) -> int:
    log = requests.get(f"{sandbox.url}/_sandbox/log", timeout=5).json()
    return sum(1 for entry in log if entry["path"] == "/token")


def test_service_account_file_points_at_the_sandbox(sandbox, channel_credentials_file):
    info = json.loads(open(channel_credentials_file).read())
    assert info["type"] == "service_account"
    assert info["token_uri"] == f"{sandbox.url}/token"
    assert info["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    assert {"project_id", "private_key_id", "client_email", "client_id"} <= set(info)


def test_token_is_fetched_once_and_reused(sandbox, channel_credentials):
    http = AuthorizedSession(channel_credentials)
    for _ in range(3):
        assert http.get(f"{sandbox.url}/v1/{ACCOUNT}/customers", timeout=5).status_code == 200
    assert token_posts(sandbox) == 1


def test_revoked_token_gets_one_refresh_and_the_call_succeeds(sandbox, channel_credentials, api):
    assert api.get(f"{ACCOUNT}/customers").status_code == 200
    api.knobs(revoke_tokens=True)
    assert api.get(f"{ACCOUNT}/customers").status_code == 200
    statuses = [e["status"] for e in requests.get(f"{sandbox.url}/_sandbox/log", timeout=5).json()]
    assert statuses == [200, 200, 401, 200, 200]  # token, call, 401, new token, retried call


def test_unknown_or_missing_bearer_is_401_in_the_google_envelope(sandbox):
    r = requests.get(
        f"{sandbox.url}/v1/{ACCOUNT}/customers", headers={"authorization": "Bearer nope"}, timeout=5
    )
    assert error_of(r)[:2] == (401, "UNAUTHENTICATED")
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    r = requests.get(f"{sandbox.url}/v1/{ACCOUNT}/customers", timeout=5)
    assert error_of(r) == (401, "UNAUTHENTICATED", "CREDENTIALS_MISSING")


def test_token_endpoint_refuses_bad_grants(sandbox):
    r = requests.post(f"{sandbox.url}/token", data={"grant_type": "password"}, timeout=5)
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"
    r = requests.post(
        f"{sandbox.url}/token",
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": "not-a-jwt"},
        timeout=5,
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_operator_is_the_impersonated_subject(api):
    ent = api.find(lambda e: e["provisioningState"] == "ACTIVE")
    api.ok(api.post(f"{ent['name']}:suspend"))
    last = api.history(ent["name"])[-1]
    assert last["changeType"] == "SUSPENDED"
    assert last["operatorType"] == "RESELLER" and last["operator"] == "admin@reseller.example"


def test_other_account_is_permission_denied(api):
    r = api.get("accounts/C0someoneelse/customers")
    assert error_of(r)[:2] == (403, "PERMISSION_DENIED")
    r = api.get("products", account="accounts/C0someoneelse")
    assert error_of(r)[:2] == (403, "PERMISSION_DENIED")
