"""Deterministic Connect world for a seed and a scale (N fulfillment requests).

Same seed + scale -> byte-identical documents: every timestamp is the fixed EPOCH plus a seeded
offset, every id comes from the seeded RNG. Proportions (for N requests):
- assets ~ N/1.7 (each has 1..5 requests: purchase first, then change/suspend/resume/cancel/
  adjustment as the asset's state allows; earlier requests are closed, the last one may be open);
- customers ~ assets/2, tier-1 resellers ~ N/100 (min 3), tier-2 resellers ~ N/400 (min 2);
- tier configs per reseller and product sold; tier config requests ~ N/10 (min 6), tier-1 only
  (so each has a parent configuration);
- products 4..14 (slowly with N), 7 templates each; marketplaces 3, hubs 2, vendors 2, 1 provider;
- one conversation per request and per TCR, with 1..3 messages.
Every request status and type is present (the first assets are planned to cover them when N >= 20).
"""

from __future__ import annotations

import math
import random

from ..common import at, id_groups
from . import shapes
from .collections import ALL

SPAN = 365 * 24 * 3600  # seeded history: one year after the epoch
BATCH = 5000

LAST_STATUS_WEIGHTS = {
    "approved": 40,
    "pending": 14,
    "inquiring": 10,
    "failed": 8,
    "draft": 5,
    "tiers_setup": 5,
    "scheduled": 6,
    "revoking": 4,
    "revoked": 8,
}

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
    n_products = max(4, min(14, 2 + round(2 * math.log10(max(scale, 10)))))
    products = []
    for p in range(n_products):
        pid = f"PRD-{id_groups(rng, 3, 3, 3)}"
        vendor = vendors[p % len(vendors)]
        name = f"{rng.choice(COMPANY_PRODUCTS)} {rng.choice(PRODUCT_KINDS)}"
        icon = f"/media/{vendor['id']}/{pid}/media/{pid}-logo.png"
        status = "endofsale" if p == n_products - 1 and n_products > 4 else "published"
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
            _pdef(
                "migration_info", "Data for migration subscription", "text", "ordering", False, hidden=True
            ),
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
        products.append(
            {
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
        )
    return {
        "provider": provider,
        "vendors": vendors,
        "hubs": hubs,
        "marketplaces": marketplaces,
        "products": products,
        "users": [{"id": u, "name": n, "email": e} for u, n, e in USERS],
    }


COMPANY_PRODUCTS = "Fallball Dropbox Cloudstore Mailguard Officesuite Backupsafe Teamchat Securenet".split()
PRODUCT_KINDS = "Business Enterprise Storage Pro Cloud Backup Suite Mail".split()


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
    return [t for t in product["templates"] if t["scope"] == scope and t["type"] == kind]


# ---------------------------------------------------------------------------------------------


def seed(session, seed: int, scale: int) -> dict:
    """Fill an empty database (inside Store.building) with the seeded world. Returns counts."""
    rng = random.Random(f"connect-{seed}")
    scale = max(1, int(scale))
    world = build_world(rng, scale)
    products = world["products"]
    users = world["users"]
    taken: set[str] = set()

    # ---- static collections
    put = session.put_many
    put("products", [(_product_doc(p, world), {}) for p in products])
    put("templates", [(_template_doc(t), {"product_id": p["id"]}) for p in products for t in p["templates"]])
    put("items", [(_item_doc(i), {"product_id": p["id"]}) for p in products for i in p["items"]])
    put("parameters", [(_param_doc(d), {"product_id": p["id"]}) for p in products for d in p["params"]])
    put("marketplaces", [(_marketplace_doc(m, world), {}) for m in world["marketplaces"]])
    put("hubs", [(_hub_doc(h, world, products), {}) for h in world["hubs"]])
    put("accounts", [(_account_doc(a, "vendor", "vendor"), {}) for a in world["vendors"]])
    put("accounts", [(_account_doc(world["provider"], "provider", "distributor"), {})])

    # ---- tier accounts
    n_assets_target = max(2, round(scale / 1.7))
    n_customers = max(5, n_assets_target // 2)
    n_tier1 = max(3, scale // 100)
    n_tier2 = max(2, scale // 400)
    tier2 = []
    for _ in range(n_tier2):
        ident = shapes.new_id(rng, "TA-0", (4, 4, 4), taken)
        tier2.append(
            shapes.tier_account(
                rng,
                ident,
                kind="reseller",
                scopes=["tier2"],
                parent=None,
                world=world,
                when=at(rng.uniform(-200, 0) * 86400),
            )
        )
    tier1 = []
    for i in range(n_tier1):
        ident = shapes.new_id(rng, "TA-0", (4, 4, 4), taken)
        parent = tier2[i % len(tier2)] if i % 5 != 4 else None  # every 5th sells directly
        tier1.append(
            shapes.tier_account(
                rng,
                ident,
                kind="reseller",
                scopes=["tier1"],
                parent=parent,
                world=world,
                when=at(rng.uniform(-200, 0) * 86400),
            )
        )
    parents = {a["id"]: a for a in tier2 + tier1}
    customers = []
    for _ in range(n_customers):
        ident = shapes.new_id(rng, "TA", (4, 4, 4), taken)
        reseller = rng.choice(tier1)
        customers.append(
            shapes.tier_account(
                rng,
                ident,
                kind="customer",
                scopes=["customer"],
                parent=reseller,
                world=world,
                when=at(rng.uniform(0, SPAN * 0.8)),
            )
        )
    put("tier_accounts", [(a, {}) for a in tier2 + tier1 + customers])

    def tiers_of(customer):
        t1 = parents[customer["parent"]["id"]]
        t2 = parents.get((t1.get("parent") or {}).get("id", ""))
        return {
            "customer": shapes.tier_ref(customer),
            "tier1": shapes.tier_ref(t1),
            "tier2": shapes.tier_ref(t2) if t2 else {},
        }

    # ---- assets and requests
    plans = _plans(rng, scale)
    request_rows, asset_rows, conv_rows, message_rows = [], [], [], []
    counts = {"requests": 0, "assets": 0}
    for plan_index, plan in enumerate(plans):
        product = products[rng.randrange(len(products) - (1 if len(products) > 4 else 0))]
        customer = rng.choice(customers)
        market = world["marketplaces"][rng.randrange(len(world["marketplaces"]))]
        connection = product["connections"][0 if rng.random() < 0.9 else 1]
        asset_id = shapes.new_id(rng, "AS", (4, 4, 4), taken)
        ext_id, ext_uid = str(rng.randint(1000000, 9999999)), shapes.uuid(rng)
        tiers = tiers_of(customer)
        migration = rng.random() < 0.04 or plan_index == 3
        created = rng.uniform(0, SPAN)
        quantities = {product["items"][0]["id"]: rng.randint(1, 50)}
        if len(product["items"]) > 1 and rng.random() < 0.5:
            quantities[product["items"][1]["id"]] = rng.randint(1, 20)
        values = {}
        for pdef in product["params"]:
            if pdef["scope"] == "asset":
                values[pdef["id"]] = shapes.param_value(pdef, rng, customer)
        if migration:
            values["migration_info"] = {"value": shapes.migration_value(rng, customer)}
        asset_status = "processing"
        previous_approved = None
        t = created
        for index, (kind, status) in enumerate(plan):
            t_created = t
            closed = status in ("approved", "failed", "revoked")
            t_updated = t_created + (rng.uniform(60, 3 * 86400) if closed or status != "draft" else 0)
            if rng.random() < 0.05 and request_rows:
                # a batch import: same update second as the previous request (keyset ties)
                t_updated = max(t_created, _seconds(request_rows[-1][2]))
            old = dict(quantities)
            if kind == "change":
                for item in product["items"][: rng.randint(1, len(product["items"]))]:
                    quantities[item["id"]] = max(1, quantities.get(item["id"], 0) + rng.randint(-5, 15))
            inquiring = status == "inquiring"
            errors = {}
            if inquiring:
                for pid_ in rng.sample(["tenant_id", "edition", "admin_email"], rng.randint(1, 2)):
                    errors[pid_] = f"Please provide a valid {pid_.replace('_', ' ')}."
            params = []
            for pdef in product["params"]:
                if pdef["scope"] != "asset":
                    continue
                v = values[pdef["id"]]
                if pdef["phase"] == "fulfillment" and not (
                    status == "approved" or asset_status != "processing"
                ):
                    v = {"value": ""}
                if pdef["id"] in errors:
                    v = {"value": ""}
                params.append(shapes.asset_param(pdef, v, errors.get(pdef["id"], "")))
            # asset status as seen by this request, then after it
            before = asset_status
            after = before
            if status == "approved":
                after = {
                    "purchase": "active",
                    "suspend": "suspended",
                    "resume": "active",
                    "cancel": "terminated",
                }.get(kind, before)
            elif status == "failed" and kind == "purchase":
                after = "terminated"
            snap_status = before
            asset_snapshot = shapes.asset_doc(
                ident=asset_id,
                status=after if closed else snap_status,
                external_id=ext_id,
                external_uid=ext_uid,
                product=product,
                connection=connection,
                created=at(created),
                updated=at(t_updated),
                items=shapes.asset_items(product, quantities, old if kind == "change" else None),
                params=params,
                tiers=tiers,
                marketplace=market,
                contract=None,
                external_name=f"{customer['name']} {product['name']}",
            )
            asset_snapshot.pop("external_name")
            template = _template_for(product, kind, status)
            rid = f"PR-{asset_id[3:]}-{index + 1:03d}"
            assignee = ""
            if status not in ("draft",) and rng.random() < 0.45:
                u = users[rng.randrange(len(users))]
                assignee = dict(u)
            doc = shapes.request_doc(
                ident=rid,
                kind=kind,
                status=status,
                asset=asset_snapshot,
                created=at(t_created),
                updated=at(t_updated),
                assignee=assignee,
                template=template,
                marketplace=market,
                reason="Customer cancelled the order" if status == "failed" else "",
                note="Migrated subscription" if migration and kind == "purchase" else "",
                answered=status == "pending" and rng.random() < 0.2,
                previous=previous_approved if kind != "purchase" else None,
                activation_key=template["message"] if status == "approved" and template else "",
            )
            request_rows.append(_row("requests", session, doc))
            counts["requests"] += 1
            _conversation(
                rng,
                world,
                taken,
                rid,
                f"Fulfillment Request {rid}",
                t_created,
                t_updated,
                status,
                conv_rows,
                message_rows,
            )
            if status == "approved":
                previous_approved = rid
            asset_status = after
            t = t_updated + rng.uniform(86400, 60 * 86400)
        asset_updated = max(_seconds(request_rows[-1][2]), created)
        final_params = [dict(p, value_error="") for p in params]
        adoc = shapes.asset_doc(
            ident=asset_id,
            status=asset_status,
            external_id=ext_id,
            external_uid=ext_uid,
            product=product,
            connection=connection,
            created=at(created),
            updated=at(asset_updated),
            items=shapes.asset_items(product, quantities),
            params=final_params,
            tiers=tiers,
            marketplace=market,
            contract=None,
            external_name=f"{customer['name']} {product['name']}",
        )
        asset_rows.append(_row("assets", session, adoc))
        counts["assets"] += 1
        if len(request_rows) >= BATCH:
            _flush(session, request_rows, asset_rows, conv_rows, message_rows)

    _flush(session, request_rows, asset_rows, conv_rows, message_rows)

    # ---- tier configs and their requests
    n_tcr = max(6, scale // 10)
    tc_docs, tcr_rows = [], []
    tier1_with_parent = [a for a in tier1 if a.get("parent")]
    configs = {}
    for account in tier2 + tier1:
        level = 2 if account in tier2 else 1
        for product in rng.sample(products, min(len(products), rng.randint(1, 3))):
            configs[(account["id"], product["id"])] = {
                "account": account,
                "product": product,
                "level": level,
                "id": shapes.new_id(rng, "TC", (3, 3, 3), taken),
            }
    # every tier-1 config needs its parent's config for the same product
    with_parent = {a["id"]: a for a in tier1_with_parent}
    for (acc_id, prod_id), cfg in list(configs.items()):
        account = with_parent.get(acc_id)
        if account and (account["parent"]["id"], prod_id) not in configs:
            parent = parents[account["parent"]["id"]]
            configs[(parent["id"], prod_id)] = {
                "account": parent,
                "product": cfg["product"],
                "level": 2,
                "id": shapes.new_id(rng, "TC", (3, 3, 3), taken),
            }
    tcr_targets = [
        cfg for (acc_id, _), cfg in configs.items() if cfg["level"] == 1 and parents[acc_id].get("parent")
    ]
    per_config: dict[str, int] = {}
    for i in range(n_tcr):
        cfg = tcr_targets[i % len(tcr_targets)] if i < len(tcr_targets) else rng.choice(tcr_targets)
        per_config[cfg["id"]] = per_config.get(cfg["id"], 0) + 1
    status_cycle = iter(shapes.TCR_STATUSES)
    built: dict[str, dict] = {}

    def build_tc(cfg, status, updated, open_request=None, values=None):
        product = cfg["product"]
        scope = f"tier{cfg['level']}"
        params = [
            shapes.tier_param(p, (values or {}).get(p["id"], f"P{rng.randint(100000, 999999)}"))
            for p in product["params"]
            if p["scope"] == scope
        ]
        market = world["marketplaces"][0]
        return shapes.tier_config_doc(
            ident=cfg["id"],
            account=cfg["account"],
            product=product,
            level=cfg["level"],
            connection=product["connections"][0],
            created=at(cfg["created"]),
            updated=at(updated),
            params=params,
            template=product_templates(product, scope, "fulfillment")[0],
            status=status,
            marketplace=market,
            open_request=open_request,
            by={"id": users[0]["id"], "name": users[0]["name"]},
        )

    for cfg in configs.values():
        cfg["created"] = rng.uniform(-120 * 86400, SPAN * 0.5)
    # parents first: active, no requests
    for cfg in configs.values():
        if cfg["id"] not in per_config:
            built[cfg["id"]] = build_tc(cfg, "active", cfg["created"] + rng.uniform(3600, 86400))
    for cfg in configs.values():
        n = per_config.get(cfg["id"])
        if not n:
            continue
        parent_cfg = configs[(cfg["account"]["parent"]["id"], cfg["product"]["id"])]
        parent_doc = built[parent_cfg["id"]]
        t = cfg["created"]
        tc_status, previous, open_id = "processing", None, None
        tcr_docs = []
        for k in range(n):
            last = k == n - 1
            status = "approved"
            if last:
                status = next(status_cycle, None) or rng.choice(
                    ["approved"] * 5 + ["pending"] * 2 + ["inquiring", "failed", "draft", "tiers_setup"]
                )
            kind = "setup" if k == 0 else ("adjustment" if rng.random() < 0.1 else "update")
            t_created, t_updated = t, t + rng.uniform(300, 5 * 86400)
            tcr_id = f"TCR-{cfg['id'][3:]}-{k + 1:03d}"
            scope = f"tier{cfg['level']}"
            errors = {}
            if status == "inquiring":
                errors[f"{scope}_partner_id"] = "Partner number not found, please check it."
            params = [
                shapes.tier_param(
                    p, "" if p["id"] in errors else f"P{rng.randint(100000, 999999)}", errors.get(p["id"], "")
                )
                for p in cfg["product"]["params"]
                if p["scope"] == scope
            ]
            by = {"id": users[0]["id"], "name": users[0]["name"]}
            events = {"updated": {"at": at(t_updated), "by": by}}
            if status == "approved":
                events["approved"] = {"at": at(t_updated), "by": by}
            if status in ("approved", "pending") and (
                rng.random() < 0.5 or len(tcr_rows) + len(tcr_docs) < 3
            ):
                events["inquired"] = {"at": at(t_created + 60)}  # it went through an inquiry
                events["pended"] = {"at": at(t_created + 120)}
            if status == "inquiring":
                events["inquired"] = {"at": at(t_updated)}
            open_now = status in shapes.OPEN_TCR_STATUSES
            if status == "approved":
                tc_status = "active"
            elif open_now:
                tc_status, open_id = "processing", tcr_id
            tc_snapshot = build_tc(cfg, tc_status, t_updated, open_request=tcr_id if open_now else None)
            assignee = ""
            if rng.random() < 0.4:
                u = users[rng.randrange(len(users))]
                assignee = {"id": u["id"], "name": u["name"]}
            template = product_templates(cfg["product"], scope, "fulfillment")[0]
            doc = shapes.tcr_doc(
                ident=tcr_id,
                kind=kind,
                status=status,
                configuration=tc_snapshot,
                parent=parent_doc,
                created=at(t_created),
                updated=at(t_updated),
                params=params,
                assignee=assignee,
                template=template,
                tiers={
                    "tier1": shapes.tier_ref(cfg["account"]),
                    "tier2": shapes.tier_ref(parents[cfg["account"]["parent"]["id"]]),
                },
                events_extra=events,
                reason="Invalid partner data" if status == "failed" else "",
                previous=previous,
            )
            tcr_docs.append(doc)
            _conversation(
                rng,
                world,
                taken,
                tcr_id,
                f"Tier Config Request {tcr_id}",
                t_created,
                t_updated,
                status,
                conv_rows,
                message_rows,
            )
            if status == "approved":
                previous = tcr_id
            t = t_updated + rng.uniform(86400, 90 * 86400)
        built[cfg["id"]] = build_tc(
            cfg,
            tc_status,
            _seconds(tcr_docs[-1]["events"]["updated"]["at"]),
            open_request=open_id if tcr_docs[-1]["status"] in shapes.OPEN_TCR_STATUSES else None,
        )
        tcr_rows.extend((d, {}) for d in tcr_docs)
    tc_docs = [(built[cfg["id"]], {}) for cfg in configs.values()]
    put("tier_configs", tc_docs)
    put("tier_config_requests", tcr_rows)
    _flush(session, [], [], conv_rows, message_rows)

    session.set_meta("connect.world", world)
    counts.update({"tier_configs": len(tc_docs), "tier_config_requests": len(tcr_rows)})
    return counts


def _seconds(iso_text: str) -> float:
    from datetime import datetime

    from ..common import EPOCH

    return (datetime.fromisoformat(iso_text) - EPOCH).total_seconds()


def _row(name, session, doc):
    c = session.coll(name)
    from ..common import dumps

    values = c.extract(doc, {})
    return (doc["id"], *values, dumps(doc))


def _flush(session, request_rows, asset_rows, conv_rows, message_rows):
    # sorted by update time so the table is clustered like the (updated, id) index
    for name, rows in (("requests", request_rows), ("assets", asset_rows)):
        if rows:
            upd = session.coll(name).column_names.index("updated") + 1
            rows.sort(key=lambda r: (r[upd], r[0]))
            session.insert_raw(name, rows)
            rows.clear()
    if conv_rows:
        session.insert_raw("conversations", conv_rows)
        conv_rows.clear()
    if message_rows:
        session.insert_raw("messages", message_rows)
        message_rows.clear()


STATE_TEXT = {
    "draft": "Request created as a draft.",
    "tiers_setup": "Request is waiting for the tier configuration setup.",
    "pending": "Request is pending processing.",
    "inquiring": "Additional information is required from the customer.",
    "approved": "Request has been approved.",
    "failed": "Request has been failed.",
    "scheduled": "Request has been scheduled.",
    "revoking": "Request is being revoked.",
    "revoked": "Request has been revoked.",
}


def _conversation(
    rng, world, taken, instance_id, topic, t_created, t_updated, status, conv_rows, message_rows
):
    cid = shapes.new_id(rng, "CO", (3, 3, 3), taken)
    conv = shapes.conversation_doc(
        ident=cid, instance_id=instance_id, topic=topic, created=at(t_created), world=world
    )
    messages = [
        shapes.message_doc(
            ident=shapes.new_id(rng, "ME", (3, 3, 3), taken),
            conversation=cid,
            text="Request created.",
            kind="state_change",
            created=at(t_created),
            world=world,
        )
    ]
    if status not in ("draft", "pending"):
        messages.append(
            shapes.message_doc(
                ident=shapes.new_id(rng, "ME", (3, 3, 3), taken),
                conversation=cid,
                text=STATE_TEXT[status],
                kind="state_change",
                created=at(t_updated),
                world=world,
            )
        )
    if rng.random() < 0.15:
        user = world["users"][rng.randrange(len(world["users"]))]
        messages.append(
            shapes.message_doc(
                ident=shapes.new_id(rng, "ME", (3, 3, 3), taken),
                conversation=cid,
                text="Customer contacted by phone.",
                kind="message",
                created=at(t_updated),
                creator={"id": user["id"], "name": user["name"]},
                world=world,
            )
        )
    conv["events"]["updated"]["at"] = messages[-1]["created"]
    from ..common import dumps

    conv_rows.append((cid, conv["created"], conv["events"]["updated"]["at"], instance_id, dumps(conv)))
    for m in messages:
        message_rows.append((m["id"], m["created"], m["created"], cid, m["type"], dumps(m)))


def _template_for(product, kind, status):
    if status == "approved":
        return product_templates(product, "asset", "fulfillment")[0]
    if status == "inquiring":
        return product_templates(product, "asset", "inquire")[0]
    return product_templates(product, "asset", "pending")[0]


def _plans(rng, scale: int) -> list[list[tuple[str, str]]]:
    """Per asset: [(type, status), ...] with N requests in all."""
    statuses = list(LAST_STATUS_WEIGHTS)
    weights = list(LAST_STATUS_WEIGHTS.values())
    forced_types = [
        ["purchase", "change", "suspend", "resume", "cancel"],
        ["purchase", "adjustment"],
        ["purchase", "change"],
    ]
    plans, total, index = [], 0, 0
    while total < scale:
        if index < len(forced_types) and scale >= 20:
            types = list(forced_types[index])
        else:
            types = ["purchase"]
            state = "active"
            n = rng.choices([1, 2, 3, 4, 5], [55, 20, 12, 8, 5])[0]
            while len(types) < n and state != "terminated":
                if state == "active":
                    kind = rng.choices(["change", "suspend", "cancel", "adjustment"], [60, 20, 12, 8])[0]
                else:
                    kind = rng.choices(["resume", "cancel"], [75, 25])[0]
                types.append(kind)
                state = {"suspend": "suspended", "resume": "active", "cancel": "terminated"}.get(kind, state)
        types = types[: scale - total]
        if index < len(statuses) and scale >= 20:
            last = statuses[index]
        else:
            last = rng.choices(statuses, weights)[0]
        plan = [(k, "approved") for k in types[:-1]] + [(types[-1], last)]
        plans.append(plan)
        total += len(plan)
        index += 1
    return plans


# ---------------------------------------------------------------------------------------------
# static documents


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


__all__ = ["seed", "build_world", "ALL"]
