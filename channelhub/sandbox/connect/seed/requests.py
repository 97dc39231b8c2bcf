"""Seeded assets and their fulfillment requests.

Each asset has 1..5 requests: purchase first, then change/suspend/resume/cancel/adjustment as the
asset's state allows; earlier requests are closed (approved), the last one may be open. Every
request status and type is present (the first assets are planned to cover them when N >= 20).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...common import at
from .. import shapes
from .accounts import Accounts
from .base import BATCH, SPAN, Seeding, row, seconds
from .catalog import product_templates
from .conversations import conversation

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
CLOSED = ("approved", "failed", "revoked")
APPROVED_ASSET_STATUS = {
    "purchase": "active",
    "suspend": "suspended",
    "resume": "active",
    "cancel": "terminated",
}


@dataclass
class _Asset:
    """One asset while its requests are drawn: what the next request starts from."""

    ident: str
    product: dict
    customer: dict
    market: dict
    connection: dict
    ext_id: str
    ext_uid: str
    tiers: dict
    migration: bool
    created: float
    quantities: dict
    values: dict
    status: str = "processing"
    previous_approved: str | None = None
    t: float = 0.0  # when the next request is created
    params: list = field(default_factory=list)  # the last request's asset params

    def doc(self, *, status, updated, items, params) -> dict:
        return shapes.asset_doc(
            ident=self.ident,
            status=status,
            external_id=self.ext_id,
            external_uid=self.ext_uid,
            product=self.product,
            connection=self.connection,
            created=at(self.created),
            updated=at(updated),
            items=items,
            params=params,
            tiers=self.tiers,
            marketplace=self.market,
            contract=None,
            external_name=f"{self.customer['name']} {self.product['name']}",
        )


def seed_requests(s: Seeding, accounts: Accounts) -> None:
    """N requests over ~N/1.7 assets, with their conversations; flushed every BATCH requests."""
    s.counts.update({"requests": 0, "assets": 0})
    for plan_index, plan in enumerate(_plans(s.rng, s.scale)):
        asset = _new_asset(s, accounts, plan_index)
        for index, (kind, status) in enumerate(plan):
            _seed_request(s, asset, index, kind, status)
        updated = max(seconds(s.request_rows[-1][2]), asset.created)
        final_params = [dict(p, value_error="") for p in asset.params]
        items = shapes.asset_items(asset.product, asset.quantities)
        doc = asset.doc(status=asset.status, updated=updated, items=items, params=final_params)
        s.asset_rows.append(row("assets", s.session, doc))
        s.counts["assets"] += 1
        if len(s.request_rows) >= BATCH:
            s.flush()
    s.flush()


def _new_asset(s: Seeding, accounts: Accounts, plan_index: int) -> _Asset:
    rng, products, world = s.rng, s.products, s.world
    product = products[rng.randrange(len(products) - (1 if len(products) > 4 else 0))]
    customer = rng.choice(accounts.customers)
    market = world["marketplaces"][rng.randrange(len(world["marketplaces"]))]
    connection = product["connections"][0 if rng.random() < 0.9 else 1]
    asset_id = shapes.new_id(rng, "AS", (4, 4, 4), s.taken)
    ext_id, ext_uid = str(rng.randint(1000000, 9999999)), shapes.uuid(rng)
    tiers = accounts.tiers_of(customer)
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
    return _Asset(
        ident=asset_id,
        product=product,
        customer=customer,
        market=market,
        connection=connection,
        ext_id=ext_id,
        ext_uid=ext_uid,
        tiers=tiers,
        migration=migration,
        created=created,
        quantities=quantities,
        values=values,
        t=created,
    )


def _seed_request(s: Seeding, a: _Asset, index: int, kind: str, status: str) -> None:
    """The asset's request number `index`; moves the asset on (status, quantities, time)."""
    rng = s.rng
    t_created = a.t
    closed = status in CLOSED
    t_updated = t_created + (rng.uniform(60, 3 * 86400) if closed or status != "draft" else 0)
    if rng.random() < 0.05 and s.request_rows:
        # a batch import: same update second as the previous request (keyset ties)
        t_updated = max(t_created, seconds(s.request_rows[-1][2]))
    old = dict(a.quantities)
    if kind == "change":
        for item in a.product["items"][: rng.randint(1, len(a.product["items"]))]:
            a.quantities[item["id"]] = max(1, a.quantities.get(item["id"], 0) + rng.randint(-5, 15))
    errors = {}
    if status == "inquiring":
        for pid_ in rng.sample(["tenant_id", "edition", "admin_email"], rng.randint(1, 2)):
            errors[pid_] = f"Please provide a valid {pid_.replace('_', ' ')}."
    params = _request_params(a, status, errors)
    after = _status_after(a.status, kind, status)
    snapshot = a.doc(
        status=after if closed else a.status,
        updated=t_updated,
        items=shapes.asset_items(a.product, a.quantities, old if kind == "change" else None),
        params=params,
    )
    snapshot.pop("external_name")
    template = _template_for(a.product, kind, status)
    rid = f"PR-{a.ident[3:]}-{index + 1:03d}"
    assignee = ""
    if status not in ("draft",) and rng.random() < 0.45:
        assignee = dict(s.users[rng.randrange(len(s.users))])
    doc = shapes.request_doc(
        ident=rid,
        kind=kind,
        status=status,
        asset=snapshot,
        created=at(t_created),
        updated=at(t_updated),
        assignee=assignee,
        template=template,
        marketplace=a.market,
        reason="Customer cancelled the order" if status == "failed" else "",
        note="Migrated subscription" if a.migration and kind == "purchase" else "",
        answered=status == "pending" and rng.random() < 0.2,
        previous=a.previous_approved if kind != "purchase" else None,
        activation_key=template["message"] if status == "approved" and template else "",
    )
    s.request_rows.append(row("requests", s.session, doc))
    s.counts["requests"] += 1
    conversation(s, rid, f"Fulfillment Request {rid}", t_created, t_updated, status)
    if status == "approved":
        a.previous_approved = rid
    a.status = after
    a.params = params
    a.t = t_updated + rng.uniform(86400, 60 * 86400)


def _request_params(a: _Asset, status: str, errors: dict) -> list[dict]:
    """The asset params as the request shows them: fulfillment params stay empty until the asset
    was first approved; params in error are empty with their error."""
    params = []
    for pdef in a.product["params"]:
        if pdef["scope"] != "asset":
            continue
        v = a.values[pdef["id"]]
        if pdef["phase"] == "fulfillment" and not (status == "approved" or a.status != "processing"):
            v = {"value": ""}
        if pdef["id"] in errors:
            v = {"value": ""}
        params.append(shapes.asset_param(pdef, v, errors.get(pdef["id"], "")))
    return params


def _status_after(before: str, kind: str, status: str) -> str:
    """The asset's status once a request of `kind` reached `status`."""
    if status == "approved":
        return APPROVED_ASSET_STATUS.get(kind, before)
    if status == "failed" and kind == "purchase":
        return "terminated"
    return before


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
            types = _random_types(rng)
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


def _random_types(rng) -> list[str]:
    """A purchase and what may follow it (nothing after a cancel)."""
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
    return types
