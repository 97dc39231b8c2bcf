"""Builders of Connect documents shaped like the real payloads in
shared/upstream/connect-fixtures (every field there exists here, with the same types: item
quantities are strings, tier_level is an int, assignee is an object or "").

Seeding (seed.py) and upstream life (life.py) both build documents through these functions, from
a "world" of reference data (products with their items, parameters, templates and connections,
marketplaces, hubs, vendors, the provider, users) kept in the `meta` table.
"""

from __future__ import annotations

import copy
import json

from ..common import id_groups

FIRST = "Ava Liam Noah Emma Mia Lucas Zoe Ethan Ivy Owen Lena Hugo Nora Felix Iris Max Ruby Leo Clara Omar".split()
LAST = "Smith Langosh Serrat Turner Clayton Runte Bernier Kowalski Nakamura Garcia Rossi Dubois Novak Silva".split()
COMPANY_A = "Acme Blue Green Red Nova Polar Apex Vertex Summit Harbor Cedar Maple Iron Silver Golden".split()
COMPANY_B = (
    "Electrics Logistics Foods Labs Systems Media Dynamics Partners Retail Health Studio Works".split()
)
SUFFIX = ["Inc", "LLC", "Ltd", "GmbH", "and Sons", "Group"]
CITIES = [
    ("Austin", "TX", "78723-1026", "us"),
    ("Irvine", "CA", "92612-0697", "us"),
    ("Baldwin", "Alabama", "36507", "us"),
    ("Madrid", "Madrid", "28001", "es"),
    ("Berlin", "Berlin", "10115", "de"),
    ("Lyon", "Rhone", "69001", "fr"),
    ("Toronto", "ON", "M5H 2N2", "ca"),
]
STREETS = "Michelson Drive|Feil Fork|Green Land|Beer Fall|Hwy 290|Main Street|Oak Avenue|Harbor Road".split(
    "|"
)

REQUEST_STATUSES = [
    "draft",
    "tiers_setup",
    "pending",
    "inquiring",
    "approved",
    "failed",
    "scheduled",
    "revoking",
    "revoked",
]
OPEN_REQUEST_STATUSES = ("draft", "tiers_setup", "pending", "inquiring", "scheduled", "revoking")
REQUEST_TYPES = ["purchase", "change", "suspend", "resume", "cancel", "adjustment"]
TCR_STATUSES = ["draft", "tiers_setup", "pending", "inquiring", "approved", "failed"]
OPEN_TCR_STATUSES = ("draft", "tiers_setup", "pending", "inquiring")


def company(rng) -> str:
    """A made-up company name."""
    return f"{rng.choice(COMPANY_A)} {rng.choice(COMPANY_B)} {rng.choice(SUFFIX)}"


def uuid(rng) -> str:
    """A version-4-shaped UUID drawn from `rng` (so it is seeded)."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def contact_info(rng, email_domain: str) -> dict:
    """A tier account's contact_info: address and a contact with an email at `email_domain`."""
    city, state, postal, country = rng.choice(CITIES)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return {
        "address_line1": f"{rng.randint(1, 9999)} {rng.choice(STREETS)}",
        "address_line2": rng.choice(["", "", f"Suite {rng.randint(1, 500)}"]),
        "city": city,
        "state": state,
        "postal_code": postal,
        "country": country,
        "contact": {
            "first_name": first,
            "last_name": last,
            "email": f"{first.lower()}.{last.lower()}@{email_domain}",
            "phone_number": {
                "country_code": "+1",
                "area_code": str(rng.randint(200, 999)),
                "phone_number": str(rng.randint(2000000, 9999999)),
                "extension": "",
            },
        },
    }


def tier_ref(account: dict) -> dict:
    """A tier account as embedded in assets, requests and tier configs."""
    return {
        "id": account["id"],
        "external_id": account["external_id"],
        "external_uid": account["external_uid"],
        "name": account["name"],
        "contact_info": account["contact_info"],
    }


def tier_account(
    rng, ident: str, *, kind: str, scopes: list, parent: dict | None, world: dict, when: str
) -> dict:
    """A tier account document (customer or reseller) under `parent`, with the world's hub and marketplace."""
    name = company(rng)
    domain = name.split()[0].lower() + name.split()[1].lower() + ".example.com"
    hub = world["hubs"][0]
    return {
        "id": ident,
        "version": 1,
        "name": name,
        "type": kind,
        "db": "US",
        "environment": "production",
        "external_id": str(rng.randint(100000, 9999999)),
        "external_uid": uuid(rng),
        "tax_id": f"TX{rng.randint(10000000, 99999999)}",
        "parent": {"id": parent["id"], "name": parent["name"], "external_id": parent["external_id"]}
        if parent
        else {},
        "owner": {"id": world["provider"]["id"], "name": world["provider"]["name"]},
        "scopes": scopes,
        "hub": {"id": hub["id"], "name": hub["name"]},
        "marketplace": world["marketplaces"][0]["ref"],
        "events": {
            "created": {"at": when, "by": {"id": "SU-506-434-371", "name": hub["id"]}},
            "updated": {"at": when, "by": {"id": "SU-506-434-371", "name": hub["id"]}},
        },
        "contact_info": contact_info(rng, domain),
    }


