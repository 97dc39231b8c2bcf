"""Helpers for the Channel sandbox tests: `api` is an authorized HTTP session (google-auth's
AuthorizedSession over the sandbox's /token) bound to the sandbox URL, with shortcuts for the
knobs and for finding seeded entitlements by state; `service` is the discovery client on the
sandbox; `world` the customers held elsewhere with their auth tokens (GET /_sandbox/channel)."""

import uuid

import pytest
import requests
from google.auth.transport.requests import AuthorizedSession
from googleapiclient.discovery import build

ACCOUNT = "accounts/C01sandbx"


class Api:
    def __init__(self, sandbox, credentials):
        self.sandbox = sandbox
        self.http = AuthorizedSession(credentials)

    def url(self, path: str) -> str:
        return f"{self.sandbox.url}/v1/{path}"

    def get(self, path: str, **params) -> requests.Response:
        return self.http.get(self.url(path), params=params, timeout=10)

    def post(self, path: str, body: dict | None = None) -> requests.Response:
        return self.http.post(self.url(path), json=body or {}, timeout=10)

    def patch(self, path: str, body: dict, **params) -> requests.Response:
        return self.http.patch(self.url(path), json=body, params=params, timeout=10)

    def delete(self, path: str) -> requests.Response:
        return self.http.delete(self.url(path), timeout=10)

    def ok(self, response: requests.Response) -> dict:
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == "application/json; charset=UTF-8"
        return response.json()

    def knobs(self, **values) -> dict:
        r = requests.post(f"{self.sandbox.url}/_sandbox/channel", json=values, timeout=5)
        assert r.status_code == 200, r.text
        return r.json()

    def all(self, path: str, key: str, **params) -> list[dict]:
        """Every item of a list, following nextPageToken through empty pages."""
        items, token = [], None
        while True:
            page = self.ok(self.get(path, **params, **({"pageToken": token} if token else {})))
            items.extend(page.get(key, []))
            token = page.get("nextPageToken")
            if not token:
                return items

    def entitlements(self) -> list[dict]:
        out = []
        for customer in self.all(f"{ACCOUNT}/customers", "customers", pageSize=50):
            out.extend(self.all(f"{customer['name']}/entitlements", "entitlements", pageSize=100))
        return out

    def find(self, predicate) -> dict:
        for ent in self.entitlements():
            if predicate(ent):
                return ent
        raise AssertionError("no seeded entitlement matches")

    def offer(self, name: str) -> dict:
        return next(o for o in self.all(f"{ACCOUNT}/offers", "offers") if o["name"] == name)

    def history(self, entitlement: str, **params) -> list[dict]:
        return self.all(f"{entitlement}:listEntitlementChanges", "entitlementChanges", pageSize=50, **params)


def error_of(response: requests.Response) -> tuple[int, str, str | None]:
    """(HTTP status, canonical status, ErrorInfo reason) of a Google error envelope."""
    body = response.json()["error"]
    assert body["code"] == response.status_code
    details = body.get("details") or [{}]
    return response.status_code, body["status"], details[0].get("reason")


def request_id() -> str:
    return str(uuid.uuid4())


def plan(api: Api, ent: dict) -> str:
    return api.offer(ent["offer"])["plan"]["paymentPlan"]


@pytest.fixture
def api(sandbox, channel_credentials) -> Api:
    return Api(sandbox, channel_credentials)


@pytest.fixture
def service(sandbox, channel_credentials):
    """google-api-python-client's Cloud Channel service, unchanged, on the sandbox."""
    return build(
        "cloudchannel",
        "v1",
        static_discovery=True,
        credentials=channel_credentials,
        client_options={"api_endpoint": sandbox.channel_url},
    )


@pytest.fixture
def world(sandbox) -> list[dict]:
    """The customers held elsewhere GET /_sandbox/channel lists (seed order: the planned eight first)."""
    return requests.get(f"{sandbox.url}/_sandbox/channel", timeout=5).json()["transferable_customers"]
