"""Reads of the Cloud Channel mirror, and the upstream reads the services validate against:
the detail of a customer / entitlement / partner link, the offers a customer can buy or
switch to, a domain's Cloud Identity accounts (HackSoft's selectors: services write,
selectors read). The admin pages, the forms, the services and the dashboard to come read
through these; the words and badges around them are in `display`.

Upstream reads go through `upstream_read`: when Cloud Channel is not configured or cannot
answer now, a selector answers None (or from the mirror, and says so) instead of failing;
a refusal of the read itself is a `ServiceError` with Channel's reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.db.models import CharField, Exists, F, OuterRef, Q, Value
from django.db.models.functions import Concat, StrIndex, Substr

from channelhub.models import GoneReason, UpstreamAction
from channelhub.services import ServiceError
from channelhub.upstream.errors import UpstreamError, UpstreamNotConfigured

from .choices import PaymentPlan
from .models import ChannelPartnerLink, Customer, Entitlement, EntitlementChange, Offer

logger = logging.getLogger(__name__)

T = TypeVar("T")

PURCHASABLE_LIMIT = 200
RECENT_CHANGES = 100
SEAT_PARAMETERS = ("num_units", "max_units", "assigned_units")


# --- upstream reads ------------------------------------------------------------------------


def channel_client():
    """The Channel client, or None when Channel is not configured (checks then use the mirror)."""
    from channelhub.upstream.channel import ChannelClient  # noqa: PLC0415 - google-auth loads only when asked

    if not ChannelClient.is_configured():
        return None
    return ChannelClient.from_settings()


def upstream_read(what: str, call: Callable[..., T]) -> T | None:
    """Run a read the services validate against; None when the upstream cannot answer now
    (the caller then falls back to the mirror). A refusal of the read itself is not hidden."""
    try:
        client = channel_client()
        if client is None:
            return None
        return call(client)
    except UpstreamError as exc:
        if exc.retryable or isinstance(exc, UpstreamNotConfigured):
            logger.warning("could not %s upstream (%s); checking against the mirror", what, exc)
            return None
        raise ServiceError(
            f"Cloud Channel refused to {what}: {'; '.join(exc.errors) or exc.message}"
        ) from exc


def cloud_identity_accounts(*, domain: str) -> list[dict] | None:
    """The Cloud Identity accounts of `domain`, upstream (`existing`, `owned`,
    `customerName`, ...); [] when it has none, None when Channel cannot answer now."""
    return upstream_read(
        "check the domain", lambda client: client.check_cloud_identity_accounts_exist(domain=domain)
    )


# --- offers --------------------------------------------------------------------------------


def _mirrored_offers(queryset) -> list[dict]:
    return [
        o.payload or {"name": o.pk}
        for o in queryset.filter(gone_at__isnull=True).order_by("display_name", "id")[:PURCHASABLE_LIMIT]
    ]


def _customer_of(entitlement_name: str) -> str:
    return entitlement_name.split("/entitlements/", 1)[0]


def offers_for_change(*, entitlement: Entitlement) -> tuple[list[dict], str]:
    """Offers (Offer dicts) the entitlement can change to, not its current one, and where
    they came from: "upstream" (listPurchasableOffers, which knows the customer's region,
    type and promotions) or "mirror" (the mirrored paid offers of its product)."""
    offers = upstream_read(
        "list the offers this entitlement can change to",
        lambda client: client.purchasable_offers(
            customer=entitlement.customer_id or _customer_of(entitlement.pk),
            entitlement=entitlement.pk,
            limit=PURCHASABLE_LIMIT,
        ),
    )
    source = "upstream"
    if offers is None:
        source = "mirror"
        same_product = (
            Offer.objects.filter(product_id=entitlement.product_id)
            if entitlement.product_id
            else Offer.objects.none()
        )
        offers = _mirrored_offers(
            same_product.exclude(payment_plan__in=(PaymentPlan.TRIAL, PaymentPlan.FREE))
        )
    return [o for o in offers if o.get("name") != entitlement.offer_id], source


def offers_for_sku(*, customer_id: str, sku: str) -> list[dict] | None:
    """Offers of one SKU the customer can buy, upstream; None when the upstream cannot answer."""
    return upstream_read(
        "list the offers this customer can buy",
        lambda client: client.purchasable_offers(customer=customer_id, sku=sku, limit=PURCHASABLE_LIMIT),
    )


def offers_for_new_entitlement(*, customer: Customer) -> list[Offer]:
    """Mirrored offers of products the customer does not hold yet (one entitlement per
    product), by product and name; payloads deferred."""
    owned = live_entitlements(customer_id=customer.pk).values_list("product_id", flat=True)
    return list(
        Offer.objects.filter(gone_at__isnull=True)
        .exclude(product_id__in=[p for p in owned if p])
        .defer("payload")
        .order_by("product_name", "display_name", "payment_plan")[:PURCHASABLE_LIMIT]
    )


# --- customers -----------------------------------------------------------------------------


def customer_with_domain(*, domain: str) -> Customer | None:
    """The live mirrored customer whose domain is `domain` (any case), if there is one."""
    return Customer.objects.filter(domain__iexact=domain, gone_at__isnull=True).first()


def live_entitlements(*, customer_id: str):
    """A customer's entitlements that are still listed upstream."""
    return Entitlement.objects.filter(customer_id=customer_id, gone_at__isnull=True)