# ---------------------------------------------------------------------------------------------
# parameters


def param_value(pdef: dict, rng, customer: dict | None) -> dict:
    """value (+ structured_value) for one asset parameter definition."""
    kind = pdef["type"]
    info = (customer or {}).get("contact_info") or {}
    contact = info.get("contact") or {}
    if kind == "email":
        return {"value": contact.get("email", "admin@example.com")}
    if kind == "phone":
        phone = contact.get("phone_number") or {
            "country_code": "+1",
            "area_code": "555",
            "phone_number": "8677089",
        }
        structured = {
            "country_code": phone["country_code"],
            "area_code": phone["area_code"],
            "phone_number": phone["phone_number"],
            "extension": "",
        }
        return {
            "value": f"{phone['country_code']}{phone['area_code']}{phone['phone_number']}",
            "structured_value": structured,
        }
    if kind == "address":
        structured = {
            "address_line1": info.get("address_line1", "1 Main Street"),
            "address_line2": info.get("address_line2") or "",
            "city": info.get("city", "Austin"),
            "state": info.get("state", "TX"),
            "postal_code": info.get("postal_code", "78723"),
            "country": (info.get("country") or "us").upper(),
        }
        value = " ".join(v for v in structured.values() if v)
        return {"value": value, "structured_value": structured}
    if kind == "choice":
        return {"value": rng.choice(pdef["value_choices"])["value"]}
    if kind == "domain":
        return {"value": (customer or {}).get("name", "tenant").split()[0].lower() + ".example.com"}
    if kind == "password":
        return {"value": "".join(rng.choice("abcdefghkmnpqrstuvwxyz23456789#!") for _ in range(12))}
    if pdef["id"] == "migration_info":
        return {"value": ""}
    return {"value": f"{pdef['id'].split('_')[-1]}-{rng.randint(1000, 99999)}"}


def asset_param(pdef: dict, values: dict, value_error: str = "") -> dict:
    """A parameter as embedded in an asset or request, from its definition and values."""
    out = {
        "id": pdef["id"],
        "name": pdef["name"],
        "title": pdef["title"],
        "description": pdef["description"],
        "type": pdef["type"],
        "phase": pdef["phase"],
        "scope": pdef["scope"],
        "value": values.get("value", ""),
        "value_error": value_error,
        "constraints": pdef["constraints"],
    }
    if "structured_value" in values:
        out["structured_value"] = values["structured_value"]
    if pdef.get("value_choices"):
        out["value_choices"] = pdef["value_choices"]
    return out


def migration_value(rng, customer: dict) -> str:
    """The JSON `migration_info` value of a migration request (the customer's team on the old platform)."""
    return json.dumps(
        {
            "teamAdminEmail": customer["contact_info"]["contact"]["email"],
            "teamId": "dbtid:"
            + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijk0123456789") for _ in range(24)),
            "resellerId": [f"RS{rng.randint(100000, 999999)}"],
            "teamName": customer["name"],
            "licNumber": str(rng.randint(1, 200)),
        },
        separators=(",", ":"),
    )


# ---------------------------------------------------------------------------------------------
# assets and requests


def asset_items(product: dict, quantities: dict, old: dict | None = None) -> list[dict]:
    """Every item of the product with its quantity (and old quantity), as strings like Connect's."""
    old = old or {}
    return [
        {
            "id": item["id"],
            "global_id": item["global_id"],
            "mpn": item["mpn"],
            "old_quantity": str(old.get(item["id"], 0)),
            "quantity": str(quantities.get(item["id"], 0)),
            "type": item["type"],
            "display_name": item["display_name"],
            "period": item["period"],
            "item_type": item["item_type"],
            "params": item.get("params", []),
        }
        for item in product["items"]
    ]


def asset_doc(
    *,
    ident,
    status,
    external_id,
    external_uid,
    product,
    connection,
    created,
    updated,
    items,
    params,
    tiers,
    marketplace,
    contract,
    external_name,
) -> dict:
    """An asset document."""
    return {
        "id": ident,
        "status": status,
        "external_id": external_id,
        "external_uid": external_uid,
        "external_name": external_name,
        "product": product["ref"],
        "connection": connection,
        "events": {"created": {"at": created}, "updated": {"at": updated}},
        "items": items,
        "params": params,
        "tiers": tiers,
        "configuration": {"params": []},
        "marketplace": marketplace["ref"],
        "contract": marketplace["contract"],
    }


def template_ref(template: dict | None) -> dict:
    """A template as a request embeds it (id, name, message); {} for none."""
    if not template:
        return {}
    return {"id": template["id"], "name": template["name"], "message": template["message"]}


