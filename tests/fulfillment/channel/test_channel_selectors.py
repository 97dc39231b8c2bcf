"""Cloud Channel's selectors: details, offers (upstream, else the mirror), domains and the
entitlements a customer holds. The mirror is built with the factories; the upstream reads
go to the sandbox over real HTTP, checked against Google's own discovery client."""

from __future__ import annotations

from datetime import timedelta

import pytest

from channelhub.services import ServiceError
from fulfillment.channel import selectors
from fulfillment.models import Customer, Entitlement, EntitlementChange

from .factories import BASE_TIME, CustomerFactory, EntitlementFactory, OfferFactory, PartnerLinkFactory
from .helpers import Upstream, faults, sync_channel

pytestmark = pytest.mark.django_db


def names(rows) -> list[str]:
    return [row["name"] if isinstance(row, dict) else row.pk for row in rows]


# --- offers, on the mirror -------------------------------------------------------------------


def test_offers_for_change_from_the_mirror_when_channel_is_not_configured(no_channel):
    current = OfferFactory(product="Gapps", plan="FLEXIBLE", display="A current")
    other = OfferFactory(product="Gapps", plan="COMMITMENT", display="B other")
    OfferFactory(product="Gapps", plan="TRIAL", display="C trial")
    OfferFactory(product="Other", plan="FLEXIBLE", display="D other product")
    gone = OfferFactory(product="Gapps", plan="FLEXIBLE", display="E gone")
    gone.gone_at = BASE_TIME
    gone.save(update_fields=["gone_at"])
    entitlement = EntitlementFactory(offer=current)
    offers, source = selectors.offers_for_change(entitlement=entitlement)
    assert source == "mirror"
    assert names(offers) == [other.pk]  # same product, paid, live, not the current one


def test_offers_for_change_of_an_entitlement_without_a_product(no_channel):
    entitlement = EntitlementFactory()
    Entitlement.objects.filter(pk=entitlement.pk).update(product_id="")
    entitlement.refresh_from_db()
    assert selectors.offers_for_change(entitlement=entitlement) == ([], "mirror")


def test_offers_for_a_new_entitlement_leave_out_the_products_held(no_channel):
    held = OfferFactory(product="Gapps", display="Held")
    OfferFactory(product="Gapps", display="Same product")
    free = OfferFactory(product="Chrome", display="Chrome")
    customer = CustomerFactory()
    EntitlementFactory(customer=customer, offer=held)
    assert names(selectors.offers_for_new_entitlement(customer=customer)) == [free.pk]
    assert selectors.offers_for_sku(customer_id=customer.pk, sku=held.sku_id) is None  # nobody to ask


# --- customers and entitlements ----------------------------------------------------------------


def test_customer_with_domain_is_case_blind_and_live_only():
    customer = CustomerFactory(domain="acme.example")
    assert selectors.customer_with_domain(domain="ACME.example") == customer
    Customer.objects.filter(pk=customer.pk).update(gone_at=BASE_TIME)
    assert selectors.customer_with_domain(domain="acme.example") is None


def test_live_entitlements_and_the_one_of_a_product():
    customer = CustomerFactory()
    gapps = EntitlementFactory(customer=customer, offer=OfferFactory(product="Gapps"))
    gone = EntitlementFactory(customer=customer, offer=OfferFactory(product="Chrome"))
    Entitlement.objects.filter(pk=gone.pk).update(gone_at=BASE_TIME)
    assert names(selectors.live_entitlements(customer_id=customer.pk)) == [gapps.pk]
    other_sku = OfferFactory(product="Gapps")
    found = selectors.entitlement_of_product(
        customer_id=customer.pk, sku_id=other_sku.sku_id, product_id=other_sku.product_id
    )
    assert found == gapps  # another SKU of a product it holds
    assert selectors.entitlement_of_product(customer_id=customer.pk, sku_id=other_sku.sku_id) is None
    assert selectors.entitlement_of_product(customer_id=customer.pk, sku_id=gapps.sku_id) == gapps


def test_customer_detail(django_assert_num_queries):
    customer = CustomerFactory(domain="acme.example")
    old = EntitlementFactory(customer=customer)
    new = EntitlementFactory(customer=customer)
    gone = EntitlementFactory(customer=customer)
    Entitlement.objects.filter(pk=old.pk).update(create_time=BASE_TIME)
    Entitlement.objects.filter(pk=new.pk).update(create_time=BASE_TIME + timedelta(days=1))
    Entitlement.objects.filter(pk=gone.pk).update(
        gone_at=BASE_TIME, create_time=BASE_TIME + timedelta(days=2)
    )
    with django_assert_num_queries(1):
        detail = selectors.customer_detail(customer=customer)
        assert names(detail.entitlements)[:2] == [new.pk, old.pk]  # live ones first, newest first
        assert names(detail.entitlements)[2] == gone.pk
        assert all(e.offer.pk for e in detail.entitlements)  # joined
    assert detail.address["postalCode"] == "94043"
    assert detail.contact["email"] == "ada@acme.example"
    assert detail.identity["primaryDomain"] == "acme.example"
    assert len(selectors.customer_detail(customer=customer, limit=1).entitlements) == 1


