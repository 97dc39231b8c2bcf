"""The Google Cloud Channel streams of the fulfillment mirror, in the order `sync --all` runs them.

Channel has no update-time filter on its lists, so everything but the history is read whole
each run (page tokens, through empty pages) and **reconciled** after a complete pass: rows
no longer listed get `gone_at`/`gone_reason`, rows listed again are revived (DESIGN.md §2,
`channelhub.sync.reconcile.ReconcilingStream`: each page stamps the run on the rows it
listed, and completing a scope is one UPDATE). Entitlements can only be listed per customer,
so the entitlement streams cost one call per customer (N+1, channel-api.md §2). The history
(`listEntitlementChanges`) is incremental by create time, with the pass's start as cursor.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import ClassVar

from django.db.models import Q, QuerySet
from django.utils import timezone

from channelhub.models import GoneReason
from channelhub.sync.reconcile import ReconcilingStream, Scope
from channelhub.sync.streams import Batch, Row, RunContext, Stream
from channelhub.upstream.errors import UpstreamNotFound, UpstreamRejected, UpstreamUnauthorized
from fulfillment.channel.models import (
    ChannelPartnerLink,
    ChannelProduct,
    Customer,
    Entitlement,
    EntitlementChange,
    Offer,
    Sku,
)

from . import mappers
from .choices import ChangeType

logger = logging.getLogger(__name__)

# A cancellation for one of these reasons means the entitlement left with its customer.
TRANSFER_REASONS = frozenset({"RELATIONSHIP_ENDED", "PARTIAL_TRANSFER"})
CURSOR_EVERY = 50  # customers between cursor-only checkpoints of the history stream


def rfc3339(when: datetime) -> str:
    """A time as Channel's list filters take it: UTC, RFC 3339 with microseconds."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ChannelStream(Stream):
    """Base of the Channel streams: the Channel client."""

    upstream = "channel"

    def pages(
        self, ctx: RunContext, model, path: str, items_key: str, rows_of, params=None
    ) -> Iterator[Batch]:
        """One batch per non-empty page of a list (the engine stamps the run on its rows)."""
        for page in ctx.client.iter_pages(path, items_key, page_size=ctx.page_size, params=params):
            rows = rows_of([p for p in page.items if isinstance(p, dict) and p.get("name")])
            if rows:
                yield Batch(writes=[(model, rows)], fetched=len(rows))


class ListingStream(ReconcilingStream, ChannelStream):
    """One account-wide list read whole and reconciled: path, items key, mapper, scope."""

    path = ""  # with {account}
    items_key = ""
    params: ClassVar[dict[str, str]] = {}
    gone_reason = GoneReason.DELETED

    def scope(self, account: str) -> QuerySet:
        """The rows a complete pass of the list covers: the whole table unless a subclass narrows it."""
        return self.model.objects.all()

    def rows(self, payloads: list[dict]) -> list[Row]:
        """A page's payloads as upsert rows (name, mapped fields, payload)."""
        return [(p["name"], self.mapper(p), p) for p in payloads]

    def batches(self, ctx: RunContext) -> Iterator[Batch]:
        """Every page of the list, its path and params filled in with our account."""
        path = self.path.format(account=ctx.client.account)
        params = {k: v.format(account=ctx.client.account) for k, v in self.params.items()}
        yield from self.pages(ctx, self.model, path, self.items_key, self.rows, params=params)

    def scopes(self, ctx: RunContext):
        """The account's part of the table (`scope`)."""
        return [Scope(self.scope(ctx.client.account), self.gone_reason)]


class ChannelProductStream(ListingStream):
    """Products, then every product's SKUs in one list (`products/-/skus`)."""

    name = "channel.products"
    description = "Cloud Channel products and their SKUs"
    model = ChannelProduct
    path = "products"
    items_key = "products"
    params: ClassVar[dict[str, str]] = {"account": "{account}"}  # required per the method's description
    schedule_minutes = 60
    schedule_words = "every hour"

    mapper = staticmethod(mappers.map_channel_product)

    def batches(self, ctx):
        """The products' pages, then the SKUs of every product in one list."""
        yield from super().batches(ctx)
        account = ctx.client.account

        def sku_rows(payloads):
            return [(p["name"], mappers.map_sku(p), p) for p in payloads]

        yield from self.pages(ctx, Sku, "products/-/skus", "skus", sku_rows, params={"account": account})

    def scopes(self, ctx):
        """The products, then every SKU (one list of them all)."""
        return [*super().scopes(ctx), Scope(Sku.objects.all(), self.gone_reason)]