def entitlement_of_product(*, customer_id: str, sku_id: str, product_id: str = "") -> Entitlement | None:
    """A live entitlement of the customer of this SKU or, when known, of its product:
    Channel allows one entitlement per product, so another SKU of it is a change of offer."""
    same = Q(sku_id=sku_id) | Q(product_id=product_id) if product_id else Q(sku_id=sku_id)
    return live_entitlements(customer_id=customer_id).filter(same).first()


@dataclass(frozen=True)
class CustomerDetail:
    """What a customer's detail shows beside its columns, read from its payload and entitlements."""

    entitlements: list[Entitlement]  # live first, newest first, each with its offer
    address: dict  # orgPostalAddress
    contact: dict  # primaryContactInfo
    identity: dict  # cloudIdentityInfo


def customer_detail(*, customer: Customer, limit: int = 200) -> CustomerDetail:
    """A customer's entitlements (one query, offers joined, heavy columns deferred) and the
    parts of its upstream payload the page shows."""
    entitlements = list(
        Entitlement.objects.filter(customer_id=customer.pk)
        .select_related("offer")
        .defer("payload", "parameters", "offer__payload", "offer__parameter_definitions")
        # Live ones first on every database (PostgreSQL sorts NULLs last by default).
        .order_by(F("gone_at").asc(nulls_first=True), "-create_time")[:limit]
    )
    doc = customer.payload or {}
    return CustomerDetail(
        entitlements=entitlements,
        address=doc.get("orgPostalAddress") or customer.postal_address or {},
        contact=doc.get("primaryContactInfo") or {},
        identity=doc.get("cloudIdentityInfo") or {},
    )


def partner_link_customers(*, link: ChannelPartnerLink, limit: int = 100):
    """The customers of a channel partner link (heavy columns deferred)."""
    return Customer.objects.filter(partner_link_id=link.pk).defer("payload", "postal_address")[:limit]


# --- a partner's customer, listed twice --------------------------------------------------------
#
# A partner's customer is listed by Channel twice: under our account (`accounts/A/customers/C`,
# with `channelPartnerId` set: the entitlements hang on that one) and under its partner link
# (`accounts/A/channelPartnerLinks/P/customers/C`). The mirror keeps both rows (each stream
# reconciles its own listing); the pages show the customer once, as the row under our account,
# with both names. Each twin is one primary-key lookup away.

LINK_CUSTOMER = "/channelPartnerLinks/"


def customer_twin_name(name: str, *, partner_link_id: str | None) -> str:
    """The other name of the same customer: the one under our account for a name under a
    partner link, the one under its partner link for our partner's customer; "" for our own."""
    account, sep, short = name.rpartition("/customers/")
    if not sep:
        return ""
    if LINK_CUSTOMER in account:
        return f"{account.split(LINK_CUSTOMER, 1)[0]}/customers/{short}"
    return f"{partner_link_id}/customers/{short}" if partner_link_id else ""


def customer_twin(*, customer: Customer) -> Customer | None:
    """The same customer's other row (see above), or None (one primary-key lookup at most)."""
    twin = customer_twin_name(customer.pk, partner_link_id=customer.partner_link_id)
    if not twin:
        return None
    return Customer.objects.filter(pk=twin).defer("payload", "postal_address").first()


def without_link_twins(queryset):
    """`queryset` less the rows under a partner link whose row under our account is mirrored
    (each such row is one primary-key probe of its twin's name)."""
    short = Substr(F("pk"), StrIndex(F("pk"), Value("/customers/")) + len("/customers/"))
    twin = Concat(Value("accounts/"), F("account_id"), Value("/customers/"), short, output_field=CharField())
    under_ours = Customer.objects.filter(pk=OuterRef("twin_name"))
    return queryset.alias(twin_name=twin).exclude(Q(pk__contains=LINK_CUSTOMER) & Exists(under_ours))


@dataclass(frozen=True)
class PartnerCustomer:
    """A customer of a partner link, shown once: its row and its name under the link."""

    customer: Customer
    link_name: str  # its name under the partner link ("" when only the row under our account is mirrored)