def test_customer_detail_without_identity_or_address_in_the_payload():
    customer = CustomerFactory(cloud_identity=False)
    Customer.objects.filter(pk=customer.pk).update(payload={}, postal_address={"regionCode": "DE"})
    customer.refresh_from_db()
    detail = selectors.customer_detail(customer=customer)
    assert (detail.address, detail.contact, detail.identity, detail.entitlements) == (
        {"regionCode": "DE"},
        {},
        {},
        [],
    )


def test_partner_link_customers():
    link = PartnerLinkFactory()
    theirs = CustomerFactory()
    Customer.objects.filter(pk=theirs.pk).update(partner_link_id=link.pk)
    CustomerFactory()
    assert names(selectors.partner_link_customers(link=link)) == [theirs.pk]


def test_entitlement_detail():
    entitlement = EntitlementFactory()
    params = [*entitlement.parameters, {"name": "display_name", "value": {"stringValue": "Team"}}]
    Entitlement.objects.filter(pk=entitlement.pk).update(parameters=params)
    entitlement.refresh_from_db()
    for day in range(3):
        EntitlementChange.objects.create(
            id=f"ec-{day}",
            entitlement_id=entitlement.pk,
            change_type="SEATS_CHANGED" if day else "CREATED",
            create_time=BASE_TIME + timedelta(days=day),
        )
    EntitlementChange.objects.create(id="ec-other", entitlement_id=None, change_type="CREATED")
    detail = selectors.entitlement_detail(entitlement=entitlement)
    assert detail.offer == entitlement.offer
    assert [c.pk for c in detail.changes] == ["ec-2", "ec-1", "ec-0"]
    assert [p["name"] for p in detail.other_parameters] == ["display_name"]  # not the seat counts
    assert [c.pk for c in selectors.entitlement_detail(entitlement=entitlement, changes=1).changes] == [
        "ec-2"
    ]


# --- offers and domains, upstream -------------------------------------------------------------


@pytest.fixture
def mirrored(channel_settings):
    sync_channel()
    return channel_settings


def test_offers_for_change_asks_cloud_channel(mirrored):
    upstream = Upstream(mirrored)
    for entitlement in Entitlement.objects.filter(gone_at__isnull=True).order_by("id"):
        offers, source = selectors.offers_for_change(entitlement=entitlement)
        if offers:
            break
    else:
        raise AssertionError("no entitlement of the sandbox can change its offer; the test proves nothing")
    assert source == "upstream"
    truth = (
        upstream.api.accounts()
        .customers()
        .listPurchasableOffers(
            customer=entitlement.customer_id, changeOfferPurchase_entitlement=entitlement.pk
        )
        .execute()
    )
    assert names(offers) == [item["offer"]["name"] for item in truth.get("purchasableOffers", [])]
    assert entitlement.offer_id not in names(offers)


def test_offers_for_sku_asks_cloud_channel(mirrored):
    upstream = Upstream(mirrored)
    entitlement = Entitlement.objects.filter(gone_at__isnull=True).exclude(sku_id="").order_by("id").first()
    offers = selectors.offers_for_sku(customer_id=entitlement.customer_id, sku=entitlement.sku_id)
    truth = (
        upstream.api.accounts()
        .customers()
        .listPurchasableOffers(
            customer=entitlement.customer_id, createEntitlementPurchase_sku=entitlement.sku_id
        )
        .execute()
    )
    assert offers and names(offers) == [item["offer"]["name"] for item in truth["purchasableOffers"]]


def test_an_upstream_that_cannot_answer_falls_back_to_the_mirror(mirrored):
    entitlement = Entitlement.objects.filter(gone_at__isnull=True).order_by("id").first()
    faults(mirrored, {"rate": 1.0, "kinds": ["503"], "path": "listPurchasableOffers"})
    offers, source = selectors.offers_for_change(entitlement=entitlement)
    assert source == "mirror"
    assert selectors.offers_for_sku(customer_id=entitlement.customer_id, sku=entitlement.sku_id) is None


def test_a_refused_upstream_read_says_why(mirrored):
    missing = f"accounts/{mirrored.channel_account_id}/customers/nobody"
    with pytest.raises(ServiceError, match="Cloud Channel refused to list the offers this customer can buy"):
        selectors.offers_for_sku(customer_id=missing, sku="products/p/skus/s")


def test_cloud_identity_accounts(mirrored):
    owned = Customer.objects.filter(gone_at__isnull=True).exclude(cloud_identity_id="").first()
    accounts = selectors.cloud_identity_accounts(domain=owned.domain)
    assert any(a["owned"] and a["customerName"] == owned.pk for a in accounts)
    assert selectors.cloud_identity_accounts(domain="taken.example")[0]["owned"] is False
    assert selectors.cloud_identity_accounts(domain="nobody-has-this.example") == []


def test_cloud_identity_accounts_unknown_when_channel_is_not_configured(no_channel):
    assert selectors.cloud_identity_accounts(domain="taken.example") is None
