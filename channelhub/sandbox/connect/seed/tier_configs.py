"""Seeded tier configurations and tier config requests.

Each reseller gets configs for 1..3 products; every tier-1 config has its parent's config for the
same product. TCRs (~N/10, min 6) are tier-1 only, so each has a parent configuration; configs
without requests are active.
"""

from __future__ import annotations

from ...common import at
from .. import shapes
from .accounts import Accounts
from .base import SPAN, Seeding, seconds
from .catalog import product_templates
from .conversations import conversation


def seed_tier_configs(s: Seeding, accounts: Accounts) -> None:
    """Tier configs for every reseller and product it sells, and ~N/10 tier config requests (tier-1 only) with
    their conversations."""
    rng = s.rng
    n_tcr = max(6, s.scale // 10)
    configs = _configs(s, accounts)
    per_config = _tcr_counts(rng, configs, accounts.parents, n_tcr)
    status_cycle = iter(shapes.TCR_STATUSES)
    built: dict[str, dict] = {}
    tcr_rows: list[tuple[dict, dict]] = []
    for cfg in configs.values():
        cfg["created"] = rng.uniform(-120 * 86400, SPAN * 0.5)
    # parents first: active, no requests
    for cfg in configs.values():
        if cfg["id"] not in per_config:
            built[cfg["id"]] = _build_tc(s, cfg, "active", cfg["created"] + rng.uniform(3600, 86400))
    for cfg in configs.values():
        n = per_config.get(cfg["id"])
        if not n:
            continue
        parent_cfg = configs[(cfg["account"]["parent"]["id"], cfg["product"]["id"])]
        chain = _TcrChain(s, cfg, built[parent_cfg["id"]], accounts.parents)
        for k in range(n):
            chain.add(k, n, status_cycle, len(tcr_rows))
        built[cfg["id"]] = chain.final_config()
        tcr_rows.extend((d, {}) for d in chain.docs)
    tc_docs = [(built[cfg["id"]], {}) for cfg in configs.values()]
    s.session.put_many("tier_configs", tc_docs)
    s.session.put_many("tier_config_requests", tcr_rows)
    s.flush()
    s.counts.update({"tier_configs": len(tc_docs), "tier_config_requests": len(tcr_rows)})


def _configs(s: Seeding, accounts: Accounts) -> dict[tuple[str, str], dict]:
    """(account id, product id) -> {account, product, level, id}."""
    rng = s.rng
    configs = {}
    for account in accounts.tier2 + accounts.tier1:
        level = 2 if account in accounts.tier2 else 1
        for product in rng.sample(s.products, min(len(s.products), rng.randint(1, 3))):
            configs[(account["id"], product["id"])] = {
                "account": account,
                "product": product,
                "level": level,
                "id": shapes.new_id(rng, "TC", (3, 3, 3), s.taken),
            }
    # every tier-1 config needs its parent's config for the same product
    with_parent = {a["id"]: a for a in accounts.tier1 if a.get("parent")}
    for (acc_id, prod_id), cfg in list(configs.items()):
        account = with_parent.get(acc_id)
        if account and (account["parent"]["id"], prod_id) not in configs:
            parent = accounts.parents[account["parent"]["id"]]
            configs[(parent["id"], prod_id)] = {
                "account": parent,
                "product": cfg["product"],
                "level": 2,
                "id": shapes.new_id(rng, "TC", (3, 3, 3), s.taken),
            }
    return configs


def _tcr_counts(rng, configs, parents, n_tcr) -> dict[str, int]:
    """How many requests each tier-1 config (under a tier-2) gets: one each first, then random."""
    targets = [
        cfg for (acc_id, _), cfg in configs.items() if cfg["level"] == 1 and parents[acc_id].get("parent")
    ]
    per_config: dict[str, int] = {}
    for i in range(n_tcr):
        cfg = targets[i % len(targets)] if i < len(targets) else rng.choice(targets)
        per_config[cfg["id"]] = per_config.get(cfg["id"], 0) + 1
    return per_config


def _build_tc(s: Seeding, cfg, status, updated, open_request=None, values=None) -> dict:
    rng, product = s.rng, cfg["product"]
    scope = f"tier{cfg['level']}"
    params = [
        shapes.tier_param(p, (values or {}).get(p["id"], f"P{rng.randint(100000, 999999)}"))
        for p in product["params"]
        if p["scope"] == scope
    ]
    market = s.world["marketplaces"][0]
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
        by={"id": s.users[0]["id"], "name": s.users[0]["name"]},
    )


