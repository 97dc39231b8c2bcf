"""Upstream life: what happens at Connect between two syncs.

`tick` (POST /_sandbox/tick, or every --tick-interval with --live): a few new purchase requests
(new assets, sometimes a new customer), change/suspend/resume/cancel requests on existing assets,
customers answering inquiries (inquiring -> pending with the flagged params filled, value_error
cleared, `answered: true`; never `migration_info`), colleagues in the portal approving or failing
a pending request or two (so the demo's backlog stays steady), revoking requests becoming revoked, some objects touched, now and then a new
tier config request. It runs on its own RNG (seeded from the tick number), so the seeded state
stays deterministic.

`churn` (fault setting): before a list page is computed, N random objects of the listed
collection change (update time := now, sometimes a legal status change) and a new one appears
where the collection can grow (requests, assets, TCRs, tier accounts, conversations).
"""

from __future__ import annotations

import json

from ..common import now_iso
from . import shapes
from .actions import apply_request_to_asset, request_transition
from .records import add_message, new_unique_id, world_of
from .seed.catalog import product_templates

UPDATED_PATH = {"requests": ("updated",)}


def _touch(doc: dict, collection: str, when: str) -> None:
    if collection == "requests":
        doc["updated"] = when
    else:
        doc.setdefault("events", {}).setdefault("updated", {})["at"] = when


def _random_docs(session, collection: str, n: int, rng, where: str = "1", params: tuple = ()) -> list[dict]:
    total = session.scalar(f"SELECT COUNT(*) FROM {collection} WHERE {where}", params) or 0
    if not total:
        return []
    out = []
    for offset in sorted({rng.randrange(total) for _ in range(n)}):
        row = session.conn.execute(
            f"SELECT doc FROM {collection} WHERE {where} LIMIT 1 OFFSET ?", (*params, offset)
        ).fetchone()
        if row:
            out.append(json.loads(row[0]))
    return out


# ---------------------------------------------------------------------------------------------
# new objects


def new_customer(session, world, rng, when) -> dict:
    """A new customer tier account, under a random tier-1 reseller if there is one."""
    resellers = _random_docs(
        session,
        "tier_accounts",
        1,
        rng,
        "json_extract(doc, '$.type') = 'reseller' AND json_extract(doc, '$.scopes[0]') = 'tier1'",
    )
    parent = resellers[0] if resellers else None
    ident = new_unique_id(session, "tier_accounts", "TA", (4, 4, 4), rng)
    account = shapes.tier_account(
        rng, ident, kind="customer", scopes=["customer"], parent=parent, world=world, when=when
    )
    session.put("tier_accounts", account)
    return account


def _tiers_for(session, customer: dict) -> dict:
    tier1 = session.get("tier_accounts", (customer.get("parent") or {}).get("id", "")) or None
    tier2 = session.get("tier_accounts", ((tier1 or {}).get("parent") or {}).get("id", "")) if tier1 else None
    return {
        "customer": shapes.tier_ref(customer),
        "tier1": shapes.tier_ref(tier1) if tier1 else {},
        "tier2": shapes.tier_ref(tier2) if tier2 else {},
    }


def new_purchase(session, rng, when: str, status: str = "pending") -> dict:
    """A new purchase request on a new asset of a published product, for a new or an existing customer, with
    its conversation."""
    world = world_of(session)
    products = [p for p in world["products"] if p["status"] == "published"]
    product = rng.choice(products)
    if rng.random() < 0.4:
        customer = new_customer(session, world, rng, when)
    else:
        found = _random_docs(session, "tier_accounts", 1, rng, "json_extract(doc, '$.type') = 'customer'")
        customer = found[0] if found else new_customer(session, world, rng, when)
    market = rng.choice(world["marketplaces"])
    asset_id = new_unique_id(session, "assets", "AS", (4, 4, 4), rng)
    quantities = {product["items"][0]["id"]: rng.randint(1, 30)}
    params = []
    for pdef in product["params"]:
        if pdef["scope"] != "asset":
            continue
        values = shapes.param_value(pdef, rng, customer)
        if pdef["phase"] == "fulfillment":
            values = {"value": ""}
        params.append(shapes.asset_param(pdef, values))
    asset = shapes.asset_doc(
        ident=asset_id,
        status="processing",
        external_id=str(rng.randint(1000000, 9999999)),
        external_uid=shapes.uuid(rng),
        product=product,
        connection=product["connections"][0],
        created=when,
        updated=when,
        items=shapes.asset_items(product, quantities),
        params=params,
        tiers=_tiers_for(session, customer),
        marketplace=market,
        contract=None,
        external_name=f"{customer['name']} {product['name']}",
    )
    session.put("assets", asset)
    rid = f"PR-{asset_id[3:]}-001"
    template = product_templates(product, "asset", "pending")[0]
    request = shapes.request_doc(
        ident=rid,
        kind="purchase",
        status=status,
        asset=shapes.snapshot(asset),
        created=when,
        updated=when,
        assignee="",
        template=template,
        marketplace=market,
    )
    session.put("requests", request)
    _new_conversation(session, rng, rid, f"Fulfillment Request {rid}", when)
    return request


