"""The seeded customers held elsewhere (`ch_foreign`, transfers.py): n = max(8, scale // 10), from
their own RNG (so the rest of the seed is the same as without them), with Cloud Identity ids
"C0f" + 6 hex that none of our customers has, domains `<org>-x<i>.example` (ours end in
`-<i>.example`) and auth tokens drawn from the seed.

The first eight are planned, so every case exists at any scale:
1. all eligible, at another reseller: Workspace Business Standard (COMMITMENT, 25 seats) and
   Google Voice Standard (FLEXIBLE, 10 seats), region US;
2. Workspace Business Starter suspended at the old reseller (SKU_SUSPENDED) beside an eligible
   Cloud Identity Premium;
3. a Google Meet hardware license, a product our account is not authorized for
   (CHANNEL_PARTNER_NOT_AUTHORIZED_FOR_SKU), beside an eligible Workspace Enterprise Standard;
4. Chrome Enterprise Upgrade, whose terms we have not accepted (PENDING_TOS_ACCEPTANCE with the
   default `tos_pending_products` knob), beside an eligible Workspace Business Standard;
5. Cloud Identity Free (FREE: SKU_NOT_ELIGIBLE, free editions are not transferred) beside an
   eligible Workspace Business Starter that carries a legacySku (G Suite Basic);
6. eligible Workspace Business Standard, but the domain is not verified: a transfer fails at
   completion (FAILED_PRECONDITION / CONDITION_NOT_MET);
7. at Google direct (owner "google"): eligible Workspace Business Plus, FLEXIBLE, 30 seats;
8. a small team in Australia: eligible Workspace Business Starter, FLEXIBLE, 3 seats, and Google
   Voice Starter bought abroad (eligible, but Voice is not sold in AU: listTransferableOffers
   lists no offer for it).
The rest are drawn: 1-3 products of the catalog sold in their region (one a Meet hardware
license now and then), mostly at other resellers, a few suspended or unverified.
"""

from __future__ import annotations

import random

from ..store import Session
from . import collections as c
from . import shapes
from .data import row
from .transfers import OTHER_RESELLER, OTHER_SKUS

WORKSPACE = next(p for p in shapes.CATALOG if p.id == "Google-Workspace")
LEGACY_BASIC = shapes.sku_doc(
    WORKSPACE, shapes.SkuSpec("Google-Apps-For-Business", "G Suite Basic", "6.00", ("FLEXIBLE",))
)
MEET_HARDWARE = next(iter(OTHER_SKUS))

WS = "products/Google-Workspace/skus/"
STARTER, STANDARD, PLUS, ENTERPRISE = (
    WS + s for s in ("1010020027", "1010020028", "1010020025", "1010020026")
)
VOICE_STANDARD = "products/Google-Voice/skus/1010330004"
VOICE_STARTER = "products/Google-Voice/skus/1010330003"
CI_PREMIUM = "products/Cloud-Identity/skus/1010050001"
CI_FREE = "products/Cloud-Identity/skus/1010010001"
CHROME = "products/Google-Chrome/skus/1010400001"


def held(sku: str, seats: int, plan: str, *, suspended: bool = False, legacy: dict | None = None) -> dict:
    """One entitlement as its current holder has it."""
    doc = {"sku": sku, "seats": seats, "paymentPlan": plan, "suspended": suspended}
    if legacy:
        doc["legacySku"] = legacy
    return doc