class _TcrChain:
    """The requests of one tier config, oldest first: setup, then updates/adjustments; all but
    the last are approved. Tracks the config's status and open request as they go."""

    def __init__(self, s: Seeding, cfg: dict, parent_doc: dict, parents: dict):
        self.s, self.cfg, self.parent_doc, self.parents = s, cfg, parent_doc, parents
        self.scope = f"tier{cfg['level']}"
        self.t = cfg["created"]
        self.tc_status, self.previous, self.open_id = "processing", None, None
        self.docs: list[dict] = []

    def add(self, k: int, n: int, status_cycle, rows_before: int) -> None:
        s, rng, cfg, scope = self.s, self.s.rng, self.cfg, self.scope
        status = "approved"
        if k == n - 1:
            status = next(status_cycle, None) or rng.choice(
                ["approved"] * 5 + ["pending"] * 2 + ["inquiring", "failed", "draft", "tiers_setup"]
            )
        kind = "setup" if k == 0 else ("adjustment" if rng.random() < 0.1 else "update")
        t_created, t_updated = self.t, self.t + rng.uniform(300, 5 * 86400)
        tcr_id = f"TCR-{cfg['id'][3:]}-{k + 1:03d}"
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
        events = self._events(status, t_created, t_updated, rows_before + len(self.docs))
        open_now = status in shapes.OPEN_TCR_STATUSES
        if status == "approved":
            self.tc_status = "active"
        elif open_now:
            self.tc_status, self.open_id = "processing", tcr_id
        snapshot = _build_tc(s, cfg, self.tc_status, t_updated, open_request=tcr_id if open_now else None)
        assignee = ""
        if rng.random() < 0.4:
            u = s.users[rng.randrange(len(s.users))]
            assignee = {"id": u["id"], "name": u["name"]}
        doc = shapes.tcr_doc(
            ident=tcr_id,
            kind=kind,
            status=status,
            configuration=snapshot,
            parent=self.parent_doc,
            created=at(t_created),
            updated=at(t_updated),
            params=params,
            assignee=assignee,
            template=product_templates(cfg["product"], scope, "fulfillment")[0],
            tiers={
                "tier1": shapes.tier_ref(cfg["account"]),
                "tier2": shapes.tier_ref(self.parents[cfg["account"]["parent"]["id"]]),
            },
            events_extra=events,
            reason="Invalid partner data" if status == "failed" else "",
            previous=self.previous,
        )
        self.docs.append(doc)
        conversation(s, tcr_id, f"Tier Config Request {tcr_id}", t_created, t_updated, status)
        if status == "approved":
            self.previous = tcr_id
        self.t = t_updated + rng.uniform(86400, 90 * 86400)

    def _events(self, status: str, t_created: float, t_updated: float, n_before: int) -> dict:
        """`events` beyond created; the first few approved/pending ones went through an inquiry."""
        by = {"id": self.s.users[0]["id"], "name": self.s.users[0]["name"]}
        events = {"updated": {"at": at(t_updated), "by": by}}
        if status == "approved":
            events["approved"] = {"at": at(t_updated), "by": by}
        if status in ("approved", "pending") and (self.s.rng.random() < 0.5 or n_before < 3):
            events["inquired"] = {"at": at(t_created + 60)}  # it went through an inquiry
            events["pended"] = {"at": at(t_created + 120)}
        if status == "inquiring":
            events["inquired"] = {"at": at(t_updated)}
        return events

    def final_config(self) -> dict:
        """The tier config as its last request left it."""
        last = self.docs[-1]
        return _build_tc(
            self.s,
            self.cfg,
            self.tc_status,
            seconds(last["events"]["updated"]["at"]),
            open_request=self.open_id if last["status"] in shapes.OPEN_TCR_STATUSES else None,
        )
