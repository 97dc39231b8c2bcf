"""Helpers of the CMP feed tests: the modules served, HTTP calls to the feed and its knobs."""

from __future__ import annotations

import requests

from channelhub.sandbox.modules import default_modules
from inventory.sandbox import CmpFeedModule

CMP_SEED = 5
CMP_SCALE = 30
TOKEN = "sandbox-cmp-token"
LIMITED = "sandbox-cmp-limited"


def cmp_modules():
    """The modules a feed test serves: the core's, then the feed (as the app registers it)."""
    return [*default_modules(), CmpFeedModule()]


def feed_get(server, path: str, token: str | None = TOKEN, **params) -> requests.Response:
    """GET <cmp_url><path> with the bearer token (None: no Authorization header)."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return requests.get(f"{server.cmp_url}{path}", headers=headers, params=params, timeout=10)


def listing(server, account: str, token: str = TOKEN) -> list[dict]:
    """Every resource of an account in one page (the feed's maximum page)."""
    response = feed_get(server, f"/accounts/{account}/resources", token, per_page=1000)
    assert response.status_code == 200, response.text
    return response.json()


def knobs(server, **body) -> dict:
    """POST /_sandbox/cmp; the answer."""
    response = requests.post(f"{server.url}/_sandbox/cmp", json=body, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def without_last_seen(doc: dict) -> dict:
    """A resource with `base.last_seen_at` left out (the only field that moves on every answer)."""
    base = {k: v for k, v in doc["base"].items() if k != "last_seen_at"}
    return {**doc, "base": base}
