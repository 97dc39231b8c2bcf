"""Deterministic Channel world for a seed and a scale (about `scale` customers).

Same seed + scale -> identical rows: timestamps are EPOCH + seeded offsets, ids come from one
seeded RNG; the one exception is the commitment dates, which lie around the day of the seed
(`commitment_dates`: same seed, scale and day -> identical rows). What it holds:
- the catalog (shapes.CATALOG): 5 products, 11 SKUs, one offer per SKU and plan (COMMITMENT
  annual prepay, FLEXIBLE monthly postpay, TRIAL 14 days, FREE), with seeded offer ids;
- channel partner links, max(4, scale/10), in every state (INVITED, ACTIVE, SUSPENDED, REVOKED);
- customers: ~85% with a Cloud Identity, ~10% under an active/suspended partner link, ~70% with
  a correlationId;
- 0..4 entitlements per provisioned customer, one per product, covering every plan and every
  suspension reason (the first ten are planned so even a small scale has them all), plus a few
  cancelled ones that only live on in the history;
- the history: CREATED for each, then seat changes, renewal changes, suspensions, reactivations
  and cancellations in time order;
- customers held by other resellers or Google, max(8, scale/10), for transfers (seed_transfers.py:
  the first eight are planned cases).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from ..common import EPOCH
from ..store import Session
from . import collections as c
from . import seed_transfers, shapes
from .data import change_key, customer_of, row
from .wire import ACCOUNT, ADMIN_EMAIL, rfc3339

DAY = 24 * 3600
SPAN = 365 * DAY  # customers appear during the first year after the epoch
HORIZON = 400 * DAY  # the seeded "now": nothing seeded happens after it
OTHER_OPERATOR = "ops@reseller.example"
YEAR = 365 * DAY

# what an entitlement slot becomes: (plan, provisioning state, suspension reason)
KINDS = {
    "commitment": ("COMMITMENT", "ACTIVE", None),
    "flexible": ("FLEXIBLE", "ACTIVE", None),
    "trial": ("TRIAL", "ACTIVE", None),
    "free": ("FREE", "ACTIVE", None),
    "gcp": ("FLEXIBLE", "ACTIVE", None),
    "suspended_reseller": ("FLEXIBLE", "SUSPENDED", "RESELLER_INITIATED"),
    "suspended_trial": ("TRIAL", "SUSPENDED", "TRIAL_ENDED"),
    "suspended_renewal": ("COMMITMENT", "SUSPENDED", "RENEWAL_WITH_TYPE_CANCEL"),
    "suspended_tos": ("COMMITMENT", "SUSPENDED", "PENDING_TOS_ACCEPTANCE"),
    "suspended_other": ("FLEXIBLE", "SUSPENDED", "OTHER"),
}
KIND_WEIGHTS = {
    "commitment": 34,
    "flexible": 30,
    "trial": 8,
    "free": 5,
    "gcp": 6,
    "suspended_reseller": 5,
    "suspended_trial": 4,
    "suspended_renewal": 3,
    "suspended_tos": 3,
    "suspended_other": 2,
}
SEATS = [1, 2, 3, 5, 5, 8, 10, 10, 12, 15, 20, 25, 30, 50, 75, 100, 150, 300, 1200]
LINK_STATES = ["ACTIVE", "INVITED", "SUSPENDED", "REVOKED", "ACTIVE", "ACTIVE"]


def seed_day() -> datetime:
    """Midnight UTC of today: what the commitment dates are seeded around."""
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


class CommitmentDates:
    """The commitment periods (startTime, endTime) of the COMMITMENT entitlements, around the
    seed day so renewals are due now whenever the sandbox is seeded: the first three are one
    ending this week, one later in the year and one whose renewal date is past, then about 20%
    end within the week, 10% are past and the rest end 8 to 330 days on; one renewed with
    type cancel (suspended) always ended 1 to 60 days ago. Its own RNG, so the rest of the
    world is what it was; same seed, scale and day -> the same dates."""

    PLANNED = ("week", "later", "past")

    def __init__(self, seed: int, scale: int, day: datetime):
        self.rng = random.Random(f"channel-commitments-{seed}-{scale}")
        self.day = day
        self.count = 0

    def next(self, *, cancelled_renewal: bool = False) -> tuple[str, str]:
        """The next commitment's (startTime, endTime), one year apart."""
        rng = self.rng
        when = self.PLANNED[self.count] if self.count < len(self.PLANNED) else ""
        self.count += 1
        if cancelled_renewal:
            when = "ended"
        elif not when:
            roll = rng.random()
            when = "week" if roll < 0.2 else "past" if roll < 0.3 else "later"
        if when == "week":
            offset = rng.randrange(3600, 7 * DAY - 3600)
        elif when == "later":
            offset = rng.randrange(8 * DAY, 330 * DAY)
        elif when == "past":
            offset = -rng.randrange(DAY, 30 * DAY)
        else:
            offset = -rng.randrange(DAY, 60 * DAY)
        end = self.day + timedelta(seconds=offset)
        return rfc3339(end - timedelta(seconds=YEAR)), rfc3339(end)


