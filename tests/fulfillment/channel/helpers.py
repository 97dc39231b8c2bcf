"""The sandbox's Channel truth for outbox assertions, read with Google's own discovery
client (never ours), and the mirror synced through the real streams."""

from __future__ import annotations

import requests
from google.oauth2 import service_account
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from channelhub.sync.engine import run_stream
from fulfillment.channel.streams import STREAMS

CHANNEL_STREAMS = [s.name for s in STREAMS]


def sync_channel(*names: str) -> None:
    for name in names or CHANNEL_STREAMS:
        run = run_stream(name)
        assert run.status == "succeeded", (name, run.error)


class Upstream:
    def __init__(self, sandbox):
        credentials = service_account.Credentials.from_service_account_file(
            str(sandbox.channel_credentials_path), scopes=["https://www.googleapis.com/auth/apps.order"]
        ).with_subject(sandbox.channel_admin_email)
        self.api = build(
            "cloudchannel",
            "v1",
            credentials=credentials,
            client_options={"api_endpoint": sandbox.channel_url},
            static_discovery=True,
            cache_discovery=False,
        )
        self.sandbox = sandbox
        self.account = f"accounts/{sandbox.channel_account_id}"

    def entitlement(self, name: str) -> dict | None:
        try:
            return self.api.accounts().customers().entitlements().get(name=name).execute()
        except HttpError as exc:
            if exc.status_code == 404:
                return None
            raise

    def customer(self, name: str) -> dict | None:
        try:
            return self.api.accounts().customers().get(name=name).execute()
        except HttpError as exc:
            if exc.status_code == 404:
                return None
            raise

    def link(self, name: str) -> dict:
        return self.api.accounts().channelPartnerLinks().get(name=name).execute()

    def changes(self, entitlement: str) -> list[dict]:
        collection = self.api.accounts().customers().entitlements()
        out, request = [], collection.listEntitlementChanges(parent=entitlement, pageSize=50)
        while request is not None:
            response = request.execute()
            out += response.get("entitlementChanges", [])
            request = collection.listEntitlementChanges_next(request, response)
        return out

    def customers_with_domain(self, domain: str) -> list[dict]:
        collection = self.api.accounts().customers()
        out, request = [], collection.list(parent=self.account, pageSize=50)
        while request is not None:
            response = request.execute()
            out += [c for c in response.get("customers", []) if c.get("domain") == domain]
            request = collection.list_next(request, response)
        return out


def knobs(sandbox, **values) -> dict:
    response = requests.post(f"{sandbox.url}/_sandbox/channel", json=values, timeout=10)
    response.raise_for_status()
    return response.json()


def faults(sandbox, body: dict) -> None:
    requests.post(f"{sandbox.url}/_sandbox/faults", json=body, timeout=10).raise_for_status()


def log(sandbox, fragment: str, method: str = "POST") -> list[dict]:
    entries = requests.get(f"{sandbox.url}/_sandbox/log?limit=10000", timeout=30).json()
    return [e for e in entries if fragment in e["path"] and (method is None or e["method"] == method)]


def clear_log(sandbox) -> None:
    requests.delete(f"{sandbox.url}/_sandbox/log", timeout=10).raise_for_status()


def send(action, *, rounds: int = 5):
    """Send an outbox action until it is over (at most `rounds` attempts); the action as it ended."""
    from channelhub.actions.sender import send_action  # noqa: PLC0415 - Django models: after setup
    from channelhub.models import ActionStatus  # noqa: PLC0415 - the same

    for _ in range(rounds):
        send_action(action.pk)
        action.refresh_from_db()
        if action.status not in ActionStatus.OPEN_STATES:
            return action
    return action
