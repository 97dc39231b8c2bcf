"""The seeded reference data (the "world"): provider, vendors, hubs, marketplaces, products with
their items, parameters, templates and hub connections, users. Stored whole in the meta table
(`connect.world`) for actions and life; `documents.py` turns it into the static collections.

Products: 4..14 (slowly with N), 7 templates each; marketplaces 3, hubs 2, vendors 2, 1 provider.
"""

from __future__ import annotations

import math
import random

from ...common import at, id_groups
from .. import shapes

USERS = [
    ("UR-841-574-187", "Marc Serrat", "mserrat@example.com"),
    ("UR-216-020-887", "Martin Constante", "mconstante@example.com"),
    ("UR-291-528-636", "Olga Operator", "operator@example.com"),
    ("UR-922-977-649", "Sam Support", "support@example.com"),
    ("UR-749-681-670", "John Doe", "john.doe@example.com"),
]

TEMPLATE_BODY = (
    "# {title}\n\nThis template is used to share details of the **{what}** with the customer.\n\n"
    "It uses **[Markdown](https://en.wikipedia.org/wiki/Markdown)** syntax and parameters of scope "
    "'{scope}'.\n\n### Details\n\n1. Text formatting like **bold** or *italic*\n2. Lists\n3. Links\n"
)


COMPANY_PRODUCTS = "Fallball Dropbox Cloudstore Mailguard Officesuite Backupsafe Teamchat Securenet".split()
PRODUCT_KINDS = "Business Enterprise Storage Pro Cloud Backup Suite Mail".split()


def build_world(rng: random.Random, scale: int) -> dict:
    """Reference data: accounts, hubs, marketplaces, products (items, parameters, templates)."""
    t0 = at(-30 * 24 * 3600)
    provider = {"id": "PA-425-033", "name": "CB Demo Provider", "icon": "/media/PA-425-033/media/icon.png"}
    vendors = [
        {"id": f"VA-{id_groups(rng, 3, 3)}", "name": shapes.company(rng), "icon": ""} for _ in range(2)
    ]
    for v in vendors:
        v["icon"] = f"/media/{v['id']}/media/icon.png"
    hubs = []
    for i in range(2):
        hid = f"HB-{id_groups(rng, 4, 4)}"
        hubs.append({"id": hid, "name": ["IMC DEMOS", "ACME Hub"][i], "instance_id": shapes.uuid(rng)})
    marketplaces = _marketplaces(rng, provider)
    n_products = max(4, min(14, 2 + round(2 * math.log10(max(scale, 10)))))
    products = [_product(rng, p, n_products, provider, vendors, hubs, t0) for p in range(n_products)]
    return {
        "provider": provider,
        "vendors": vendors,
        "hubs": hubs,
        "marketplaces": marketplaces,
        "products": products,
        "users": [{"id": u, "name": n, "email": e} for u, n, e in USERS],
    }


def _marketplaces(rng, provider) -> list[dict]:
    marketplaces = []
    for name, zone, currency, country in [
        ("Demo Marketplace", "EU", "EUR", ("ES", "Spain")),
        ("Worldwide Marketplace", "NA", "USD", ("US", "United States")),
        ("France and territories", "EU", "EUR", ("FR", "France")),
    ]:
        mid = f"MP-{rng.randint(10000, 99999)}"
        icon = f"/media/{provider['id']}/marketplaces/{mid}/icon.png"
        marketplaces.append(
            {
                "id": mid,
                "name": name,
                "zone": zone,
                "currency": currency,
                "country": country,
                "ref": {"id": mid, "name": name, "icon": icon},
                "contract": {
                    "id": f"CRD-{id_groups(rng, 5, 5, 5)}",
                    "type": "distribution",
                    "name": f"Contract of {name} Agreement",
                },
            }
        )
    return marketplaces


def _product(rng, p: int, n_products: int, provider, vendors, hubs, t0) -> dict:
    """Product number `p`: its items, parameters, templates and one connection per hub."""
    pid = f"PRD-{id_groups(rng, 3, 3, 3)}"
    vendor = vendors[p % len(vendors)]
    name = f"{rng.choice(COMPANY_PRODUCTS)} {rng.choice(PRODUCT_KINDS)}"
    icon = f"/media/{vendor['id']}/{pid}/media/{pid}-logo.png"
    status = "endofsale" if p == n_products - 1 and n_products > 4 else "published"
    items = _items(rng, p, pid, name, t0)
    params = _params(t0)
    templates = _templates(rng, t0)
    connections = []
    for h, hub in enumerate(hubs):
        connections.append(
            {
                "id": f"CT-{id_groups(rng, 4, 4)}",
                "type": "production" if h == 0 else "test",
                "status": "approved",
                "provider": {"id": provider["id"], "name": provider["name"]},
                "vendor": {"id": vendor["id"], "name": vendor["name"]},
                "hub": {"id": hub["id"], "name": hub["name"]},
                "created_at": t0,
            }
        )
    return {
        "id": pid,
        "name": name,
        "icon": icon,
        "status": status,
        "vendor": vendor,
        "ref": {"id": pid, "icon": icon, "name": name, "status": status},
        "items": items,
        "params": params,
        "templates": templates,
        "connections": connections,
        "created": t0,
    }