class OfferStream(ListingStream):
    """Our account's offers (`accounts/A/offers`), read whole and reconciled."""

    name = "channel.offers"
    description = "Cloud Channel offers of our account"
    model = Offer
    path = "{account}/offers"
    items_key = "offers"
    schedule_minutes = 60
    schedule_words = "every hour"

    mapper = staticmethod(mappers.map_offer)

    def scope(self, account):
        """Our account's offers."""
        return Offer.objects.filter(pk__startswith=f"{account}/")


class CustomerStream(ListingStream):
    """Our own customers (`accounts/A/customers`); partners' customers come with their links."""

    name = "channel.customers"
    description = "Cloud Channel customers"
    model = Customer
    path = "{account}/customers"
    items_key = "customers"
    schedule_minutes = 15
    schedule_words = "every 15 minutes"

    mapper = staticmethod(mappers.map_customer)

    def scope(self, account):
        """Our own customers (not partners' customers)."""
        return Customer.objects.filter(pk__startswith=f"{account}/customers/")


class ChannelPartnerLinkStream(ListingStream):
    """Partner links (distributors), then each link's customers.

    A link whose customers cannot be listed (an invitation not yet accepted, say) is skipped
    and its customers are left as they are: only links listed whole are reconciled.
    """

    name = "channel.partner_links"
    description = "Cloud Channel partner links and their customers"
    model = ChannelPartnerLink
    path = "{account}/channelPartnerLinks"
    items_key = "channelPartnerLinks"
    params: ClassVar[dict[str, str]] = {"view": "FULL"}  # BASIC leaves out the partner's domain
    schedule_minutes = 30
    schedule_words = "every 30 minutes"

    mapper = staticmethod(mappers.map_channel_partner_link)

    def scope(self, account):
        """Our account's partner links."""
        return ChannelPartnerLink.objects.filter(pk__startswith=f"{account}/")

    def batches(self, ctx):
        """The links, then each link's customers; a link whose customers upstream refuses is skipped."""
        yield from super().batches(ctx)
        listed = ctx.extra.setdefault("links_listed", set())
        # Every page of links is committed (and stamped) by now.
        links = self.listed(ctx, ChannelPartnerLink.objects.all()).order_by("pk").values_list("pk", flat=True)
        for link in list(links):

            def rows(payloads, link=link):
                return [(p["name"], mappers.map_customer(p, partner_link=link), p) for p in payloads]

            try:
                yield from self.pages(ctx, Customer, f"{link}/customers", "customers", rows)
            except UpstreamUnauthorized:
                raise
            except UpstreamRejected as exc:
                logger.info("sync %s: customers of %s not listed (%s)", self.name, link, exc)
                continue
            listed.add(link)

    def scopes(self, ctx):
        """The links, then the customers of the links whose customers were listed whole."""
        yield from super().scopes(ctx)
        # The links are reconciled by now: customers under a link listed whole, or under a
        # link that is gone altogether.
        gone_links = self.scope(ctx.client.account).filter(gone_at__isnull=False).values("pk")
        under = Q(partner_link_id__in=ctx.extra.get("links_listed", set())) | Q(
            partner_link_id__in=gone_links
        )
        yield Scope(Customer.objects.filter(under, pk__contains="/channelPartnerLinks/"), GoneReason.DELETED)