def ts(seconds: float) -> str:
    """A seeded timestamp (EPOCH plus `seconds`) in RFC 3339."""
    return rfc3339(EPOCH + timedelta(seconds=int(seconds)))


class Seeder:
    """Builds the rows in memory-light batches; one instance per seed run."""

    def __init__(self, session: Session, seed: int, scale: int, day: datetime | None = None):
        self.session = session
        self.commitments = CommitmentDates(seed, scale, day or seed_day())
        self.rng = random.Random(f"channel-{seed}-{scale}")
        self.scale = scale
        self.seq = 0
        self.changes: list[tuple] = []
        self.offers: list[tuple[dict, shapes.ProductSpec]] = []
        self.cloud_ids: set[str] = set()  # our customers' and partners' (customers held elsewhere get others)

    # -- catalog
    def catalog(self) -> int:
        """Write the products, SKUs and one offer per SKU and plan; returns the number of offers."""
        products, skus, offers = [], [], []
        for spec in shapes.CATALOG:
            products.append(row(c.PRODUCTS, f"products/{spec.id}", shapes.product_doc(spec)))
            for sku in spec.skus:
                sku_doc = shapes.sku_doc(spec, sku)
                skus.append(row(c.SKUS, sku_doc["name"], sku_doc, product=f"products/{spec.id}"))
                for plan in sku.plans:
                    offer = shapes.offer_doc(shapes.alnum(self.rng, 12), spec, sku, plan, ts(-90 * DAY))
                    self.offers.append((offer, spec))
                    offers.append(
                        row(
                            c.OFFERS, offer["name"], offer, sku=sku_doc["name"], product=f"products/{spec.id}"
                        )
                    )
        self.session.insert_raw(c.PRODUCTS.name, products)
        self.session.insert_raw(c.SKUS.name, skus)
        self.session.insert_raw(c.OFFERS.name, sorted(offers))
        return len(offers)

    # -- channel partner links
    def links(self) -> list[str]:
        """Write the channel partner links, cycling through every state; returns the reseller ids of the
        ACTIVE and SUSPENDED ones (customers may sit under them)."""
        n = max(4, self.scale // 10)
        rows, usable = [], []
        for i in range(n):
            ci = "C0" + shapes.alnum(self.rng, 7).lower()
            self.cloud_ids.add(ci)
            created = self.rng.randrange(-60 * DAY, SPAN)
            state = LINK_STATES[i % len(LINK_STATES)]
            updated = created if state == "INVITED" else created + self.rng.randrange(DAY, 30 * DAY)
            doc = {
                "name": f"{ACCOUNT}/channelPartnerLinks/{ci}",
                "resellerCloudIdentityId": ci,
                "linkState": state,
                "inviteLinkUri": f"https://partners.cloud.google.com/registration/linkadmin?token={shapes.alnum(self.rng, 24)}",
                "createTime": ts(created),
                "updateTime": ts(updated),
                "publicId": str(self.rng.randrange(10**11, 10**12)),
                "channelPartnerCloudIdentityInfo": {
                    "customerType": "DOMAIN",
                    "primaryDomain": f"partner-{i + 1}.example",
                    "isDomainVerified": True,
                    "adminConsoleUri": f"https://admin.google.com/?authuser=partner-{i + 1}.example",
                },
            }
            rows.append(row(c.LINKS, doc["name"], doc))
            if state in ("ACTIVE", "SUSPENDED"):
                usable.append(ci)
        self.session.insert_raw(c.LINKS.name, sorted(rows))
        return usable

    # -- customers and their entitlements
    def customers(self, partners: list[str]) -> tuple[int, int]:
        """Write the customers, their entitlements and the whole change history; returns (customers,
        entitlements)."""
        n = max(10, self.scale)
        customers, entitlements = [], []
        planned = list(KINDS)
        for i in range(n):
            created = self.rng.randrange(SPAN)
            customer_id = "S" + shapes.alnum(self.rng, 10)
            doc = shapes.customer_doc(self.rng, customer_id, i + 1, ts(created))
            roll = self.rng.random()
            if roll < 0.85:
                doc["cloudIdentityId"] = "C0" + shapes.alnum(self.rng, 7).lower()
                self.cloud_ids.add(doc["cloudIdentityId"])
                doc["cloudIdentityInfo"] = shapes.cloud_identity_info(doc, verified=self.rng.random() < 0.9)
            if partners and self.rng.random() < 0.1:
                doc["channelPartnerId"] = self.rng.choice(partners)
            if self.rng.random() < 0.7:
                doc["correlationId"] = f"CRM-{self.rng.randrange(10**6):06d}"
            if "cloudIdentityId" in doc:
                for entitlement in self.entitlements_for(doc, created, planned):
                    entitlements.append(entitlement)
            customers.append(row(c.CUSTOMERS, doc["name"], doc))
        self.session.insert_raw(c.CUSTOMERS.name, sorted(customers))
        self.session.insert_raw(c.ENTITLEMENTS.name, sorted(entitlements))
        self.session.insert_raw(c.CHANGES.name, self.changes)
        self.session.set_meta("channel", {"seq": self.seq})
        return n, len(entitlements)

    def entitlements_for(self, customer: dict, created: int, planned: list[str]) -> list[tuple]:
        """The rows of a provisioned customer's 0..4 entitlements, one product each; the planned kinds come
        first."""
        count = self.rng.choices([0, 1, 2, 3, 4], weights=[15, 35, 30, 15, 5])[0]
        used: set[str] = set()
        out = []
        region = customer["orgPostalAddress"]["regionCode"]
        for _ in range(count):
            kind = planned.pop(0) if planned else self.weighted_kind()
            offer = self.pick_offer(kind, used, region)
            if offer is None:
                continue
            used.add(offer["sku"]["product"]["name"])
            start = created + self.rng.randrange(DAY, 60 * DAY)
            doc = self.entitlement(customer, offer, kind, start)
            if doc is not None:
                out.append(
                    row(c.ENTITLEMENTS, doc["name"], doc, customer=customer["name"], sku=offer["sku"]["name"])
                )
        return out

    def weighted_kind(self) -> str:
        """A kind of entitlement slot drawn by KIND_WEIGHTS."""
        return self.rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]

    def pick_offer(self, kind: str, used: set[str], region: str) -> dict | None:
        """A random offer of the kind's plan, of a product the customer does not have yet, sold in its region;
        None if there is none."""
        plan = KINDS[kind][0]
        gcp = f"products/{shapes.GCP_PRODUCT}"
        candidates = [
            offer
            for offer, spec in self.offers
            if offer["plan"]["paymentPlan"] == plan
            and (offer["sku"]["product"]["name"] == gcp) == (kind == "gcp")
            and offer["sku"]["product"]["name"] not in used
            and (not spec.regions or region in spec.regions)
        ]
        return self.rng.choice(candidates) if candidates else None

    def entitlement(self, customer: dict, offer: dict, kind: str, start: int) -> dict | None:
        """One entitlement and its history; None when it was cancelled (history only)."""
        plan, state, reason = KINDS[kind]
        rng = self.rng
        seats = shapes.TRIAL_SEATS if plan == "TRIAL" else rng.choice(SEATS)
        first_seats = seats if rng.random() < 0.7 else max(1, seats // 2)
        name = f"{customer['name']}/entitlements/{shapes.alnum(rng, 10)}"
        doc = {
            "name": name,
            "createTime": ts(start),
            "updateTime": ts(start),
            "offer": offer["name"],
            "provisioningState": "ACTIVE",
            "provisionedService": shapes.provisioned_service(rng, offer),
            "parameters": shapes.seat_parameters(offer, first_seats, rng.randint(0, first_seats)),
        }
        if plan == "COMMITMENT":
            commitment_start, commitment_end = self.commitments.next(
                cancelled_renewal=reason == "RENEWAL_WITH_TYPE_CANCEL"
            )
            doc["commitmentSettings"] = {
                "startTime": commitment_start,
                "endTime": commitment_end,
                "renewalSettings": {
                    "enableRenewal": reason != "RENEWAL_WITH_TYPE_CANCEL" and rng.random() < 0.85,
                    "resizeUnitCount": False,
                    "paymentPlan": "COMMITMENT",
                    "paymentCycle": {"duration": 1, "periodType": "YEAR"},
                },
            }
        if plan == "TRIAL":
            doc["trialSettings"] = {"trial": True, "endTime": ts(start + shapes.TRIAL_DAYS * DAY)}
        if plan in ("COMMITMENT", "FLEXIBLE") and rng.random() < 0.5:
            doc["purchaseOrderId"] = f"PO-{rng.randrange(10**5):05d}"
        operator = ADMIN_EMAIL if rng.random() < 0.8 else OTHER_OPERATOR
        when = start
        self.record(doc, "CREATED", when, operator)
        if first_seats != seats:
            when += rng.randrange(DAY, 30 * DAY)
            doc["parameters"] = shapes.seat_parameters(offer, seats, rng.randint(0, seats))
            kind_of_change = "COMMITMENT_CHANGED" if plan == "COMMITMENT" else "LICENSE_CAP_CHANGED"
            self.record(doc, kind_of_change, when, operator)
        if plan == "COMMITMENT" and reason is None and rng.random() < 0.2:
            when += rng.randrange(DAY, 30 * DAY)
            settings = doc["commitmentSettings"]["renewalSettings"]
            settings["enableRenewal"] = not settings["enableRenewal"]
            self.record(doc, "RENEWAL_SETTING_CHANGED", when, operator)
        if reason is None and kind in ("commitment", "flexible") and rng.random() < 0.08:
            when += rng.randrange(DAY, 20 * DAY)
            self.record(doc, "SUSPENDED", when, operator, ("suspensionReason", "RESELLER_INITIATED"))
            when += rng.randrange(DAY, 10 * DAY)
            self.record(doc, "ACTIVATED", when, operator, ("activationReason", "RESELLER_REVOKED_SUSPENSION"))
        if reason is not None:
            when = self.suspend(doc, reason, start, when, operator)
        if reason is None and kind in ("commitment", "flexible") and rng.random() < 0.05:
            when += rng.randrange(DAY, 30 * DAY)
            self.record(doc, "CANCELLED", when, operator, ("cancellationReason", "SERVICE_TERMINATED"))
            return None
        doc["updateTime"] = ts(when)
        return doc

    def suspend(self, doc: dict, reason: str, start: int, when: int, operator: str) -> int:
        """Suspend the entitlement for `reason` at the time that reason implies (trial end, renewal date,
        ...); returns that time."""
        if reason == "TRIAL_ENDED":
            when = max(when, start + shapes.TRIAL_DAYS * DAY)
        elif reason == "RENEWAL_WITH_TYPE_CANCEL":
            when = max(when, start + 365 * DAY)
        elif reason == "PENDING_TOS_ACCEPTANCE":
            when = start  # the customer never accepted the terms
        else:
            when += self.rng.randrange(DAY, 20 * DAY)
        doc["provisioningState"] = "SUSPENDED"
        doc["suspensionReasons"] = [reason]
        reseller = reason == "RESELLER_INITIATED"
        self.record(doc, "SUSPENDED", when, operator if reseller else "", ("suspensionReason", reason))
        return when

    def record(self, entitlement: dict, change_type: str, when: int, operator: str, reason=None) -> None:
        """Add an EntitlementChange (capped at HORIZON; SYSTEM when there is no operator) with the
        entitlement's parameters as they are now."""
        when = min(when, HORIZON)
        change = shapes.change_doc(
            entitlement,
            change_type,
            ts(when),
            operator=operator,
            operator_type="RESELLER" if operator else "SYSTEM",
            reason=reason,
        )
        change["parameters"] = [dict(p) for p in entitlement["parameters"]]
        self.seq += 1
        key = change_key(change["createTime"], self.seq)
        self.changes.append(row(c.CHANGES, key, change, customer=customer_of(entitlement["name"])))


def seed(session: Session, seed_value: int, scale: int, day: datetime | None = None) -> dict:
    """Fill the Channel collections for (seed, scale), deterministically (the commitment dates
    around `day`, today by default); returns counts."""
    seeder = Seeder(session, seed_value, scale, day)
    offers = seeder.catalog()
    partners = seeder.links()
    customers, entitlements = seeder.customers(partners)
    transferable = seed_transfers.seed(session, seed_value, scale, seeder.cloud_ids)
    return {
        "customers": customers,
        "entitlements": entitlements,
        "entitlement_changes": len(seeder.changes),
        "offers": offers,
        "channel_partner_links": max(4, scale // 10),
        "transferable_customers": transferable,
    }