def partner_link_customers_once(*, link: ChannelPartnerLink, limit: int = 100) -> list[PartnerCustomer]:
    """The customers of a partner link, each once (the row under our account when both are
    mirrored), ordered by organisation name."""
    rows = Customer.objects.filter(partner_link_id=link.pk).defer("payload", "postal_address")
    by_short: dict[str, dict[str, Customer]] = {}
    for row in rows.order_by("org_display_name", "pk")[: 2 * limit]:
        kind = "link" if LINK_CUSTOMER in row.pk else "ours"
        by_short.setdefault(row.pk.rpartition("/")[2], {})[kind] = row
    out = []
    for pair in by_short.values():
        shown = pair.get("ours") or pair["link"]
        out.append(PartnerCustomer(customer=shown, link_name=pair["link"].pk if "link" in pair else ""))
    return out[:limit]


# --- entitlements --------------------------------------------------------------------------


@dataclass(frozen=True)
class EntitlementDetail:
    """What an entitlement's detail shows beside its columns."""

    offer: Offer | None
    changes: list[EntitlementChange]  # newest first
    other_parameters: list[dict]  # its parameters other than the seat counts


def entitlement_detail(*, entitlement: Entitlement, changes: int = RECENT_CHANGES) -> EntitlementDetail:
    """An entitlement's offer, its latest `changes` history entries and its other parameters."""
    history = list(
        EntitlementChange.objects.filter(entitlement_id=entitlement.pk)
        .defer("payload")
        .order_by("-create_time", "-id")[:changes]
    )
    return EntitlementDetail(
        offer=entitlement.offer,
        changes=history,
        other_parameters=[
            p
            for p in entitlement.parameters or []
            if isinstance(p, dict) and p.get("name") not in SEAT_PARAMETERS
        ],
    )


# --- transfers ---------------------------------------------------------------------------------


NO_TRANSFER_OFFER = (
    "Google lets it move, but has no offer for it that this customer can take (e.g. the product is "
    "not sold in its region): it cannot be transferred to us now."
)


@dataclass(frozen=True)
class TransferChoice:
    """One SKU the customer holds elsewhere: Google's verdict, in words, and the offers it can
    move to (each {"name", "summary", "plan", "seat_parameter", "min_seats", "definition"})."""

    sku: object  # channelhub.upstream.channel_transfers.TransferableSku
    words: str
    offers: list[dict]

    @property
    def transferable(self) -> bool:
        """Google lets it move and offers at least one offer to move it to."""
        return bool(self.sku.eligible and self.offers)


@dataclass(frozen=True)
class TransferLookup:
    """What a customer holds at another reseller (or at Google) and could move to us."""

    cloud_identity_id: str
    domain: str
    customer: Customer | None  # already ours (mirrored, live), if it is
    choices: list[TransferChoice]

    @property
    def eligible(self) -> list[TransferChoice]:
        """The choices that can be transferred now (eligible, with an offer to move to)."""
        return [c for c in self.choices if c.transferable]

    @property
    def ineligible(self) -> list[TransferChoice]:
        """The choices that cannot, each with its words."""
        return [c for c in self.choices if not c.transferable]


def _transfer_offer(offer: dict) -> dict:
    from .display import offer_summary  # noqa: PLC0415 - display imports these selectors' models only
    from .services.common import seat_definition, seat_parameter_of_offer  # noqa: PLC0415 - services import selectors

    definitions = offer.get("parameterDefinitions") or []
    parameter = seat_parameter_of_offer(definitions) or ""
    definition = seat_definition(definitions, parameter) if parameter else None
    low = ((definition or {}).get("minValue") or {}).get("int64Value")
    return {
        "name": offer.get("name") or "",
        "summary": offer_summary(offer),
        "plan": (offer.get("plan") or {}).get("paymentPlan") or "",
        "seat_parameter": parameter,
        "min_seats": int(low) if str(low or "").isdigit() else 1,
        "definition": definition,
    }


def _resolve_identity(client, *, cloud_identity_id: str, domain: str) -> tuple[str, str]:
    """(Cloud Identity id, domain): the id as given, or the one Google knows for the domain."""
    if cloud_identity_id:
        return cloud_identity_id, domain
    for account in client.check_cloud_identity_accounts_exist(domain=domain):
        found = account.get("customerCloudIdentityId")
        if account.get("existing") and found:
            return str(found), domain
    raise ServiceError(
        f"Google knows no Cloud Identity account on {domain} that we could transfer: ask the customer "
        "for their Cloud Identity id, or create the customer instead.",
        code="missing",
    )


