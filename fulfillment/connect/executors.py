"""How each Connect action kind is sent, checked and written back (see channelhub.actions).

Request actions answer 200 with the request; tier config request actions answer 204 (or a
template body for approve), so those re-read the object. Inquire is two calls: the params'
value_error first (PUT), then the inquire itself, as the SDK does it.
"""

from __future__ import annotations

from datetime import UTC

from channelhub.actions.executors import Executor
from channelhub.sync.upsert import upsert_rows
from channelhub.upstream.connect import ConnectClient

from . import mappers
from .models import Conversation, ConversationMessage, FulfillmentRequest, TierConfigRequest
from .transitions import REQUEST_TRANSITIONS, TIER_CONFIG_REQUEST_TRANSITIONS


class ConnectExecutor(Executor):
    path = ""  # collection path of the target
    transitions: dict = {}
    verb = ""

    def __init__(self, verb: str):
        self.verb = verb
        self.kind = f"{self.prefix}.{verb}"

    def client(self):
        return ConnectClient.from_settings()

    def target_path(self, action) -> str:
        return f"{self.path}/{action.target_id}"

    def current(self, action, client) -> dict:
        return client.get(self.target_path(action))

    def target_status(self) -> str | None:
        return self.transitions[self.verb][1]

    def is_applied(self, action, obj) -> bool:
        payload = action.payload
        if self.verb == "assign":
            assignee = obj.get("assignee") or {}
            if not isinstance(assignee, dict):
                return False
            return bool(payload.get("id") and assignee.get("id") == payload["id"]) or bool(
                payload.get("email") and (assignee.get("email") or "").lower() == payload["email"].lower()
            )
        if self.verb == "unassign":
            return not obj.get("assignee")
        if self.verb == "update_params":
            current = {p.get("id"): p for p in self.params_of(obj)}
            return all(current.get(p["id"], {}).get("value") == p["value"] for p in payload.get("params", []))
        target = self.target_status()
        return target is not None and obj.get("status") == target

    def snapshot(self, obj: dict) -> dict:
        assignee = obj.get("assignee")
        return {
            "status": obj.get("status"),
            "assignee_id": assignee.get("id", "") if isinstance(assignee, dict) else "",
            "updated": obj.get("updated") or (obj.get("events") or {}).get("updated", {}).get("at"),
        }


class RequestExecutor(ConnectExecutor):
    prefix = "connect.request"
    path = "/requests"
    transitions = REQUEST_TRANSITIONS

    def params_of(self, obj):
        return (obj.get("asset") or {}).get("params") or []

    def write_mirror(self, obj: dict) -> None:
        upsert_rows(FulfillmentRequest, [(obj["id"], mappers.map_request(obj), obj)])

    def send(self, action, client) -> dict:
        path, payload = self.target_path(action), action.payload
        if self.verb == "update_params":
            return client.put(path, {"asset": {"params": payload["params"]}})
        if self.verb == "inquire":
            errors = [{"id": k, "value_error": v} for k, v in payload["param_errors"].items()]
            client.put(path, {"asset": {"params": errors}})
            body = {"template_id": payload["template_id"]} if payload.get("template_id") else {}
            return client.post(f"{path}/inquire", body)
        return client.post(f"{path}/{self.verb}", payload)


class RequestNoteExecutor(RequestExecutor):
    """A message in the request's conversation. Not idempotent upstream: a retry after a
    timeout first looks for our text among the conversation's messages."""

    def conversation_id(self, action, client) -> str:
        known = Conversation.objects.filter(instance_id=action.target_id).values_list("pk", flat=True).first()
        if known:
            return known
        return client.get(f"/conversations/{action.target_id}")["id"]

    def current(self, action, client) -> dict:
        cid = self.conversation_id(action, client)
        since = action.created_at.astimezone(UTC).isoformat()[:19]  # Connect: second precision
        recent = client.list_page(f"/conversations/{cid}/messages", ordering=("-created",), limit=50).items
        for message in recent:
            if message.get("text") == action.payload["text"] and (message.get("created") or "") >= since:
                return {**message, "conversation": {"id": cid}}
        return {}

    def is_applied(self, action, obj) -> bool:
        return bool(obj)

    def send(self, action, client) -> dict:
        cid = self.conversation_id(action, client)
        message = client.post(f"/conversations/{cid}/messages", {"text": action.payload["text"]})
        return {**message, "conversation": {"id": cid}}

    def write_mirror(self, obj: dict) -> None:
        cid = (obj.get("conversation") or {}).get("id")
        upsert_rows(ConversationMessage, [(obj["id"], mappers.map_message(obj, conversation_id=cid), obj)])

    def snapshot(self, obj: dict) -> dict:
        return {"message_id": obj.get("id")}


class TierConfigRequestExecutor(ConnectExecutor):
    prefix = "connect.tcr"
    path = "/tier/config-requests"
    transitions = TIER_CONFIG_REQUEST_TRANSITIONS

    def params_of(self, obj):
        return obj.get("params") or []

    def write_mirror(self, obj: dict) -> None:
        upsert_rows(TierConfigRequest, [(obj["id"], mappers.map_tier_config_request(obj), obj)])

    def send(self, action, client) -> dict:
        path, payload = self.target_path(action), action.payload
        if self.verb == "update_params":
            client.put(path, {"params": payload["params"]})
        elif self.verb == "inquire":
            errors = [{"id": k, "value_error": v} for k, v in payload["param_errors"].items()]
            client.put(path, {"params": errors})
            client.post(f"{path}/inquire", {})
        else:
            client.post(f"{path}/{self.verb}", payload or None)
        # TCR actions answer 204 (approve: the template); the object itself is re-read.
        return client.get(path)


_VERBS = ("approve", "inquire", "fail", "pend", "update_params", "assign", "unassign")
# Registered by the app's ready() (fulfillment.apps).
EXECUTORS = (
    *(RequestExecutor(verb) for verb in _VERBS),
    *(TierConfigRequestExecutor(verb) for verb in _VERBS),
    RequestNoteExecutor("add_note"),
)
