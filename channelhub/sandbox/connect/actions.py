"""Connect actions: fulfillment request and tier config request transitions, parameter updates,
conversation messages.

Transitions (connect-api.md §2.1/§2.3); anything else is 400 `REQ_003` with a readable reason:
    requests: approve/inquire/schedule: pending; fail: pending|tiers_setup; pend: inquiring;
              purchase: draft; revoke: scheduled; assign/unassign: any status.
    TCRs:     approve: pending; inquire: pending|tiers_setup|draft; fail: pending|inquiring|tiers_setup;
              pend: inquiring|tiers_setup|draft; assign/unassign: any status.
Validation errors are 400 `VAL_001`; unknown ids 404 `NTF_001`.
Every change moves `updated` / `events.updated.at` to now, keeps the asset (or tier config) and its
snapshot in the request consistent and appends a `state_change` message to the conversation.
"""

from __future__ import annotations

import json

from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from ..common import ApiError, bad_request, json_body, json_response, not_found, now_iso
from . import shapes
from .records import add_message, find_template, user_for, world_of

INVALID = "REQ_003"
TERMINAL = ("approved", "failed", "revoked")

REQUEST_FROM = {
    "approve": ("pending",),
    "inquire": ("pending",),
    "fail": ("pending", "tiers_setup"),
    "pend": ("inquiring",),
    "schedule": ("pending",),
    "revoke": ("scheduled",),
    "purchase": ("draft",),
}
REQUEST_TO = {
    "approve": "approved",
    "inquire": "inquiring",
    "fail": "failed",
    "pend": "pending",
    "schedule": "scheduled",
    "revoke": "revoking",
    "purchase": "pending",
}
TCR_FROM = {
    "approve": ("pending",),
    "inquire": ("pending", "tiers_setup", "draft"),
    "fail": ("pending", "inquiring", "tiers_setup"),
    "pend": ("inquiring", "tiers_setup", "draft"),
}
TCR_TO = {"approve": "approved", "inquire": "inquiring", "fail": "failed", "pend": "pending"}


def _check(doc, action, allowed, what):
    if doc["status"] not in allowed:
        raise ApiError(
            400,
            INVALID,
            f"{what} {doc['id']} is {doc['status']}: {action} is only allowed from {' or '.join(allowed)}.",
        )


# ---------------------------------------------------------------------------------------------
# fulfillment requests


def apply_request_to_asset(session, request: dict, when: str) -> dict | None:
    """Approving (or failing a purchase) changes the asset; keep request snapshot and asset equal."""
    asset = session.get("assets", request["asset"]["id"])
    if asset is None:
        return None
    kind, status = request["type"], request["status"]
    if status == "approved":
        asset["status"] = {
            "purchase": "active",
            "suspend": "suspended",
            "resume": "active",
            "cancel": "terminated",
        }.get(kind, asset["status"])
        if kind in ("purchase", "change", "adjustment"):
            old = {i["id"]: i.get("quantity", "0") for i in asset.get("items", [])}
            items = []
            for item in request["asset"].get("items", []):
                item = dict(item)
                item["old_quantity"] = old.get(item["id"], "0") if kind != "purchase" else "0"
                items.append(item)
            asset["items"] = items
        asset["params"] = [dict(p, value_error="") for p in request["asset"].get("params", [])]
    elif status == "failed" and kind == "purchase":
        asset["status"] = "terminated"
    else:
        return asset
    asset["events"]["updated"]["at"] = when
    session.put("assets", asset)
    snap = shapes.snapshot(asset)
    snap["params"] = request["asset"].get("params", snap["params"])
    snap["items"] = request["asset"].get("items", snap["items"])
    request["asset"] = snap
    return asset