def transfer_lookup(*, cloud_identity_id: str = "", domain: str = "", auth_token: str = "") -> TransferLookup:
    """Ask Google what the customer (by Cloud Identity id, or domain) holds elsewhere, each
    SKU's eligibility and the offers the eligible ones can move to.

    `auth_token` is the token the customer's super admin generated for us: it goes in this
    one request and is neither kept nor logged; once presented, Google lets later calls for
    this customer (the transfer itself) go without it.
    """
    from .display import transfer_eligibility_words  # noqa: PLC0415 - display imports these selectors' models only

    cloud_identity_id, domain = cloud_identity_id.strip(), domain.strip().lower()
    if not cloud_identity_id and not domain:
        raise ServiceError("Give the customer's Cloud Identity id or its domain.", code="required")
    try:
        client = channel_client()
        if client is None:
            raise ServiceError("Cloud Channel is not configured, so nothing can be looked up.", code="config")
        cloud_identity_id, domain = _resolve_identity(
            client, cloud_identity_id=cloud_identity_id, domain=domain
        )
        skus = client.transferable_skus(cloud_identity_id=cloud_identity_id, auth_token=auth_token)
        choices = []
        for sku in skus:
            offers = (
                [
                    _transfer_offer(o)
                    for o in client.transferable_offers(sku=sku.name, cloud_identity_id=cloud_identity_id)
                ]
                if sku.eligible
                else []
            )
            words = transfer_eligibility_words(sku) if offers or not sku.eligible else NO_TRANSFER_OFFER
            choices.append(TransferChoice(sku=sku, words=words, offers=offers))
    except UpstreamError as exc:
        if exc.retryable:
            raise ServiceError(
                f"Cloud Channel cannot answer now ({exc.message}); try the lookup again in a moment.",
                code="upstream",
            ) from exc
        raise ServiceError(
            f"Cloud Channel refused the lookup: {'; '.join(exc.errors) or exc.message}", code="refused"
        ) from exc
    customer = (
        Customer.objects.filter(
            cloud_identity_id=cloud_identity_id, gone_at__isnull=True, partner_link__isnull=True
        )
        .defer("payload")
        .first()
    )
    if customer is not None and not domain:
        domain = customer.domain
    return TransferLookup(
        cloud_identity_id=cloud_identity_id, domain=domain, customer=customer, choices=choices
    )


@dataclass(frozen=True)
class TransferEvent:
    """One line of a customer's transfer history."""

    when: object  # datetime
    direction: str  # "in" | "away"
    what: str
    how: str
    action: object | None = None  # the UpstreamAction, when staff did it here


def customer_transfer_history(*, customer: Customer, limit: int = 50) -> list[TransferEvent]:
    """Subscriptions transferred to us and away from us, newest first: our transfer actions
    (in, and to Google) and the entitlements reconcile found gone as transferred."""
    events: list[TransferEvent] = []
    actions = UpstreamAction.objects.filter(
        Q(kind="channel.customer.transfer_in", payload__cloudIdentityId=customer.cloud_identity_id)
        | Q(kind="channel.customer.transfer_in", target_id=customer.pk)
        | Q(kind="channel.customer.transfer_to_google", target_id=customer.pk)
    ).select_related("actor")
    for action in actions.order_by("-created_at")[:limit] if customer.cloud_identity_id else actions.none():
        payload = action.payload or {}
        direction = "in" if action.kind.endswith("transfer_in") else "away"
        what = ", ".join(payload.get("skus") or payload.get("entitlements") or []) or "—"
        who = action.actor.get_username() if action.actor else "system"
        how = f"{'Transfer in' if direction == 'in' else 'Transfer to Google'} by {who} ({action.get_status_display().lower()})"
        events.append(
            TransferEvent(when=action.created_at, direction=direction, what=what, how=how, action=action)
        )
    gone = (
        Entitlement.objects.filter(customer_id=customer.pk, gone_reason=GoneReason.TRANSFERRED)
        .defer("payload", "parameters")
        .order_by("-gone_at")[:limit]
    )
    gone = list(gone)
    # Each one's last cancellation reason, in one query (newest first: the first seen wins).
    reasons: dict[str, str] = {}
    cancels = EntitlementChange.objects.filter(
        entitlement_id__in=[e.pk for e in gone], change_type="CANCELLED"
    ).order_by("-create_time")
    for name, reason in cancels.values_list("entitlement_id", "reason"):
        reasons.setdefault(name, reason)
    for entitlement in gone:
        last = reasons.get(entitlement.pk)
        how = "Seen gone by the sync" + (f" ({last.replace('_', ' ').lower()})" if last else "")
        events.append(
            TransferEvent(
                when=entitlement.gone_at, direction="away", what=entitlement.sku_id or entitlement.pk, how=how
            )
        )
    events.sort(key=lambda e: e.when, reverse=True)
    return events[:limit]