def request_doc(
    *,
    ident,
    kind,
    status,
    asset,
    created,
    updated,
    assignee,
    template,
    marketplace,
    reason="",
    note="",
    answered=False,
    previous=None,
    activation_key="",
) -> dict:
    """A fulfillment request document, embedding the asset snapshot given."""
    doc = {
        "id": ident,
        "type": kind,
        "note": note,
        "asset": asset,
        "reason": reason,
        "status": status,
        "created": created,
        "updated": updated,
        "effective_date": created,
        "answered": answered,
        "assignee": assignee or "",
        "activation_key": activation_key,
        "template": template_ref(template),
        "external_attributes": {},
        "marketplace": marketplace["ref"],
        "contract": marketplace["contract"],
    }
    if previous:
        doc["previous_approved_request"] = {"id": previous}
    return doc


def snapshot(asset: dict) -> dict:
    """The asset as embedded in a request (deep copy: later changes must not leak)."""
    out = copy.deepcopy(asset)
    out.pop("external_name", None)
    return out


# ---------------------------------------------------------------------------------------------
# tier configs and their requests


def tier_config_doc(
    *,
    ident,
    account,
    product,
    level,
    connection,
    created,
    updated,
    params,
    template,
    status,
    marketplace,
    open_request=None,
    by=None,
) -> dict:
    """A tier configuration document for an account, product and tier level."""
    doc = {
        "id": ident,
        "name": f"Configuration of {account['id']}",
        "account": {
            "id": account["id"],
            "external_id": account["external_id"],
            "external_uid": account["external_uid"],
            "name": account["name"],
            "contact_info": account["contact_info"],
        },
        "product": product["ref"],
        "tier_level": level,
        "connection": connection,
        "events": {"created": {"at": created}, "updated": {"at": updated, "by": by or {}}},
        "params": params,
        "template": {"id": template["id"], "name": template["name"], "representation": template["message"]},
        "status": status,
        "contract": marketplace["contract"],
        "marketplace": marketplace["ref"],
    }
    if open_request:
        doc["open_request"] = {"id": open_request}
    return doc


def tier_param(pdef: dict, value: str, value_error: str = "") -> dict:
    """A parameter as embedded in a tier config or its request."""
    return {
        "id": pdef["id"],
        "title": pdef["title"],
        "description": pdef["description"],
        "type": pdef["type"],
        "scope": pdef["scope"],
        "phase": pdef["phase"],
        "value": value,
        "value_error": value_error,
        "constraints": {"required": True, "hidden": False, "unique": False},
    }


def tcr_doc(
    *,
    ident,
    kind,
    status,
    configuration,
    parent,
    created,
    updated,
    params,
    assignee,
    template,
    tiers,
    events_extra=None,
    reason="",
    previous=None,
    effective_date=None,
) -> dict:
    """A tier config request document."""
    events = {"created": {"at": created}, "updated": {"at": updated}}
    events.update(events_extra or {})
    doc = {
        "id": ident,
        "type": kind,
        "status": status,
        "configuration": configuration,
        "parent_configuration": parent,
        "events": events,
        "params": params,
        "assignee": assignee or "",
        "template": {"id": template["id"], "name": template["name"], "representation": template["message"]},
        "environment": "production",
        "tiers": tiers,
        "notes": "",
        "reason": reason,
        "effective_date": effective_date or created,
        "sli": {"zone": 1, "days": 2},
        "activation": {"link": ""},
    }
    if previous:
        doc["previous_approved_request"] = {"id": previous}
    return doc


# ---------------------------------------------------------------------------------------------
# conversations


def conversation_doc(*, ident, instance_id, topic, created, world) -> dict:
    """A conversation about `instance_id` between the provider and the first vendor."""
    provider = world["provider"]
    vendor = world["vendors"][0]
    return {
        "id": ident,
        "instance_id": instance_id,
        "topic": topic,
        "type": "conversation",
        "status": "open",
        "events": {"created": {"at": created}, "updated": {"at": created}},
        "accounts": [
            {"id": provider["id"], "name": provider["name"], "icon": provider["icon"]},
            {"id": vendor["id"], "name": vendor["name"], "icon": vendor["icon"]},
        ],
        "creator": {"id": "SU-000-000-001", "name": "Connect"},
        "created": created,
    }


def message_doc(*, ident, conversation, text, kind, created, creator=None, account=None, world=None) -> dict:
    """A message of a conversation (by default from Connect, on the provider's account)."""
    provider = (world or {}).get("provider") or {"id": "PA-000-000", "name": "Provider", "icon": ""}
    return {
        "id": ident,
        "conversation": conversation,
        "account": account or {"id": provider["id"], "name": provider["name"], "icon": provider["icon"]},
        "created": created,
        "creator": creator or {"id": "SU-000-000-001", "name": "Connect"},
        "text": text,
        "type": kind,
        "events": {"created": {"at": created}, "updated": {"at": created}},
    }


def new_id(rng, prefix: str, sizes: tuple[int, ...], taken) -> str:
    """A random id with `prefix` not in `taken` (added to it when it is a set)."""
    while True:
        ident = f"{prefix}-{id_groups(rng, *sizes)}"
        if ident not in taken:
            if isinstance(taken, set):
                taken.add(ident)
            return ident