def new_followup(session, rng, when: str) -> dict | None:
    """change/suspend/resume/cancel on an asset that has no open request."""
    wanted = "suspended" if rng.random() < 0.35 else "active"
    no_open = (
        " AND NOT EXISTS (SELECT 1 FROM requests r WHERE r.asset_id = assets.id AND r.status IN"
        " ('draft','tiers_setup','pending','inquiring','scheduled','revoking'))"
    )
    candidates = _random_docs(session, "assets", 3, rng, "status = ?" + no_open, (wanted,))
    candidates += _random_docs(session, "assets", 3, rng, "status IN ('active', 'suspended')" + no_open)
    for asset in candidates:
        open_count = session.scalar(
            "SELECT COUNT(*) FROM requests WHERE asset_id = ? AND status IN ('draft','tiers_setup','pending',"
            "'inquiring','scheduled','revoking')",
            (asset["id"],),
        )
        if open_count:
            continue
        if asset["status"] == "active":
            kind = rng.choices(["change", "suspend", "cancel"], [55, 25, 20])[0]
        else:
            kind = rng.choices(["resume", "cancel"], [70, 30])[0]
        n = session.scalar("SELECT COUNT(*) FROM requests WHERE asset_id = ?", (asset["id"],)) or 0
        rid = f"PR-{asset['id'][3:]}-{n + 1:03d}"
        while session.get_raw("requests", rid) is not None:
            n += 1
            rid = f"PR-{asset['id'][3:]}-{n + 1:03d}"
        snap = shapes.snapshot(asset)
        if kind == "change":
            for item in snap["items"]:
                if item["quantity"] != "0" or rng.random() < 0.3:
                    item["old_quantity"] = item["quantity"]
                    item["quantity"] = str(max(1, int(item["quantity"]) + rng.randint(-3, 10)))
        world = world_of(session)
        market = next(
            (m for m in world["marketplaces"] if m["id"] == asset["marketplace"]["id"]),
            world["marketplaces"][0],
        )
        product = next(p for p in world["products"] if p["id"] == asset["product"]["id"])
        last_approved = session.conn.execute(
            "SELECT id FROM requests WHERE asset_id = ? AND status = 'approved' ORDER BY created DESC, id DESC LIMIT 1",
            (asset["id"],),
        ).fetchone()
        request = shapes.request_doc(
            ident=rid,
            kind=kind,
            status="pending",
            asset=snap,
            created=when,
            updated=when,
            assignee="",
            template=product_templates(product, "asset", "pending")[0],
            marketplace=market,
            previous=last_approved[0] if last_approved else None,
        )
        session.put("requests", request)
        _new_conversation(session, rng, rid, f"Fulfillment Request {rid}", when)
        return request
    return None


def _new_conversation(session, rng, instance_id, topic, when):
    cid = new_unique_id(session, "conversations", "CO", (3, 3, 3), rng)
    session.put(
        "conversations",
        shapes.conversation_doc(
            ident=cid, instance_id=instance_id, topic=topic, created=when, world=world_of(session)
        ),
    )
    add_message(session, instance_id, "Request created.", when=when, rng=rng)


def answer_inquiry(session, rng, request: dict, when: str) -> dict:
    """The customer answers an inquiring request: the flagged and missing ordering parameters get values,
    errors clear, and it goes back to pending."""
    world = world_of(session)
    product = next((p for p in world["products"] if p["id"] == request["asset"]["product"]["id"]), None)
    customer = request["asset"]["tiers"].get("customer") or {}
    for param in request["asset"].get("params", []):
        if param.get("value_error") or (param.get("phase") == "ordering" and not param.get("value")):
            pdef = next((d for d in (product or {}).get("params", []) if d["id"] == param["id"]), None)
            if param["id"] == "migration_info" and not param.get("value_error"):
                continue  # a customer never fills it: a value would make the request a migration
            values = shapes.param_value(pdef, rng, customer) if pdef else {"value": "provided"}
            param["value"] = values.get("value") or "provided"
            if "structured_value" in values:
                param["structured_value"] = values["structured_value"]
            param["value_error"] = ""
    request["status"] = "pending"
    request["answered"] = True
    request["updated"] = when
    session.put("requests", request)
    add_message(session, request["id"], "Customer provided the requested information.", when=when, rng=rng)
    add_message(
        session, request["id"], "Request status changed from inquiring to pending.", when=when, rng=rng
    )
    return request


def colleague_processes(session, rng, when: str) -> list[str]:
    """Colleagues working in the portal process a pending request or two (older than this tick,
    not an answered inquiry: those are our staff's): mostly approved with the product's first
    fulfillment template, now and then failed. Keeps the demo's backlog from growing without end."""
    done = []
    world = world_of(session)
    where = "status = 'pending' AND updated < ? AND json_extract(doc, '$.answered') IS NOT 1"
    for request in _random_docs(session, "requests", rng.randint(0, 2), rng, where, (when,)):
        product = next((p for p in world["products"] if p["id"] == request["asset"]["product"]["id"]), None)
        templates = product_templates(product, "asset", "fulfillment") if product else []
        if rng.random() < 0.15 or not templates:
            body, action = {"reason": "Declined by the vendor's portal team."}, "fail"
        else:
            body, action = {"template_id": templates[0]["id"]}, "approve"
        text = request_transition(session, request, body, action, when)
        request["updated"] = when
        apply_request_to_asset(session, request, when)
        session.put("requests", request)
        add_message(session, request["id"], f"{text} (processed in the portal)", when=when, rng=rng)
        done.append(request["id"])
    return done