def _items(rng, p: int, pid: str, name: str, t0: str) -> list[dict]:
    items = []
    for i in range(rng.randint(2, 3)):
        period = rng.choice(["Monthly", "Yearly"])
        items.append(
            {
                "id": f"{pid.replace('-', '_')}_{i + 1:04d}",
                "global_id": f"{pid}-{i + 1:04d}",
                "mpn": f"MPN-{chr(65 + p)}-{i + 1:03d}",
                "type": rng.choice(["Licenses", "Units", "Seats"]),
                "display_name": f"{name} {['Basic', 'Standard', 'Premium', 'Add-on'][i]} {period}",
                "period": period,
                "item_type": "Reservation",
                "precision": "integer",
                "unit": {"id": "unit", "name": "Unit"},
                "status": "published",
                "events": {"created": {"at": t0}, "updated": {"at": t0}},
            }
        )
        by = {"id": USERS[2][0], "name": USERS[2][1]}
        items[-1]["params"] = [
            {
                "id": "plan_id",
                "title": "Plan identifier",
                "description": "Plan identifier at the vendor",
                "type": "text",
                "scope": "item",
                "phase": "configuration",
                "value": f"plan-{p + 1}-{i + 1}",
                "hint": "Plan identifier",
                "placeholder": "plan-id",
                "constraints": {"required": False, "hidden": False, "unique": False, "shared": None},
                "events": {"created": {"at": t0, "by": by}, "updated": {"at": t0, "by": by}},
            }
        ]
    return items


def _params(t0: str) -> list[dict]:
    params = [
        _pdef("admin_email", "Administrator email", "email", "ordering", True),
        _pdef("phone", "Contact phone", "phone", "ordering", False),
        _pdef("billing_address", "Billing address", "address", "ordering", False),
        _pdef(
            "edition",
            "Edition",
            "choice",
            "ordering",
            True,
            choices=["standard", "business", "enterprise"],
        ),
        _pdef("tenant_id", "Tenant ID", "text", "fulfillment", True),
        _pdef("admin_password", "Administrator password", "password", "fulfillment", False),
        _pdef("migration_info", "Data for migration subscription", "text", "ordering", False, hidden=True),
    ]
    for level in ("tier1", "tier2"):
        params.append(
            _pdef(
                f"{level}_partner_id",
                f"{level.title()} partner number",
                "text",
                "ordering",
                True,
                scope=level,
            )
        )
        params.append(
            _pdef(
                f"{level}_fulfillment",
                f"{level.title()} fulfillment",
                "text",
                "fulfillment",
                True,
                scope=level,
            )
        )
    for pdef in params:
        pdef["events"] = {"created": {"at": t0}, "updated": {"at": t0}}
    return params


def _templates(rng, t0: str) -> list[dict]:
    templates = []
    for scope, kind, title in [
        ("asset", "fulfillment", "Default Activation Template"),
        ("asset", "fulfillment", "Activation with credentials"),
        ("asset", "inquire", "Additional information is required"),
        ("asset", "pending", "Your order is being processed"),
        ("tier1", "fulfillment", "Tier 1 setup completed"),
        ("tier1", "inquire", "Tier 1 information required"),
        ("tier2", "fulfillment", "Tier 2 setup completed"),
    ]:
        tid = f"TL-{id_groups(rng, 3, 3, 3)}"
        what = {
            "fulfillment": "successful activation",
            "inquire": "missing information",
            "pending": "progress",
        }[kind]
        body = TEMPLATE_BODY.format(title=title, what=what, scope=scope)
        message = f"{title}: see **[details](https://portal.example.com/?template={tid})**."
        templates.append(
            {
                "id": tid,
                "title": title,
                "name": title,
                "body": body,
                "scope": scope,
                "type": kind,
                "position": 10000 + len(templates) * 100,
                "message": message,
                "events": {
                    "created": {"at": t0},
                    "updated": {"at": t0, "by": {"id": USERS[1][0], "name": USERS[1][1]}},
                },
            }
        )
    return templates


def _pdef(ident, title, kind, phase, required, *, scope="asset", choices=None, hidden=False):
    constraints = {
        "required": required,
        "hidden": hidden,
        "unique": False,
        "reconciliation": False,
        "meta": {},
    }
    if kind == "password":
        constraints.update({"min_length": 8, "max_length": 100})
    elif kind in ("text", "email", "domain", "url"):
        constraints.update({"placeholder": f"Enter the {title.lower()}", "hint": title})
    elif kind in ("address", "phone"):
        constraints["default"] = {"country": None}
    pdef = {
        "id": ident,
        "name": ident,
        "title": title,
        "description": title,
        "type": kind,
        "scope": scope,
        "phase": phase,
        "constraints": constraints,
    }
    if choices:
        pdef["value_choices"] = [{"label": c.title(), "value": c} for c in choices]
        pdef["value_choices"][0]["default"] = True
        constraints["meta"] = {"choices": pdef["value_choices"]}
    return pdef


def product_templates(product: dict, scope: str, kind: str) -> list[dict]:
    """The product's templates of one scope (asset, tier1, tier2) and type (fulfillment, inquire, pending)."""
    return [t for t in product["templates"] if t["scope"] == scope and t["type"] == kind]
