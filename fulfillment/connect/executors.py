"""How each Connect action kind is sent, checked and written back (see channelhub.actions).

Each executor is built with its kind's spec (fulfillment.connect.transitions): its verb is
the kind's last part, its target state the spec's. Request actions answer 200 with the
request; tier config request actions answer 204 (or a template body for approve), so those
re-read the object. Inquire is two calls: the params' value_error first (PUT), then the
inquire itself, as the SDK does it.
"""

from __future__ import annotations

from datetime import UTC

from channelhub.actions.executors import Executor
from channelhub.sync.upsert import upsert_rows
from channelhub.upstream.connect import ConnectClient

from . import mappers
from .models import Conversation, ConversationMessage, FulfillmentRequest, TierConfigRequest


def _shows(param: dict, sent: dict) -> bool:
    """Whether Connect's parameter holds what we sent: its value, and its structured value when we
    sent one (a phone's extension is not in the one-line value)."""
    if param.get("value") != sent["value"]:
        return False
    return "structured_value" not in sent or (param.get("structured_value") or {}) == sent["structured_value"]


class ConnectExecutor(Executor):
    """Base of the Connect executors: the client, reading the target, "already applied"."""

    def client(self):
        """A Connect client from settings."""
        return ConnectClient.from_settings()

    def read(self, client, target_id: str) -> dict:
        """The target by its id: the typed read of the client for the kind's object."""
        raise NotImplementedError

    def params_of(self, obj) -> list[dict]:
        """The target's parameters, as Connect has them."""
        raise NotImplementedError

    def current(self, action, client) -> dict:
        """The target as Connect has it now."""
        return self.read(client, action.target_id)

    def is_applied(self, action, obj) -> bool:
        """Whether Connect's object already shows the action done (the verb's state, assignee or values)."""
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
            return all(_shows(current.get(p["id"]) or {}, p) for p in payload.get("params", []))
        target = self.target_state
        return target is not None and obj.get("status") == target

    def snapshot(self, obj: dict) -> dict:
        """Status, assignee and last update of the object, the audit event's 'after'."""
        assignee = obj.get("assignee")
        return {
            "status": obj.get("status"),
            "assignee_id": assignee.get("id", "") if isinstance(assignee, dict) else "",
            "updated": obj.get("updated") or (obj.get("events") or {}).get("updated", {}).get("at"),
        }


# A state a request can leave again before a lost answer is retried: the customer answers an
# inquiry within seconds, and the request is pending again. Whether our inquire was applied
# cannot be read off the status then; the conversation's status message says it happened.
LEAVABLE_STATES = {"inquire": "inquiring"}
EARLIER_ATTEMPT = "_channelhub_applied_by_earlier_attempt"  # never written to the mirror