class EntitlementStream(ReconcilingStream, ChannelStream):
    """Every customer's entitlements, customer by customer (N+1 calls), reconciled.

    Channel has no cancelled state: a cancelled or transferred entitlement simply stops being
    listed. Each one that vanished is looked up in its change history: a CANCELLED change
    means "cancelled" (or "transferred" for RELATIONSHIP_ENDED / PARTIAL_TRANSFER); no change
    while the customer itself is gone means "transferred"; otherwise "unknown". A customer
    deleted while the run pages (its listing 404s) is skipped, not a failure.
    """

    name = "channel.entitlements"
    description = "Cloud Channel entitlements (per customer)"
    model = Entitlement
    schedule_minutes = 15
    schedule_words = "every 15 minutes"

    def scope(self, account: str) -> QuerySet:
        """The entitlements of our own customers (every one a pass lists)."""
        return Entitlement.objects.filter(pk__startswith=f"{account}/customers/")

    def batches(self, ctx: RunContext) -> Iterator[Batch]:
        """Each customer's entitlements, then the history of those no longer listed, to say why they went."""
        client = ctx.client
        account = client.account
        customers = [
            c
            for c in client.iter_all(f"{account}/customers", "customers", page_size=ctx.page_size)
            if c.get("name")
        ]
        names = ctx.extra["customer_names"] = {}
        offers = _Offers(client)
        for index, customer in enumerate(customers):
            cname = customer["name"]
            org = customer.get("orgDisplayName") or ""
            try:
                for page in client.iter_pages(
                    f"{cname}/entitlements", "entitlements", page_size=ctx.page_size
                ):
                    payloads = [p for p in page.items if isinstance(p, dict) and p.get("name")]
                    rows = [
                        (
                            p["name"],
                            mappers.map_entitlement(p, customer_name=org, offer=offers.get(p.get("offer"))),
                            p,
                        )
                        for p in payloads
                    ]
                    if rows:
                        yield Batch(
                            writes=[(Entitlement, rows)],
                            fetched=len(rows),
                            remaining=len(customers) - index - 1,
                        )
            except UpstreamNotFound:
                logger.info("sync %s: customer %s vanished while listing; skipped", self.name, cname)
                continue
            names[cname] = org

        # Why did the ones not listed go? Read their history now, outside any transaction
        # (every page is committed, so the stamps say what was listed).
        verdicts = ctx.extra["gone_reasons"] = {}
        history: list[Row] = []
        gone = self.vanished(ctx, self.scope(account)).order_by("pk").values_list("pk", flat=True)
        for name in list(gone):
            customer_listed = mappers.customer_of(name) in names
            changes: list[dict] = []
            if customer_listed:
                try:
                    changes = list(
                        client.iter_all(f"{name}:listEntitlementChanges", "entitlementChanges", page_size=50)
                    )
                except UpstreamNotFound:
                    changes = []
                history += [(mappers.change_key(c), mappers.map_entitlement_change(c), c) for c in changes]
            if not changes:
                changes = list(
                    EntitlementChange.objects.filter(entitlement_id=name).values_list("payload", flat=True)
                )
            verdicts[name] = gone_reason(changes, customer_listed=customer_listed)
        if history:
            yield Batch(writes=[(EntitlementChange, history)], fetched=0, remaining=0)

    def scopes(self, ctx: RunContext):
        """Our customers' entitlements, with the reasons their history confirmed."""
        verdicts = ctx.extra.get("gone_reasons", {})
        return [Scope(self.scope(ctx.client.account), GoneReason.UNKNOWN, verdicts)]

    def complete(self, ctx: RunContext) -> int:
        """Reconcile, then carry renamed customers' names onto their entitlements."""
        changed = super().complete(ctx)
        renamed = self._rename(ctx.extra.get("customer_names", {}))
        if renamed:
            logger.info("sync %s: %d renamed", self.name, renamed)
        return changed + renamed

    @staticmethod
    def _rename(names: dict[str, str]) -> int:
        """Copy renamed customers' names onto their entitlements (the upsert writes a row only
        when its own payload changed, so a customer rename alone would not reach them)."""
        changed = 0
        keys = list(names)
        for start in range(0, len(keys), 500):
            stale = (
                Entitlement.objects.filter(customer_id__in=keys[start : start + 500])
                .values_list("customer_id", "customer_name")
                .distinct()
            )
            for customer_id, current in list(stale):
                if current != names[customer_id]:
                    changed += Entitlement.objects.filter(customer_id=customer_id).update(
                        customer_name=names[customer_id][:255]
                    )
        return changed


