"""The static Connect collections, drawn from the world with no RNG: products and their
templates, items and parameters, marketplaces, hubs, vendor and provider accounts."""

from __future__ import annotations

from ...common import at
from ...store import Session


def put_reference_docs(session: Session, world: dict) -> None:
    """Write the world's products (with templates, items, parameters), marketplaces, hubs, vendor and provider
    accounts."""
    products = world["products"]
    put = session.put_many
    put("products", [(_product_doc(p, world), {}) for p in products])
    put("templates", [(_template_doc(t), {"product_id": p["id"]}) for p in products for t in p["templates"]])
    put("items", [(_item_doc(i), {"product_id": p["id"]}) for p in products for i in p["items"]])
    put("parameters", [(_param_doc(d), {"product_id": p["id"]}) for p in products for d in p["params"]])
    put("marketplaces", [(_marketplace_doc(m, world), {}) for m in world["marketplaces"]])
    put("hubs", [(_hub_doc(h, world, products), {}) for h in world["hubs"]])
    put("accounts", [(_account_doc(a, "vendor", "vendor"), {}) for a in world["vendors"]])
    put("accounts", [(_account_doc(world["provider"], "provider", "distributor"), {})])


def _product_doc(p, world):
    vendor = p["vendor"]
    return {
        "id": p["id"],
        "name": p["name"],
        "external_id": p["id"].replace("PRD-", "EXT-"),
        "icon": p["icon"],
        "status": p["status"],
        "short_description": f"{p['name']} for teams of any size",
        "detailed_description": f"{p['name']}: subscriptions billed per seat.",
        "version": 1,
        "published_at": p["created"],
        "configurations": {"suspend_resume_supported": True, "requires_reseller_information": True},
        "category": {"id": "CAT-00012", "name": "Software"},
        "owner": {"id": vendor["id"], "name": vendor["name"], "icon": vendor["icon"]},
        "latest": True,
        "stats": {"versions": 1},
        "visibility": {"owner": True, "listing": True, "syndication": False, "catalog": True},
        "public": False,
        "staging": False,
        "purchase_model": "subscription",
        "events": {
            "created": {"at": p["created"]},
            "updated": {"at": p["created"]},
            "published": {"at": p["created"]},
        },
    }


def _template_doc(t):
    return {k: t[k] for k in ("id", "title", "name", "body", "scope", "type", "position", "events")}


def _item_doc(i):
    return dict(i)


def _param_doc(d):
    return dict(d)


def _marketplace_doc(m, world):
    p = world["provider"]
    return {
        "id": m["id"],
        "name": m["name"],
        "description": f"{m['name']} of {p['name']}",
        "owner": {"id": p["id"], "name": p["name"]},
        "icon": m["ref"]["icon"],
        "zone": m["zone"],
        "hubs": [
            {"hub": {"id": h["id"], "name": h["name"]}, "external_id": str(i + 1)}
            for i, h in enumerate(world["hubs"])
        ],
        "countries": [{"id": m["country"][0], "name": m["country"][1]}],
        "sourcing": True,
        "currency": m["currency"],
        "attributes": {},
        "active_contracts": 1,
        "stats": {"hubs": len(world["hubs"]), "contracts": 1},
        "events": {"created": {"at": at(-365 * 86400)}, "updated": {"at": at(-30 * 86400)}},
    }


def _hub_doc(h, world, products):
    p = world["provider"]
    return {
        "id": h["id"],
        "name": h["name"],
        "description": f"{h['name']} hub",
        "company": {"id": p["id"], "name": p["name"]},
        "instance": {"id": h["instance_id"], "type": "API"},
        "instance_id": h["instance_id"],
        "instance_type": "api",
        "stats": {"connections": len(products), "marketplaces": len(world["marketplaces"])},
        "events": {"created": {"at": at(-365 * 86400)}, "updated": {"at": at(-30 * 86400)}},
    }


def _account_doc(a, kind, role):
    return {
        "id": a["id"],
        "name": a["name"],
        "icon": a["icon"],
        "description": a["name"],
        "overview": "",
        "type": kind,
        "role": role,
        "brand": "BR-000",
        "external_id": "",
        "sourcing": False,
        "industries": [],
        "public": False,
        "events": {"created": {"at": at(-400 * 86400)}, "updated": {"at": at(-30 * 86400)}},
    }
