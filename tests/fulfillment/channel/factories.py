"""factory-boy factories for the Cloud Channel mirror.

Each builds a realistic upstream payload (the shapes of channel-api.md §3, as the sandbox
seeds them) from a few knobs, then runs the app's own mapper on it, as a sync would: the
typed columns and `payload` always agree. E.g. `EntitlementFactory(plan="COMMITMENT",
seats=10, state="SUSPENDED", reasons=["RESELLER_INITIATED"])`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import factory
from factory.django import DjangoModelFactory

from channelhub.sync.upsert import canonical_json, digest
from fulfillment.channel import mappers
from fulfillment.models import ChannelPartnerLink, Customer, Entitlement, Offer

ACCOUNT = "accounts/C0test"
BASE_TIME = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
SEAT_PARAMETER = {"COMMITMENT": "num_units", "FLEXIBLE": "max_units", "TRIAL": "max_units"}


def ts(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def int64(value: int) -> dict:
    return {"int64Value": str(value)}


class ChannelFactory(DjangoModelFactory):
    """Builds `payload`, maps it with the mapper, and saves the row as a sync would."""

    class Meta:
        abstract = True

    @classmethod
    def map(cls, payload: dict) -> dict:
        raise NotImplementedError

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        payload = kwargs.pop("payload")
        for key in list(kwargs):
            if key not in {f.attname for f in model_class._meta.concrete_fields} | {"offer", "customer"}:
                kwargs.pop(key)  # a knob, already in the payload
        fields = {**cls.map(payload), **kwargs}
        obj = model_class(
            id=payload["name"], payload=payload, payload_hash=digest(canonical_json(payload)), **fields
        )
        obj.save(force_insert=True)
        return obj


def _offer_payload(o) -> dict:
    definitions = []
    name = SEAT_PARAMETER.get(o.plan)
    if name:
        definitions.append(
            {
                "name": name,
                "parameterType": "INT64",
                "minValue": int64(o.min_seats),
                "maxValue": int64(o.max_seats),
                **({"optional": True} if o.plan != "COMMITMENT" else {}),
            }
        )
    plan = {"paymentPlan": o.plan}
    if o.plan == "COMMITMENT":
        plan.update(paymentType="PREPAY", paymentCycle={"duration": 1, "periodType": "YEAR"})
    elif o.plan == "FLEXIBLE":
        plan.update(paymentType="POSTPAY", paymentCycle={"duration": 1, "periodType": "MONTH"})
    elif o.plan == "TRIAL":
        plan["trialPeriod"] = {"duration": 14, "periodType": "DAY"}
    return {
        "name": f"{ACCOUNT}/offers/{o.offer_id}",
        "marketingInfo": {"displayName": o.display, "description": o.description},
        "sku": {
            "name": f"products/{o.product}/skus/{o.sku}",
            "marketingInfo": {"displayName": o.display},
            "product": {"name": f"products/{o.product}", "marketingInfo": {"displayName": o.product}},
        },
        "plan": plan,
        "priceByResources": [
            {
                "resourceType": "SEAT",
                "price": {
                    "basePrice": {"currencyCode": "USD", "units": o.price},
                    "pricePeriod": {"duration": 1, "periodType": "MONTH"},
                },
            }
        ],
        "parameterDefinitions": definitions,
        "startTime": ts(BASE_TIME),
    }


class OfferFactory(ChannelFactory):
    class Meta:
        model = Offer

    class Params:
        offer_id = factory.Sequence(lambda n: f"O{n:05d}")
        plan = "COMMITMENT"
        product = "Gapps"
        sku = factory.Sequence(lambda n: f"sku{n}")
        display = "Google Workspace Business Standard"
        description = "Email, video and storage."
        min_seats = 1
        max_seats = 500
        price = "12"

    payload = factory.LazyAttribute(_offer_payload)

    @classmethod
    def map(cls, payload):
        return mappers.map_offer(payload)


def _customer_payload(o) -> dict:
    doc = {
        "name": f"{ACCOUNT}/customers/{o.customer_id}",
        "orgDisplayName": o.org,
        "domain": o.domain,
        "orgPostalAddress": {
            "regionCode": "US",
            "postalCode": "94043",
            "addressLines": ["1600 Amphitheatre Pkwy"],
            "locality": "Mountain View",
            "administrativeArea": "CA",
        },
        "primaryContactInfo": {"firstName": "Ada", "lastName": "Admin", "email": f"ada@{o.domain}"},
        "alternateEmail": "ops@elsewhere.example",
        "languageCode": "en-US",
        "createTime": ts(BASE_TIME),
        "updateTime": ts(BASE_TIME),
    }
    if o.cloud_identity:
        doc["cloudIdentityId"] = f"C{o.customer_id}"
        doc["cloudIdentityInfo"] = {
            "customerType": "DOMAIN",
            "primaryDomain": o.domain,
            "isDomainVerified": True,
        }
    return doc


class CustomerFactory(ChannelFactory):
    class Meta:
        model = Customer

    class Params:
        customer_id = factory.Sequence(lambda n: f"cust{n:04d}")
        org = factory.Sequence(lambda n: f"Customer {n} Inc")
        domain = factory.Sequence(lambda n: f"customer{n}.example")
        cloud_identity = True

    payload = factory.LazyAttribute(_customer_payload)

    @classmethod
    def map(cls, payload):
        return mappers.map_customer(payload)


def _entitlement_payload(o) -> dict:
    offer = o.offer
    plan = offer.payment_plan
    doc = {
        "name": f"{o.customer.pk}/entitlements/{o.entitlement_id}",
        "offer": offer.pk,
        "provisioningState": o.state,
        "provisionedService": {
            "provisioningId": f"sub-{o.entitlement_id}",
            "productId": offer.product_id.split("/")[-1] if offer.product_id else "Gapps",
            "skuId": offer.sku_id.split("/")[-1] if offer.sku_id else "sku",
        },
        "createTime": ts(BASE_TIME),
        "updateTime": ts(BASE_TIME + timedelta(days=1)),
    }
    if o.reasons:
        doc["suspensionReasons"] = list(o.reasons)
    parameters = []
    if plan in SEAT_PARAMETER:
        parameters.append({"name": SEAT_PARAMETER[plan], "value": int64(o.seats), "editable": True})
    parameters.append({"name": "assigned_units", "value": int64(o.assigned), "editable": False})
    doc["parameters"] = parameters
    if plan == "COMMITMENT":
        doc["commitmentSettings"] = {
            "startTime": ts(BASE_TIME),
            "endTime": ts(BASE_TIME + timedelta(days=365)),
            "renewalSettings": o.renewal
            or {
                "enableRenewal": True,
                "paymentPlan": "COMMITMENT",
                "paymentCycle": {"duration": 1, "periodType": "YEAR"},
            },
        }
    if plan == "TRIAL":
        doc["trialSettings"] = {"trial": True, "endTime": ts(BASE_TIME + timedelta(days=14))}
    return doc


class EntitlementFactory(ChannelFactory):
    class Meta:
        model = Entitlement

    class Params:
        entitlement_id = factory.Sequence(lambda n: f"ent{n:04d}")
        customer = factory.SubFactory(CustomerFactory)
        offer = factory.SubFactory(OfferFactory)
        state = "ACTIVE"
        reasons = ()
        seats = 10
        assigned = 4
        renewal = None

    payload = factory.LazyAttribute(_entitlement_payload)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        payload = kwargs["payload"]
        customer = Customer.objects.get(pk=payload["name"].split("/entitlements/")[0])
        offer = Offer.objects.get(pk=payload["offer"])
        fields = mappers.map_entitlement(
            payload, customer_name=customer.org_display_name, offer=offer.payload
        )
        obj = model_class(
            id=payload["name"], payload=payload, payload_hash=digest(canonical_json(payload)), **fields
        )
        obj.save(force_insert=True)
        return obj


class PartnerLinkFactory(ChannelFactory):
    class Meta:
        model = ChannelPartnerLink

    class Params:
        link_id = factory.Sequence(lambda n: f"P{n:04d}")
        state = "ACTIVE"

    payload = factory.LazyAttribute(
        lambda o: {
            "name": f"{ACCOUNT}/channelPartnerLinks/{o.link_id}",
            "resellerCloudIdentityId": o.link_id,
            "linkState": o.state,
            "channelPartnerCloudIdentityInfo": {"primaryDomain": f"{o.link_id.lower()}.partner.example"},
            "createTime": ts(BASE_TIME),
        }
    )

    @classmethod
    def map(cls, payload):
        return mappers.map_channel_partner_link(payload)