def request_action(ctx, request, ident, action):
    """POST /requests/{id}/{action}: a transition (REQUEST_FROM / REQUEST_TO), assign or unassign; the asset
    follows and the conversation gets a message. Answers the request."""
    if action not in REQUEST_FROM and action not in ("assign", "unassign"):
        raise ApiError(404, "NTF_001", f"Unknown action {action}.")
    body = json_body(request)
    with ctx.session() as session, session.write():
        doc = session.get("requests", ident)
        if doc is None:
            raise not_found("Request", ident)
        world = world_of(session)
        when = now_iso()
        if action == "assign":
            user = user_for(world, body)
            doc["assignee"] = user
            text = f"Request assigned to {user['name']}."
        elif action == "unassign":
            doc["assignee"] = ""
            text = "Request unassigned."
        else:
            text = request_transition(session, doc, body, action, when)
        doc["updated"] = when
        apply_request_to_asset(session, doc, when)
        session.put("requests", doc)
        add_message(session, ident, text, when=when)
    return json_response(doc)


def request_transition(session, doc: dict, body: dict, action: str, when: str) -> str:
    """Move request `doc` by `action` (checked against REQUEST_FROM); returns the message."""
    previous = doc["status"]
    _check(doc, action, REQUEST_FROM[action], "Request")
    pid = doc["asset"]["product"]["id"]
    if action == "approve":
        _approve_request(session, doc, body, pid)
    elif action == "inquire":
        template_id = body.get("template_id")
        if template_id:
            template = find_template(session, pid, template_id)
            if template is None or template["scope"] != "asset":
                raise bad_request(f"Template {template_id} is not an asset template of product {pid}.")
            doc["template"] = shapes.template_ref(_with_message(template))
        elif body.get("activation_tile"):
            doc["template"] = {"id": "", "name": "Inquiry", "message": str(body["activation_tile"])}
    elif action == "fail":
        reason = body.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise bad_request("reason: This field is required.")
        doc["reason"] = reason
    elif action == "pend":
        doc["answered"] = False
    elif action == "schedule":
        doc["planned_date"] = body.get("planned_date") or when
    elif action == "revoke":
        doc["reason"] = str(body.get("reason") or "")
    doc["status"] = REQUEST_TO[action]
    if action == "approve":
        doc["effective_date"] = body.get("effective_date") or when
    return f"Request status changed from {previous} to {doc['status']}."


def _with_message(template: dict) -> dict:
    body = template.get("body", "")
    return {**template, "message": body}


def _approve_request(session, doc, body, pid):
    template_id, tile = body.get("template_id"), body.get("activation_tile")
    if template_id:
        template = find_template(session, pid, template_id)
        if template is None or template["scope"] != "asset" or template["type"] != "fulfillment":
            raise bad_request(f"Template {template_id} is not a fulfillment template of product {pid}.")
        doc["template"] = shapes.template_ref(_with_message(template))
        doc["activation_key"] = template.get("body", "")
    elif tile:
        doc["template"] = {"id": "", "name": "Activation tile", "message": str(tile)}
        doc["activation_key"] = str(tile)
    else:
        raise bad_request("template_id: This field is required (or activation_tile).")
    doc["reason"] = ""


def update_request(ctx, request, ident):
    """PUT /requests/{id}: change existing parameters (value, value_error, structured_value) and the note of
    an open request; the asset's values follow."""
    body = json_body(request)
    params = ((body.get("asset") or {}) if isinstance(body.get("asset"), dict) else {}).get("params")
    if params is None and "note" not in body:
        raise bad_request("asset.params: This field is required.")
    if params is not None and not isinstance(params, list):
        raise bad_request("asset.params: Expected a list of parameters.")
    with ctx.session() as session, session.write():
        doc = session.get("requests", ident)
        if doc is None:
            raise not_found("Request", ident)
        if doc["status"] in TERMINAL:
            raise ApiError(
                400, INVALID, f"Request {ident} is {doc['status']}: its parameters cannot be changed."
            )
        by_id = {p["id"]: p for p in doc["asset"].get("params", [])}
        for change in params or []:
            if not isinstance(change, dict) or change.get("id") not in by_id:
                pid = change.get("id") if isinstance(change, dict) else change
                raise bad_request(f"Parameter {pid} does not exist in request {ident}.")
            target = by_id[change["id"]]
            for key in ("value", "value_error", "structured_value"):
                if key in change:
                    target[key] = "" if change[key] is None and key != "structured_value" else change[key]
        if "note" in body:
            doc["note"] = str(body.get("note") or "")
        when = now_iso()
        doc["updated"] = when
        asset = session.get("assets", doc["asset"]["id"])
        if asset is not None:
            asset_params = {p["id"]: p for p in asset.get("params", [])}
            for change in params or []:
                if change["id"] in asset_params:
                    for key in ("value", "structured_value"):
                        if key in change:
                            asset_params[change["id"]][key] = by_id[change["id"]][key]
            asset["events"]["updated"]["at"] = when
            session.put("assets", asset)
            doc["asset"]["events"]["updated"]["at"] = when
        session.put("requests", doc)
    return json_response(doc)