def new_tcr(session, rng, when: str) -> dict | None:
    """An update request on an active tier-1 configuration without an open request."""
    configs = _random_docs(session, "tier_configs", 5, rng, "status = 'active' AND tier_level = 1")
    for tc in configs:
        if tc.get("open_request"):
            continue
        existing = session.conn.execute(
            "SELECT doc FROM tier_config_requests WHERE configuration_id = ? ORDER BY created DESC, id DESC LIMIT 1",
            (tc["id"],),
        ).fetchone()
        if existing is None:
            continue
        last = json.loads(existing[0])
        n = (
            session.scalar(
                "SELECT COUNT(*) FROM tier_config_requests WHERE configuration_id = ?", (tc["id"],)
            )
            or 0
        )
        tcr_id = f"TCR-{tc['id'][3:]}-{n + 1:03d}"
        tc["open_request"] = {"id": tcr_id}
        tc["status"] = "processing"
        tc["events"]["updated"]["at"] = when
        session.put("tier_configs", tc)
        params = [dict(p, value_error="") for p in tc.get("params", [])]
        for p in params:
            if rng.random() < 0.5:
                p["value"] = f"P{rng.randint(100000, 999999)}"
        doc = dict(last)
        doc.update(
            {
                "id": tcr_id,
                "type": "update",
                "status": "pending",
                "configuration": tc,
                "events": {"created": {"at": when}, "updated": {"at": when}},
                "params": params,
                "assignee": "",
                "reason": "",
                "effective_date": when,
            }
        )
        if last.get("status") == "approved":
            doc["previous_approved_request"] = {"id": last["id"]}
        session.put("tier_config_requests", doc)
        _new_conversation(session, rng, tcr_id, f"Tier Config Request {tcr_id}", when)
        return doc
    return None


# ---------------------------------------------------------------------------------------------


def tick(session, rng) -> dict:
    """One step of Connect life (see the module docstring); returns the ids it created or changed."""
    when = now_iso()
    out = {
        "new_requests": [],
        "answered": [],
        "processed": colleague_processes(session, rng, when),
        "revoked": [],
        "touched": [],
        "new_tier_config_requests": [],
    }
    for _ in range(rng.randint(1, 3)):
        out["new_requests"].append(new_purchase(session, rng, when)["id"])
    for _ in range(rng.randint(0, 2)):
        request = new_followup(session, rng, when)
        if request:
            out["new_requests"].append(request["id"])
    for request in _random_docs(session, "requests", rng.randint(1, 2), rng, "status = 'inquiring'"):
        out["answered"].append(answer_inquiry(session, rng, request, when)["id"])
    for request in _random_docs(session, "requests", 1, rng, "status = 'revoking'"):
        if rng.random() < 0.5:
            request["status"] = "revoked"
            request["updated"] = when
            session.put("requests", request)
            add_message(
                session, request["id"], "Request status changed from revoking to revoked.", when=when, rng=rng
            )
            out["revoked"].append(request["id"])
    for collection in ("assets", "tier_accounts", "requests"):
        for doc in _random_docs(session, collection, rng.randint(0, 2), rng):
            _touch(doc, collection, when)
            session.put(collection, doc)
            out["touched"].append(doc["id"])
    if rng.random() < 0.3:
        tcr = new_tcr(session, rng, when)
        if tcr:
            out["new_tier_config_requests"].append(tcr["id"])
    return out


def churn(session, collection: str, n: int, rng) -> dict:
    """The `churn` fault: change `n` random objects of `collection` (and sometimes their status), and add one
    where the collection can grow."""
    when = now_iso()
    touched = []
    for doc in _random_docs(session, collection, n, rng):
        _touch(doc, collection, when)
        if (
            collection in ("requests",)
            and doc["status"] in ("inquiring", "tiers_setup", "draft")
            and rng.random() < 0.3
        ):
            doc["status"] = "pending"
        if collection == "tier_config_requests" and doc["status"] == "inquiring" and rng.random() < 0.3:
            doc["status"] = "pending"
        session.put(collection, doc)
        touched.append(doc["id"])
    created = None
    if collection == "requests":
        created = new_purchase(session, rng, when)["id"]
    elif collection == "assets":
        created = new_purchase(session, rng, when)["asset"]["id"]
    elif collection == "tier_config_requests":
        tcr = new_tcr(session, rng, when)
        created = tcr["id"] if tcr else None
    elif collection == "tier_accounts":
        created = new_customer(session, world_of(session), rng, when)["id"]
    elif collection == "conversations":
        created = new_purchase(session, rng, when)["id"]
    return {"touched": touched, "created": created}