# (organisation, region, owner, domain verified, entitlements) of the eight planned cases
PLANNED = [
    (
        "Granite Logistics",
        "US",
        "reseller",
        True,
        [held(STANDARD, 25, "COMMITMENT"), held(VOICE_STANDARD, 10, "FLEXIBLE")],
    ),
    (
        "Harbor Dental",
        "GB",
        "reseller",
        True,
        [held(STARTER, 12, "FLEXIBLE", suspended=True), held(CI_PREMIUM, 12, "FLEXIBLE")],
    ),
    (
        "Orbit Studios",
        "DE",
        "reseller",
        True,
        [held(MEET_HARDWARE, 4, "COMMITMENT"), held(ENTERPRISE, 40, "FLEXIBLE")],
    ),
    ("Cedar Labs", "FR", "reseller", True, [held(CHROME, 50, "COMMITMENT"), held(STANDARD, 12, "FLEXIBLE")]),
    (
        "Maple Bakery",
        "CA",
        "reseller",
        True,
        [held(CI_FREE, 20, "FREE"), held(STARTER, 15, "FLEXIBLE", legacy=LEGACY_BASIC)],
    ),
    ("Nimbus Legal", "ES", "reseller", False, [held(STANDARD, 8, "FLEXIBLE")]),
    ("Summit Health", "US", "google", True, [held(PLUS, 30, "FLEXIBLE")]),
    (
        "Iris Travel",
        "AU",
        "reseller",
        True,
        [held(STARTER, 3, "FLEXIBLE"), held(VOICE_STARTER, 3, "FLEXIBLE")],
    ),
]
SEATS = [2, 3, 5, 8, 10, 15, 20, 25, 40, 60, 120]


class ForeignSeeder:
    """Builds the foreign records for one seed run."""

    def __init__(self, seed: int, scale: int, taken_ids: set[str]):
        self.rng = random.Random(f"channel-transfers-{seed}-{scale}")
        self.n = max(8, scale // 10)
        self.taken = set(taken_ids)

    def cloud_id(self) -> str:
        """A fresh "C0f" + 6 hex Cloud Identity id, none of ours or one already drawn."""
        while True:
            ident = f"C0f{self.rng.randrange(16**6):06x}"
            if ident not in self.taken:
                self.taken.add(ident)
                return ident

    def record(self, index: int, org: str, region: str, owner: str, verified: bool, ents: list[dict]) -> dict:
        """One foreign customer: its Cloud Identity, domain, admin, holder, token and entitlements."""
        domain = f"{org.lower().replace(' ', '-')}-x{index + 1}.example"
        doc = {
            "cloudIdentityId": self.cloud_id(),
            "domain": domain,
            "orgDisplayName": org,
            "regionCode": region,
            "primaryAdminEmail": f"admin@{domain}",
            "owner": owner,
            "authToken": shapes.alnum(self.rng, 24),
            "domainVerified": verified,
            "entitlements": ents,
        }
        if owner == "reseller":
            doc["resellerName"] = OTHER_RESELLER
        return doc

    def drawn(self, index: int) -> dict:
        """A foreign customer drawn at random: 1-3 products sold in its region."""
        rng = self.rng
        org = f"{rng.choice(shapes.ORG_WORDS)} {rng.choice(shapes.ORG_KINDS)}"
        region = rng.choice(shapes.PLACES)[0]
        products = [
            p for p in shapes.CATALOG if p.id != shapes.GCP_PRODUCT and (not p.regions or region in p.regions)
        ]
        ents = []
        for spec in rng.sample(products, rng.randint(1, min(3, len(products)))):
            sku = rng.choice(spec.skus)
            plan = rng.choice([p for p in sku.plans if p != "TRIAL"])
            suspended = rng.random() < 0.06
            ents.append(
                held(f"products/{spec.id}/skus/{sku.id}", rng.choice(SEATS), plan, suspended=suspended)
            )
        if rng.random() < 0.08:
            ents.append(held(MEET_HARDWARE, rng.randint(1, 6), "COMMITMENT"))
        owner = "google" if rng.random() < 0.2 else "reseller"
        return self.record(index, org, region, owner, rng.random() < 0.9, ents)

    def rows(self) -> list[tuple]:
        """Every foreign record as a prepared row, in seed order (`seq`)."""
        out = []
        for index in range(self.n):
            if index < len(PLANNED):
                doc = self.record(index, *PLANNED[index])
            else:
                doc = self.drawn(index)
            out.append(row(c.FOREIGN, doc["cloudIdentityId"], doc, seq=index + 1))
        return out


def seed(session: Session, seed_value: int, scale: int, taken_ids: set[str]) -> int:
    """Write the foreign customers for (seed, scale); returns how many."""
    rows = ForeignSeeder(seed_value, scale, taken_ids).rows()
    session.insert_raw(c.FOREIGN.name, rows)
    return len(rows)