# ---------------------------------------------------------------------------------------------
# tier config requests


def tcr_action(ctx, request, ident, action):
    """POST /tier/config-requests/{id}/{action}: a transition (TCR_FROM / TCR_TO), assign or unassign; the
    tier config follows. 204, or 200 with the template for approve."""
    if action not in TCR_FROM and action not in ("assign", "unassign"):
        raise ApiError(404, "NTF_001", f"Unknown action {action}.")
    body = json_body(request)
    result = None
    with ctx.session() as session, session.write():
        doc = session.get("tier_config_requests", ident)
        if doc is None:
            raise not_found("Tier configuration request", ident)
        world = world_of(session)
        when = now_iso()
        previous = doc["status"]
        by = {"id": "SU-000-000-000", "name": "API"}
        if action == "assign":
            user = user_for(world, body)
            doc["assignee"] = {"id": user["id"], "name": user["name"]}
            text = f"Request assigned to {user['name']}."
        elif action == "unassign":
            doc["assignee"] = ""
            text = "Request unassigned."
        else:
            _check(doc, action, TCR_FROM[action], "Tier configuration request")
            if action == "approve":
                result = _approve_tcr(session, doc, body, when)
                doc["events"]["approved"] = {"at": when, "by": by}
            elif action == "fail":
                reason = body.get("reason")
                if not isinstance(reason, str) or not reason.strip():
                    raise bad_request("reason: This field is required.")
                doc["reason"] = reason
            elif action == "inquire":
                doc["events"]["inquired"] = {"at": when, "by": by}
            elif action == "pend":
                doc["events"]["pended"] = {"at": when, "by": by}
            doc["status"] = TCR_TO[action]
            text = f"Request status changed from {previous} to {doc['status']}."
        doc["events"]["updated"] = {"at": when, "by": by}
        _sync_tier_config(session, doc, when)
        session.put("tier_config_requests", doc)
        add_message(session, ident, text, when=when)
    if result is not None:
        return json_response(result)
    return Response(status=204)


def _approve_tcr(session, doc, body, when):
    configuration = doc["configuration"]
    pid = configuration["product"]["id"]
    scope = f"tier{configuration['tier_level']}"
    spec = body.get("template") if isinstance(body.get("template"), dict) else {}
    if spec.get("id"):
        template = find_template(session, pid, spec["id"])
        if (
            template is None
            or template["scope"] not in ("tier1", "tier2")
            or template["type"] != "fulfillment"
        ):
            raise bad_request(f"Template {spec['id']} is not a tier fulfillment template of product {pid}.")
        ref = {"id": template["id"], "name": template["name"], "representation": template["body"]}
    elif spec.get("representation"):
        ref = {"id": "", "name": "Activation tile", "representation": str(spec["representation"])}
    else:
        row = session.conn.execute(
            "SELECT doc FROM templates WHERE product_id = ? AND scope = ? AND type = 'fulfillment' ORDER BY id",
            (pid, scope),
        ).fetchone()
        template = json.loads(row[0]) if row else {"id": "", "name": "Default", "body": ""}
        ref = {"id": template["id"], "name": template["name"], "representation": template["body"]}
    effective = spec.get("effective_date") or when
    doc["template"] = ref
    doc["effective_date"] = effective
    return {"template": ref, "effective_date": effective}


