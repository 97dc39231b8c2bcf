"""A demo nflex connector module for the sandbox's CMP feed (third-party-like code: the standard
library and nflex_connector_utils only, nothing of channelhub).

Handlers, as CMP's module runtime calls them:
- `get(event, context)`: every resource of an account, paged until a short page, as received;
- `get_metrics(event, context)`: the metrics of the window `setup_time_interval` gives, with the
  window's end as the next `last_update`.

`event["credentials"]` = {"url": "<feed root, e.g. http://127.0.0.1:8100/cmp/api>", "token": ...};
`event["resource"]` and/or `event["parameters"]` = {"account": "acc-1", "per_page": 500}.
`context` gives `log(message, severity="INFO")`, `get_state(key)` and `update_state(key, value)`.
A 401 raises `InvalidCredentials`, a 403 `InsufficientPermission`, any other HTTP error
`CmpFeedError` naming the status and path (never the token).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta

from nflex_connector_utils.errors import InsufficientPermission, InvalidCredentials
from nflex_connector_utils.time import setup_time_interval

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
DEFAULT_PER_PAGE = 500
TIMEOUT_SECONDS = 30
BACKFILL_SECONDS = 6 * 3600  # at most this much per run; the next runs catch up
SKEW_SECONDS = 60  # samples of the last minute may not be final yet
MAX_WINDOW = timedelta(hours=24)  # the feed refuses longer windows


class CmpFeedError(Exception):
    """The feed answered an error other than 401/403, or could not be reached."""


def _settings(event: dict) -> tuple[str, str, dict]:
    credentials = event.get("credentials") or {}
    url, token = credentials.get("url"), credentials.get("token")
    if not url or not token:
        raise InvalidCredentials("credentials need a url and a token")
    params = {**(event.get("resource") or {}), **(event.get("parameters") or {})}
    if not params.get("account"):
        raise ValueError("parameters need an account (e.g. acc-1)")
    return url.rstrip("/"), token, params


def _get(url: str, token: str, path: str, query: dict) -> tuple[object, dict]:
    """GET `url + path?query` with the bearer token; (decoded JSON, lower-cased headers)."""
    request = urllib.request.Request(
        f"{url}{path}?{urllib.parse.urlencode(query)}",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - the feed's URL is configuration
            body = response.read()
            headers = {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as exc:
        if exc.code == 401:
            raise InvalidCredentials() from None
        if exc.code == 403:
            raise InsufficientPermission() from None
        raise CmpFeedError(f"CMP feed answered {exc.code} on GET {path}: {_message(exc)}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise CmpFeedError(f"CMP feed unreachable on GET {path}: {reason}") from None
    try:
        return json.loads(body), headers
    except ValueError:
        raise CmpFeedError(f"CMP feed answered a body that is not JSON on GET {path}") from None


def _message(exc: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(exc.read() or b"{}")
    except (ValueError, OSError):
        return exc.reason or "error"
    if isinstance(body, dict) and body.get("message"):
        return f"{body.get('error', 'Error')}: {body['message']}"
    return exc.reason or "error"


def get(event: dict, context) -> list[dict]:
    """Every resource of the account, as the feed serializes them, page after page until a short one."""
    url, token, params = _settings(event)
    account = params["account"]
    per_page = int(params.get("per_page") or DEFAULT_PER_PAGE)
    path = f"/accounts/{urllib.parse.quote(account, safe='')}/resources"
    resources: list[dict] = []
    page = 1
    while True:
        batch, headers = _get(url, token, path, {"page": page, "per_page": per_page})
        if not isinstance(batch, list):
            raise CmpFeedError(f"CMP feed answered a {type(batch).__name__}, not a list, on GET {path}")
        resources.extend(batch)
        size = int(headers.get("x-per-page") or per_page)  # the feed may clamp the page size
        context.log(
            f"{account}: page {page}: {len(batch)} resources (total {headers.get('x-total-count', '?')})"
        )
        if len(batch) < size or not batch:
            break
        page += 1
    key = f"{account}.last_count"
    previous = context.get_state(key)
    context.update_state(key, len(resources))
    context.log(
        f"{account}: {len(resources)} resources (previous run: {previous if previous is not None else 'none'})"
    )
    return resources


def get_metrics(event: dict, context) -> dict:
    """The account's metrics since `last_update` (or the last poll interval), at most
    BACKFILL_SECONDS a run; `last_update` of the answer is the window's end."""
    url, token, params = _settings(event)
    account = params["account"]
    start, end = setup_time_interval(event, backfill_time=BACKFILL_SECONDS, skew=SKEW_SECONDS)
    if end <= start:  # the library does not guard against a last_update in the future
        context.log(
            f"{account}: nothing to read, window ends before it starts ({start} .. {end})", severity="WARN"
        )
        return {"metrics": [], "last_update": event.get("last_update") or start.strftime(TIME_FORMAT)}
    start = max(start, end - MAX_WINDOW)
    path = f"/accounts/{urllib.parse.quote(account, safe='')}/metrics"
    query = {"since": start.strftime(TIME_FORMAT), "until": end.strftime(TIME_FORMAT)}
    body, _ = _get(url, token, path, query)
    samples = body.get("metrics", []) if isinstance(body, dict) else []
    context.log(f"{account}: {len(samples)} samples from {query['since']} to {query['until']}")
    return {"metrics": samples, "last_update": end.strftime(TIME_FORMAT)}