def gone_reason(changes: list[dict], *, customer_listed: bool) -> str:
    """Why an entitlement is no longer listed, from its change history (newest CANCELLED wins)."""
    cancels = [c for c in changes if isinstance(c, dict) and c.get("changeType") == ChangeType.CANCELLED]
    if cancels:
        last = max(
            cancels, key=lambda c: mappers.parse_time(c.get("createTime")) or datetime.min.replace(tzinfo=UTC)
        )
        if last.get("cancellationReason") in TRANSFER_REASONS:
            return GoneReason.TRANSFERRED
        return GoneReason.CANCELLED
    if not customer_listed:
        return GoneReason.TRANSFERRED
    return GoneReason.UNKNOWN


class _Offers:
    """Offer payloads by name for the entitlement mapper: the mirror's, then (once per run, only
    if an entitlement names an offer the mirror lacks) the account's offer list."""

    def __init__(self, client):
        self.client = client
        self.by_name = dict(Offer.objects.values_list("id", "payload"))
        self.fetched = False

    def get(self, name: str | None) -> dict | None:
        if not name:
            return None
        if name not in self.by_name and not self.fetched:
            self.fetched = True
            account = self.client.account
            for offer in self.client.iter_all(f"{account}/offers", "offers", page_size=1000):
                if offer.get("name"):
                    self.by_name[offer["name"]] = offer
        return self.by_name.get(name)


class EntitlementChangeStream(ChannelStream):
    """The history of every customer's entitlements (`…/entitlements/-:listEntitlementChanges`),
    incremental by create time.

    A pass walks the customers in name order. Its cursor is the lower bound it reads from
    (`at`, the start of the previous complete pass), its own start (`started`) and the last
    customer it finished (`customer`), so a failed run resumes after that customer. A complete
    pass moves `at` to its start; the next reads from there minus the overlap window (changes
    are never edited, and re-reading one lands on the same row).
    """

    name = "channel.entitlement_changes"
    supports_window = True  # a backfill reads the changes created in (since, until]
    description = "Cloud Channel entitlement history (per customer)"
    model = EntitlementChange
    schedule_minutes = 10
    schedule_words = "every 10 minutes"

    def batches(self, ctx: RunContext) -> Iterator[Batch]:
        """Each customer's changes since the cursor (or in the backfill window), checkpointing as it goes."""
        client = ctx.client
        account = client.account
        if ctx.backfill:
            lower, upper, after = ctx.since, ctx.until, ""
            at, started = None, None
        else:
            at = ctx.cursor.get("at")
            after = ctx.cursor.get("customer") or ""
            started = ctx.cursor.get("started") if after else None
            started = started or timezone.now().isoformat()
            lower = datetime.fromisoformat(at) - ctx.overlap if at else None
            upper = None
        terms = []
        if lower:
            terms.append(f'create_time >= "{rfc3339(lower)}"')
        if upper:
            terms.append(f'create_time < "{rfc3339(upper)}"')
        params = {"filter": " AND ".join(terms)} if terms else None

        customers = sorted(
            c["name"]
            for c in client.iter_all(f"{account}/customers", "customers", page_size=ctx.page_size)
            if c.get("name")
        )
        todo = [c for c in customers if c > after]
        since_checkpoint = 0
        for index, cname in enumerate(todo):
            remaining = len(todo) - index - 1
            path = f"{cname}/entitlements/-:listEntitlementChanges"
            try:
                pages = list(
                    client.iter_pages(path, "entitlementChanges", page_size=ctx.page_size, params=params)
                )
            except UpstreamNotFound:
                logger.info("sync %s: customer %s vanished while listing; skipped", self.name, cname)
                pages = []
            rows = [
                (mappers.change_key(c), mappers.map_entitlement_change(c), c)
                for page in pages
                for c in page.items
                if isinstance(c, dict) and c.get("entitlement")
            ]
            since_checkpoint += 1
            cursor = {"at": at, "started": started, "customer": cname}
            if rows or since_checkpoint >= CURSOR_EVERY:
                since_checkpoint = 0
                yield Batch(
                    writes=[(EntitlementChange, rows)], cursor=cursor, fetched=len(rows), remaining=remaining
                )
        # The pass is complete: the next one reads from this pass's start.
        yield Batch(writes=[], cursor={"at": started, "started": None, "customer": ""}, remaining=0)


STREAMS: list[Stream] = [
    ChannelProductStream(),
    OfferStream(),
    ChannelPartnerLinkStream(),
    CustomerStream(),
    EntitlementStream(),
    EntitlementChangeStream(),
]