def _sync_tier_config(session, doc, when):
    """Keep the tier config and the TCR's embedded configuration consistent."""
    tc = session.get("tier_configs", doc["configuration"]["id"])
    if tc is None:
        return
    status = doc["status"]
    if status == "approved":
        tc["status"] = "active"
        tc["params"] = [
            {k: v for k, v in p.items() if k != "value_error"} | {"value_error": ""}
            for p in doc.get("params", [])
        ]
        tc["template"] = {
            "id": doc["template"]["id"],
            "name": doc["template"]["name"],
            "representation": doc["template"].get("representation", ""),
        }
        tc.pop("open_request", None)
    elif status == "failed":
        tc.pop("open_request", None)
    else:
        tc["open_request"] = {"id": doc["id"]}
        tc["status"] = "processing"
    tc["events"]["updated"]["at"] = when
    session.put("tier_configs", tc)
    doc["configuration"] = tc


def update_tcr(ctx, request, ident):
    """PUT /tier/config-requests/{id}: change existing parameters and the notes of an open tier config
    request."""
    body = json_body(request)
    params = body.get("params")
    if not isinstance(params, list):
        raise bad_request("params: Expected a list of parameters.")
    with ctx.session() as session, session.write():
        doc = session.get("tier_config_requests", ident)
        if doc is None:
            raise not_found("Tier configuration request", ident)
        if doc["status"] in TERMINAL:
            raise ApiError(
                400,
                INVALID,
                f"Tier configuration request {ident} is {doc['status']}: its parameters cannot be changed.",
            )
        by_id = {p["id"]: p for p in doc.get("params", [])}
        for change in params:
            if not isinstance(change, dict) or change.get("id") not in by_id:
                pid = change.get("id") if isinstance(change, dict) else change
                raise bad_request(f"Parameter {pid} does not exist in tier configuration request {ident}.")
            for key in ("value", "value_error", "structured_value"):
                if key in change:
                    by_id[change["id"]][key] = change[key] if change[key] is not None else ""
        if "notes" in body:
            doc["notes"] = str(body.get("notes") or "")
        doc["events"]["updated"] = {"at": now_iso(), "by": {"id": "SU-000-000-000", "name": "API"}}
        session.put("tier_config_requests", doc)
    return json_response(doc)


# ---------------------------------------------------------------------------------------------
# conversations


def post_message(ctx, request, conversation_id):
    """POST /conversations/{id}/messages: a message, state_change or private note by the API user; 201 with
    it."""
    body = json_body(request)
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise bad_request("text: This field is required.")
    kind = body.get("type") or "message"
    if kind not in ("message", "state_change", "private"):
        raise bad_request("type: must be one of message, state_change, private.")
    with ctx.session() as session, session.write():
        conversation = session.get("conversations", conversation_id)
        message = add_message(
            session,
            conversation["instance_id"],
            text,
            kind=kind,
            creator={"id": "SU-000-000-000", "name": "API"},
        )
    return json_response(message, 201)


def rules(prefix, authenticated) -> list[Rule]:
    """The action routes under `prefix`, each behind the `authenticated` check."""
    return [
        Rule(prefix + "/requests/<ident>", endpoint=authenticated(update_request), methods=["PUT"]),
        Rule(prefix + "/requests/<ident>/<action>", endpoint=authenticated(request_action), methods=["POST"]),
        Rule(prefix + "/tier/config-requests/<ident>", endpoint=authenticated(update_tcr), methods=["PUT"]),
        Rule(
            prefix + "/tier/config-requests/<ident>/<action>",
            endpoint=authenticated(tcr_action),
            methods=["POST"],
        ),
    ]