class RequestExecutor(ConnectExecutor):
    """A fulfillment request action (`/requests/PR-…/<verb>`, or a PUT of its parameters)."""

    def read(self, client, target_id: str) -> dict:
        """GET the request."""
        return client.get_request(target_id)

    def conversation_id(self, action, client) -> str:
        """The request's conversation: from the mirror, else asked upstream."""
        known = Conversation.objects.filter(instance_id=action.target_id).values_list("pk", flat=True).first()
        if known:
            return known
        return client.get_conversation(action.target_id)["id"]

    def current(self, action, client) -> dict:
        """The request as Connect has it now; for an inquire whose request left `inquiring`
        again, marked when its conversation shows the move to `inquiring` since the action began."""
        obj = self.read(client, action.target_id)
        target = LEAVABLE_STATES.get(self.verb)
        if target and obj.get("status") != target and self._moved_to(action, client, target):
            obj = {**obj, EARLIER_ATTEMPT: True}
        return obj

    def _moved_to(self, action, client, status: str) -> bool:
        since = action.created_at.astimezone(UTC).isoformat()[:19]  # Connect: second precision
        ending = f" to {status}."
        for message in client.recent_messages(self.conversation_id(action, client), limit=50):
            text = message.get("text") or ""
            if text.startswith("Request status changed from") and text.endswith(ending):
                if (message.get("created") or "") >= since:
                    return True
        return False

    def is_applied(self, action, obj) -> bool:
        """Done already: the state the verb leads to, or (inquire) its move there seen since."""
        if obj.pop(EARLIER_ATTEMPT, False):
            return True
        return super().is_applied(action, obj)

    def params_of(self, obj):
        """The request's parameters, as Connect has them."""
        return (obj.get("asset") or {}).get("params") or []

    def write_mirror(self, obj: dict) -> None:
        """Upsert the request into the mirror."""
        obj = {k: v for k, v in obj.items() if k != EARLIER_ATTEMPT}
        upsert_rows(FulfillmentRequest, [(obj["id"], mappers.map_request(obj), obj)])

    def send(self, action, client) -> dict:
        """The request's write(s); returns the request as Connect answers it."""
        request_id, payload = action.target_id, action.payload
        if self.verb == "update_params":
            return client.request_update(request_id, {"asset": {"params": payload["params"]}})
        if self.verb == "inquire":
            errors = [{"id": k, "value_error": v} for k, v in payload["param_errors"].items()]
            client.request_update(request_id, {"asset": {"params": errors}})
            body = {"template_id": payload["template_id"]} if payload.get("template_id") else {}
            return client.request_action(request_id, "inquire", body)
        return client.request_action(request_id, self.verb, payload)


class RequestNoteExecutor(RequestExecutor):
    """A message in the request's conversation. Not idempotent upstream: a retry after a
    timeout first looks for our text among the conversation's messages."""

    def current(self, action, client) -> dict:
        """Our note among the conversation's recent messages, or {} when it is not there."""
        cid = self.conversation_id(action, client)
        since = action.created_at.astimezone(UTC).isoformat()[:19]  # Connect: second precision
        for message in client.recent_messages(cid, limit=50):
            if message.get("text") == action.payload["text"] and (message.get("created") or "") >= since:
                return {**message, "conversation": {"id": cid}}
        return {}

    def is_applied(self, action, obj) -> bool:
        """Sent already when our note was found."""
        return bool(obj)

    def send(self, action, client) -> dict:
        """Post the note; the new message, with its conversation."""
        cid = self.conversation_id(action, client)
        message = client.conversation_message_create(cid, action.payload["text"])
        return {**message, "conversation": {"id": cid}}

    def write_mirror(self, obj: dict) -> None:
        """Upsert the message into the mirror."""
        cid = (obj.get("conversation") or {}).get("id")
        upsert_rows(ConversationMessage, [(obj["id"], mappers.map_message(obj, conversation_id=cid), obj)])

    def snapshot(self, obj: dict) -> dict:
        """The message's id, the audit event's 'after'."""
        return {"message_id": obj.get("id")}


class TierConfigRequestExecutor(ConnectExecutor):
    """A tier config request action (`/tier/config-requests/TCR-…/<verb>`, or a PUT)."""

    def read(self, client, target_id: str) -> dict:
        """GET the tier config request."""
        return client.get_tier_config_request(target_id)

    def params_of(self, obj):
        """The TCR's parameters, as Connect has them."""
        return obj.get("params") or []

    def write_mirror(self, obj: dict) -> None:
        """Upsert the TCR into the mirror."""
        upsert_rows(TierConfigRequest, [(obj["id"], mappers.map_tier_config_request(obj), obj)])

    def send(self, action, client) -> dict:
        """The TCR's write(s), then a re-read: Connect answers 204 (approve: the template)."""
        tcr_id, payload = action.target_id, action.payload
        if self.verb == "update_params":
            client.tier_config_request_update(tcr_id, {"params": payload["params"]})
        elif self.verb == "inquire":
            errors = [{"id": k, "value_error": v} for k, v in payload["param_errors"].items()]
            client.tier_config_request_update(tcr_id, {"params": errors})
            client.tier_config_request_action(tcr_id, "inquire", {})
        else:
            client.tier_config_request_action(tcr_id, self.verb, payload)
        return self.read(client, tcr_id)
