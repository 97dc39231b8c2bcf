"""The Cloud Channel collections under /api/v1/channel: auth, permissions, filters (pinned),
ordering, select, pagination, details by full resource name, query counts, errors, schema.

Rows are built here from payloads in Channel's REST shape (camelCase, int64 as strings, enum
names), with the typed columns set from the same values, as the Channel mapper would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from dj_rql.utils import assert_filter_cls
from django.contrib.auth.models import Permission
from django.db import connection
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from py_rql.constants import FilterLookups as L
from rest_framework.test import APIClient

from channelhub.sync.upsert import canonical_json, digest
from fulfillment.channel import filters
from fulfillment.models import (
    ChannelPartnerLink,
    ChannelProduct,
    Customer,
    Entitlement,
    EntitlementChange,
    Offer,
    Sku,
)
from tests.channelhub.api.endpoints import TIMEOUT_QUERIES
from tests.paths import ROOT

pytestmark = pytest.mark.django_db

ACCOUNT = "accounts/C01hub9x"
BASE = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def ts(value: datetime) -> str:
    """Channel's wire format: RFC 3339 in UTC with `Z`."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _save(model, payload: dict, key: str | None = None, **columns):
    return model.objects.create(
        id=key or payload["name"], payload=payload, payload_hash=digest(canonical_json(payload)), **columns
    )


# --- rows in Channel's shape ---------------------------------------------------------------


def product(pid: str = "Google-Workspace", display: str = "Google Workspace") -> ChannelProduct:
    payload = {
        "name": f"products/{pid}",
        "marketingInfo": {
            "displayName": display,
            "description": f"{display} for business.",
            "defaultLogo": {"title": display, "type": "MEDIA_TYPE_IMAGE", "content": "https://x.test/l.png"},
        },
    }
    return _save(
        ChannelProduct, payload, display_name=display, description=payload["marketingInfo"]["description"]
    )


def sku(
    prod: ChannelProduct, sid: str = "1010020027", display: str = "Google Workspace Business Starter"
) -> Sku:
    payload = {
        "name": f"{prod.id}/skus/{sid}",
        "marketingInfo": {"displayName": display, "description": f"{display} for one user."},
        "product": prod.payload,
    }
    return _save(Sku, payload, product_id=prod.id, display_name=display)


PLANS = {
    "COMMITMENT": {"paymentPlan": "COMMITMENT", "paymentType": "PREPAY", "paymentCycle": {"duration": 1, "periodType": "YEAR"}},
    "FLEXIBLE": {"paymentPlan": "FLEXIBLE", "paymentType": "POSTPAY", "paymentCycle": {"duration": 1, "periodType": "MONTH"}},
    "TRIAL": {"paymentPlan": "TRIAL", "trialPeriod": {"duration": 14, "periodType": "DAY"}},
}  # fmt: skip
SEAT_PARAMETER = {"COMMITMENT": "num_units", "FLEXIBLE": "max_units", "TRIAL": "max_units"}


def offer(s: Sku, oid: str, plan: str = "COMMITMENT") -> Offer:
    payload = {
        "name": f"{ACCOUNT}/offers/{oid}",
        "marketingInfo": {"displayName": f"{s.display_name} - {plan.title()}"},
        "sku": s.payload,
        "plan": PLANS[plan],
        "constraints": {"customerConstraints": {"allowedCustomerTypes": ["DOMAIN", "TEAM"]}},
        "priceByResources": [
            {
                "resourceType": "SEAT",
                "price": {"basePrice": {"currencyCode": "USD", "units": "7", "nanos": 200000000}},
            }
        ],
        "startTime": ts(BASE),
        "parameterDefinitions": [
            {"name": SEAT_PARAMETER[plan], "parameterType": "INT64", "minValue": {"int64Value": "1"}}
        ],
    }
    return _save(
        Offer,
        payload,
        sku_id=s.id,
        product_id=s.product_id,
        display_name=s.display_name,  # the SKU's, as the mapper keeps it
        payment_plan=plan,
        start_time=BASE,
    )


def customer(
    n: int, org: str = "Acme Logistics", partner: ChannelPartnerLink | None = None, **columns
) -> Customer:
    domain = f"{org.lower().replace(' ', '-')}-{n}.example"
    parent = partner.id if partner else ACCOUNT
    created = BASE + timedelta(hours=n)
    payload = {
        "name": f"{parent}/customers/S{n:05d}",
        "orgDisplayName": org,
        "orgPostalAddress": {"regionCode": columns.get("region_code", "US"), "postalCode": "94043"},
        "primaryContactInfo": {"firstName": "Ana", "lastName": "Costa", "email": f"ana@{domain}"},
        "domain": domain,
        "cloudIdentityId": f"C0{n:06d}",
        "cloudIdentityInfo": {"customerType": "DOMAIN", "primaryDomain": domain, "isDomainVerified": True},
        "correlationId": f"CRM-{n}",
        "languageCode": "en-US",
        "createTime": ts(created),
        "updateTime": ts(created + timedelta(days=1)),
    }
    if partner:
        payload["channelPartnerId"] = partner.payload["resellerCloudIdentityId"]
    fields = {
        "account_id": ACCOUNT.split("/")[1],
        "partner_link_id": partner.id if partner else None,
        "org_display_name": org,
        "domain": domain,
        "cloud_identity_id": payload["cloudIdentityId"],
        "channel_partner_id": payload.get("channelPartnerId", ""),
        "correlation_id": payload["correlationId"],
        "customer_type": "DOMAIN",
        "primary_contact_email": f"ana@{domain}",
        "region_code": "US",
        "create_time": created,
        "update_time": created + timedelta(days=1),
        **columns,
    }
    return _save(Customer, payload, **fields)


def entitlement(
    c: Customer,
    o: Offer,
    n: int,
    state: str = "ACTIVE",
    seats: int = 10,
    po: str = "",
    **columns,
) -> Entitlement:
    plan = o.payment_plan
    created = BASE + timedelta(days=n)
    end = created + timedelta(days=365)
    trial = plan == "TRIAL"
    parameters = [
        {"name": SEAT_PARAMETER[plan], "value": {"int64Value": str(seats)}, "editable": True},
        {"name": "assigned_units", "value": {"int64Value": str(seats // 2)}, "editable": False},
    ]
    _, pid, _, sid = o.sku_id.split("/")
    payload = {
        "name": f"{c.id}/entitlements/E{n:05d}",
        "createTime": ts(created),
        "updateTime": ts(created + timedelta(hours=n)),
        "offer": o.id,
        "provisioningState": state,
        "provisionedService": {"provisioningId": f"{9000000000 + n}", "productId": pid, "skuId": sid},
        "parameters": parameters,
        "trialSettings": {"trial": trial, **({"endTime": ts(created + timedelta(days=14))} if trial else {})},
    }
    if state == "SUSPENDED":
        payload["suspensionReasons"] = ["RESELLER_INITIATED"]
    if plan == "COMMITMENT":
        payload["commitmentSettings"] = {
            "startTime": ts(created),
            "endTime": ts(end),
            "renewalSettings": {"enableRenewal": True, "paymentPlan": "COMMITMENT"},
        }
    if po:
        payload["purchaseOrderId"] = po
    fields = {
        "customer_id": c.id,
        "customer_name": c.org_display_name,
        "offer_id": o.id,
        "sku_id": o.sku_id,
        "product_id": o.product_id,
        "provisioning_state": state,
        "suspension_reasons": payload.get("suspensionReasons", []),
        "payment_plan": plan,
        "num_units": seats if plan == "COMMITMENT" else None,
        "max_units": None if plan == "COMMITMENT" else seats,
        "assigned_units": seats // 2,
        "parameters": parameters,
        "commitment_start": created if plan == "COMMITMENT" else None,
        "commitment_end": end if plan == "COMMITMENT" else None,
        "trial": trial,
        "trial_end": created + timedelta(days=14) if trial else None,
        "provisioning_id": payload["provisionedService"]["provisioningId"],
        "purchase_order_id": po,
        "create_time": created,
        "update_time": created + timedelta(hours=n),
        **columns,
    }
    return _save(Entitlement, payload, **fields)


def change(e: Entitlement, change_type: str, minutes: int, operator: str = "") -> EntitlementChange:
    when = BASE + timedelta(minutes=minutes)
    payload = {
        "entitlement": e.id,
        "offer": e.offer_id,
        "provisionedService": e.payload["provisionedService"],
        "changeType": change_type,
        "createTime": ts(when),
        "operatorType": "RESELLER" if operator else "SYSTEM",
        "parameters": e.payload["parameters"],
    }
    if operator:
        payload["operator"] = operator
    if change_type == "SUSPENDED":
        payload["suspensionReason"] = "RESELLER_INITIATED"
    key = "ec-" + digest("|".join([e.id, payload["createTime"], change_type, operator]))
    return _save(
        EntitlementChange,
        payload,
        key=key,
        entitlement_id=e.id,
        customer_id=e.customer_id,
        change_type=change_type,
        operator_type=payload["operatorType"],
        operator=operator,
        reason=payload.get("suspensionReason", ""),
        offer_id=e.offer_id,
        create_time=when,
    )


def link(n: int, state: str = "ACTIVE") -> ChannelPartnerLink:
    created = BASE + timedelta(days=n)
    rid = f"{1000000000 + n}"
    payload = {
        "name": f"{ACCOUNT}/channelPartnerLinks/{rid}",
        "resellerCloudIdentityId": rid,
        "linkState": state,
        "inviteLinkUri": f"https://partners.google.com/invite?id={rid}",
        "createTime": ts(created),
        "updateTime": ts(created + timedelta(days=2)),
        "publicId": f"pub-{n}",
        "channelPartnerCloudIdentityInfo": {
            "primaryDomain": f"reseller-{n}.example",
            "customerType": "DOMAIN",
        },
    }
    return _save(
        ChannelPartnerLink,
        payload,
        reseller_cloud_identity_id=rid,
        link_state=state,
        public_id=payload["publicId"],
        invite_link_uri=payload["inviteLinkUri"],
        partner_domain=f"reseller-{n}.example",
        create_time=created,
        update_time=created + timedelta(days=2),
    )


def mark_gone(obj, reason: str = "cancelled", at: datetime = BASE + timedelta(days=400)):
    type(obj).objects.filter(pk=obj.pk).update(gone_at=at, gone_reason=reason)
    obj.refresh_from_db()
    return obj


# One-row makers for the per-endpoint tests (each call makes a new, distinct row).


def _n(model) -> int:
    return model.objects.count() + 1


def _offer():
    prod = ChannelProduct.objects.first() or product()
    s = Sku.objects.first() or sku(prod)
    return offer(s, f"O{_n(Offer):04d}")


def make_customer():
    return customer(_n(Customer))


def make_entitlement():
    return entitlement(Customer.objects.first() or make_customer(), _offer(), _n(Entitlement))


def make_change():
    e = Entitlement.objects.first() or make_entitlement()
    return change(e, "CREATED", _n(EntitlementChange))


def make_product():
    n = _n(ChannelProduct)
    return product(f"Product-{n}", f"Product {n}")


def make_sku():
    return sku(ChannelProduct.objects.first() or product(), f"10100{_n(Sku):05d}", f"SKU {_n(Sku)}")


def make_link():
    return link(_n(ChannelPartnerLink))


@dataclass(frozen=True)
class Endpoint:
    path: str  # under /api/v1/channel/
    make: Any
    perm: str
    filters: type
    key: str = "name"  # the JSON member holding the detail's lookup

    def __str__(self):
        return self.path

    def url(self, query: str = "") -> str:
        return f"/api/v1/channel/{self.path}" + (f"?{query}" if query else "")


ENDPOINTS = [
    Endpoint("customers", make_customer, "fulfillment.view_customer", filters.CustomerFilters),
    Endpoint("entitlements", make_entitlement, "fulfillment.view_entitlement", filters.EntitlementFilters),
    Endpoint(
        "entitlement-changes",
        make_change,
        "fulfillment.view_entitlementchange",
        filters.EntitlementChangeFilters,
        key="id",
    ),
    Endpoint("offers", _offer, "fulfillment.view_offer", filters.OfferFilters),
    Endpoint("products", make_product, "fulfillment.view_channelproduct", filters.ChannelProductFilters),
    Endpoint("skus", make_sku, "fulfillment.view_sku", filters.SkuFilters),
    Endpoint(
        "channel-partner-links",
        make_link,
        "fulfillment.view_channelpartnerlink",
        filters.ChannelPartnerLinkFilters,
    ),
]


def bearer(plain: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return client


def q(value: str) -> str:
    """A resource name as an RQL value: quoted (RQL refuses a bare slash), URL-encoded."""
    return quote(f'"{value}"', safe="")


@pytest.fixture
def world():
    """A reseller's little mirror: two products, offers, customers (one of a partner),
    entitlements in every state of interest, their history, partner links."""
    ws, voice = product(), product("Google-Voice", "Google Voice")
    starter, voice_std = sku(ws), sku(voice, "1010330004", "Google Voice Standard")
    annual, flex, trial = (
        offer(starter, "O0001"),
        offer(starter, "O0002", "FLEXIBLE"),
        offer(starter, "O0003", "TRIAL"),
    )
    voice_annual = offer(voice_std, "O0004")
    partner, revoked = link(1), link(2, "REVOKED")
    acme = customer(1, "Acme Logistics")
    blue = customer(2, "Blue Dental", region_code="ES")
    zen = customer(3, "Zenith Travel", partner=partner)
    ents = [
        entitlement(acme, annual, 1, seats=25, po="PO-1001"),
        entitlement(acme, voice_annual, 2, state="SUSPENDED", seats=5),
        entitlement(blue, flex, 3, seats=300),
        entitlement(blue, trial, 4, seats=10),
        entitlement(zen, annual, 5, state="SUSPENDED", seats=120, po="PO-2002"),
        mark_gone(entitlement(zen, flex, 6, seats=7), "transferred"),
    ]
    changes = [
        change(ents[0], "CREATED", 10),
        change(ents[1], "CREATED", 20),
        change(ents[1], "SUSPENDED", 30, operator="ops@reseller.example"),
        change(ents[4], "SUSPENDED", 40, operator="ops@reseller.example"),
        change(ents[5], "CANCELLED", 50),
    ]
    return {
        "products": [ws, voice],
        "skus": [starter, voice_std],
        "offers": [annual, flex, trial, voice_annual],
        "links": [partner, revoked],
        "customers": [acme, blue, zen],
        "entitlements": ents,
        "changes": changes,
    }


def names(response) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return [o.get("name") or o["id"] for o in response.json()]


# --- auth and permissions ------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_no_token_is_401_on_list_and_detail(anon, endpoint):
    obj = endpoint.make()
    for path in (endpoint.url(), f"{endpoint.url()}/{obj.pk}"):
        r = anon.get(path)
        assert r.status_code == 401, path
        assert r["WWW-Authenticate"] == "Bearer"
        assert r.json()["error_code"] == "AUTH_001"


def test_revoked_token_is_401(make_token):
    make_entitlement()
    token, plain = make_token(revoked_at=timezone.now())
    r = bearer(plain).get("/api/v1/channel/entitlements")
    assert r.status_code == 401 and r.json()["errors"] == ["Token revoked."]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_without_the_view_permission_is_403_and_with_it_200(make_token, endpoint):
    obj = endpoint.make()
    token, plain = make_token(username="nobody", groups=())
    client = bearer(plain)
    detail = f"{endpoint.url()}/{obj.pk}"
    assert client.get(endpoint.url()).status_code == 403
    r = client.get(detail)
    assert r.status_code == 403 and r.json()["error_code"] == "AUTH_002"
    app_label, codename = endpoint.perm.split(".")
    token.user.user_permissions.add(
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
    )
    client = bearer(plain)
    assert client.get(endpoint.url()).status_code == 200
    assert client.get(detail).status_code == 200


def test_readonly_role_reads_every_channel_endpoint(api):
    for endpoint in ENDPOINTS:
        endpoint.make()
        r = api.get(endpoint.url())
        assert r.status_code == 200, endpoint
        total = endpoint.filters.MODEL.objects.count()
        assert len(r.json()) == total and r["Content-Range"] == f"items 0-{total - 1}/{total}", endpoint


def test_a_view_permission_reads_only_its_collection(make_token):
    make_entitlement()
    token, plain = make_token(username="ents", groups=())
    token.user.user_permissions.add(
        Permission.objects.get(content_type__app_label="fulfillment", codename="view_entitlement")
    )
    client = bearer(plain)
    assert client.get("/api/v1/channel/entitlements").status_code == 200
    assert client.get("/api/v1/channel/customers").status_code == 403
    assert client.get("/api/v1/channel/entitlement-changes").status_code == 403


# --- shape and details ---------------------------------------------------------------------


def test_list_and_detail_serve_the_channel_payload_plus_our_fields(api, world):
    ent = world["entitlements"][0]
    r = api.get(f"/api/v1/channel/entitlements?eq(name,{q(ent.id)})")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/json")
    assert r.json() == [{**ent.payload, "goneTime": None, "goneReason": None}]
    detail = api.get(f"/api/v1/channel/entitlements/{ent.id}")
    assert detail.json() == {**ent.payload, "goneTime": None, "goneReason": None}
    assert detail.json()["provisionedService"]["skuId"] == "1010020027"  # Channel's own field, untouched


def test_gone_rows_are_listed_with_when_and_why(api, world):
    gone = world["entitlements"][5]
    body = api.get(f"/api/v1/channel/entitlements/{gone.id}").json()
    assert body["goneReason"] == "transferred"
    assert body["goneTime"] == ts(gone.gone_at) and body["goneTime"].endswith("Z")
    assert gone.id in names(api.get("/api/v1/channel/entitlements"))  # included by default
    assert names(api.get("/api/v1/channel/entitlements?eq(gone,true)")) == [gone.id]
    assert gone.id not in names(api.get("/api/v1/channel/entitlements?gone=false"))
    assert names(api.get("/api/v1/channel/entitlements?ne(gone,false)")) == [gone.id]
    assert names(api.get("/api/v1/channel/entitlements?ge(goneTime,2025-01-01T00:00:00Z)")) == [gone.id]
    assert len(names(api.get("/api/v1/channel/entitlements?eq(goneTime,null())"))) == 5


def test_a_change_carries_our_id_and_is_read_by_it(api, world):
    ch = world["changes"][2]
    (obj,) = api.get(f"/api/v1/channel/entitlement-changes?eq(id,{ch.id})").json()
    assert obj == {**ch.payload, "id": ch.id}
    assert "goneTime" not in obj
    assert api.get(f"/api/v1/channel/entitlement-changes/{ch.id}").json() == obj


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_detail_by_full_resource_name_and_json_404(api, endpoint):
    obj = endpoint.make()
    r = api.get(f"{endpoint.url()}/{obj.pk}")
    assert r.status_code == 200 and r.json()[endpoint.key] == obj.pk
    assert api.get(f"{endpoint.url()}/{obj.pk}/").json()[endpoint.key] == obj.pk  # trailing slash
    for missing in (f"{obj.pk}0", "NOPE-1", "accounts/X/customers/Y/entitlements/Z", f"{obj.pk}/more"):
        r = api.get(f"{endpoint.url()}/{missing}")
        assert r.status_code == 404, missing
        assert r.json() == {"error_code": "NOT_FOUND", "errors": ["Object not found."]}


def test_detail_takes_the_encoded_name_too(api, world):
    ent = world["entitlements"][0]
    assert api.get(f"/api/v1/channel/entitlements/{quote(ent.id, safe='')}").json()["name"] == ent.id


def test_partner_customers_are_read_by_their_own_name(api, world):
    zen = world["customers"][2]
    assert "/channelPartnerLinks/" in zen.id
    assert api.get(f"/api/v1/channel/customers/{zen.id}").json()["name"] == zen.id


# --- filters -------------------------------------------------------------------------------

STRING = L.string() - {L.NULL}
NUMERIC = L.numeric()


def _s(route):
    return {"orm_route": route, "lookups": set(STRING)}


def _fk(route):
    return {"orm_route": route, "lookups": set(L.string())}  # an FK's target: null() allowed


def _when(route):
    return {"orm_route": route, "lookups": set(NUMERIC)}


def _text(source):
    """An `indexed_text` filter (tests/fulfillment/channel/test_channel_search.py: what it matches)."""
    return {"text_source": source, "lookups": {L.EQ, L.NE, L.IN, L.OUT, L.LIKE, L.I_LIKE}, "custom": True}


GONE = {
    "gone": {"custom": True, "isnull_source": "gone_at", "lookups": {L.EQ, L.NE}},  # ours
    "goneTime": _when("gone_at"),
}
NAME = {"name": _fk("id")}

# Each filter class pinned: Channel's field name -> our column, lookups, ordering, search.
PINNED = {
    filters.CustomerFilters: (
        {
            "name": _text("id"),
            "orgDisplayName": _text("org_display_name"),
            "domain": _text("domain"),
            "cloudIdentityId": _s("cloud_identity_id"),
            "channelPartnerId": _s("channel_partner_id"),
            "correlationId": _text("correlation_id"),
            "primaryContactInfo.email": _text("primary_contact_email"),
            "orgPostalAddress.regionCode": _s("region_code"),
            "createTime": _when("create_time"),
            "updateTime": _when("update_time"),
            **GONE,
        },
        {
            "name",
            "orgDisplayName",
            "domain",
            "orgPostalAddress.regionCode",
            "createTime",
            "updateTime",
            "goneTime",
        },
        {"name", "orgDisplayName", "domain", "correlationId", "primaryContactInfo.email"},
    ),
    filters.EntitlementFilters: (
        {
            **NAME,
            "customer": _fk("customer__id"),
            "shortId": _text("short_id"),
            "customer.orgDisplayName": _text("org_display_name"),
            "customer.domain": _text("domain"),
            "offer": _fk("offer__id"),
            "provisioningState": _s("provisioning_state"),
            "sku": _s("sku_id"),
            "product": _s("product_id"),
            "provisionedService.provisioningId": _s("provisioning_id"),
            "commitmentSettings.endTime": _when("commitment_end"),
            "trialSettings.trial": {"orm_route": "trial", "lookups": {L.EQ, L.NE}},
            "trialSettings.endTime": _when("trial_end"),
            "purchaseOrderId": _s("purchase_order_id"),
            "paymentPlan": _s("payment_plan"),
            "parameters.num_units": _when("num_units"),
            "parameters.max_units": _when("max_units"),
            "createTime": _when("create_time"),
            "updateTime": _when("update_time"),
            **GONE,
        },
        {
            "name",
            "customer",
            "shortId",
            "provisioningState",
            "sku",
            "product",
            "commitmentSettings.endTime",
            "trialSettings.endTime",
            "parameters.num_units",
            "parameters.max_units",
            "createTime",
            "updateTime",
            "goneTime",
        },  # fmt: skip
        {"name", "provisionedService.provisioningId", "purchaseOrderId"},
    ),
    filters.EntitlementChangeFilters: (
        {
            "id": _fk("id"),
            "entitlement": _fk("entitlement__id"),
            "customer": _fk("customer__id"),
            "changeType": _s("change_type"),
            "operator": _s("operator"),
            "createTime": _when("create_time"),
        },
        {"id", "createTime"},
        {"operator"},
    ),
    filters.OfferFilters: (
        {
            **NAME,
            "sku.name": _fk("sku__id"),
            "sku.product.name": _fk("product__id"),
            "sku.marketingInfo.displayName": _s("display_name"),
            "plan.paymentPlan": _s("payment_plan"),
            **GONE,
        },
        {
            "name",
            "sku.name",
            "sku.product.name",
            "sku.marketingInfo.displayName",
            "plan.paymentPlan",
            "goneTime",
        },
        {"name", "sku.marketingInfo.displayName"},
    ),
    filters.ChannelProductFilters: (
        {**NAME, "marketingInfo.displayName": _s("display_name"), **GONE},
        {"name", "marketingInfo.displayName", "goneTime"},
        {"name", "marketingInfo.displayName"},
    ),
    filters.SkuFilters: (
        {**NAME, "product.name": _fk("product__id"), "marketingInfo.displayName": _s("display_name"), **GONE},
        {"name", "product.name", "marketingInfo.displayName", "goneTime"},
        {"name", "marketingInfo.displayName"},
    ),
    filters.ChannelPartnerLinkFilters: (
        {
            **NAME,
            "resellerCloudIdentityId": _s("reseller_cloud_identity_id"),
            "linkState": _s("link_state"),
            "channelPartnerCloudIdentityInfo.primaryDomain": _s("partner_domain"),
            "createTime": _when("create_time"),
            "updateTime": _when("update_time"),
            **GONE,
        },
        {
            "name",
            "linkState",
            "channelPartnerCloudIdentityInfo.primaryDomain",
            "createTime",
            "updateTime",
            "goneTime",
        },
        {"resellerCloudIdentityId", "channelPartnerCloudIdentityInfo.primaryDomain"},
    ),
}


@pytest.mark.parametrize("filter_cls", list(PINNED), ids=lambda c: c.__name__)
def test_filter_classes_are_pinned(filter_cls):
    wanted, ordering, search = PINNED[filter_cls]
    assert_filter_cls(filter_cls, wanted, ordering, search)
    instance = filter_cls(filter_cls.MODEL.objects.none())
    assert set(instance.filters) == set(wanted), "a filter added or removed: pin it here and in docs/api.md"


@pytest.mark.parametrize("filter_cls", list(PINNED), ids=lambda c: c.__name__)
def test_every_filter_and_ordering_reads_an_indexed_column(filter_cls):
    model = filter_cls.MODEL
    indexed = {"id"} | {fld.attname for fld in model._meta.concrete_fields if fld.db_index or fld.unique}
    leading = {model._meta.get_field(i.fields[0].lstrip("-")).attname for i in model._meta.indexes}
    instance = filter_cls(model.objects.none())
    for name, item in instance.filters.items():
        item = item[0] if isinstance(item, list) else item
        target = item["through"][1] if item.get("through") else model  # an IN subquery over target
        if item.get("through"):
            assert item["through"][0] in indexed | leading, name
        target_indexed = {"id"} | {
            fld.attname for fld in target._meta.concrete_fields if fld.db_index or fld.unique
        }
        route = item.get("isnull_source") or item.get("text_source") or item["orm_route"]
        column = target._meta.get_field(route.split("__")[0]).attname
        assert column in target_indexed | leading, f"{filter_cls.__name__}.{name} -> {column} has no index"


def _ents(world, predicate):
    return sorted(e.id for e in world["entitlements"] if predicate(e))


ENTITLEMENT_QUERIES = [
    ("eq(provisioningState,SUSPENDED)", lambda e: e.provisioning_state == "SUSPENDED"),
    ("provisioningState=ACTIVE", lambda e: e.provisioning_state == "ACTIVE"),
    ("customer={acme}", lambda e: e.customer_id.endswith("S00001")),
    ("eq(customer,{acme})", lambda e: e.customer_id.endswith("S00001")),
    ("eq(offer,{flex})", lambda e: e.offer_id.endswith("O0002")),
    ('eq(sku,"products/Google-Voice/skus/1010330004")', lambda e: "Voice" in e.sku_id),
    ('eq(product,"products/Google-Workspace")', lambda e: e.product_id == "products/Google-Workspace"),
    ("eq(provisionedService.provisioningId,9000000003)", lambda e: e.provisioning_id == "9000000003"),
    ("lt(commitmentSettings.endTime,2025-03-04T00:00:00Z)", lambda e: e.commitment_end and e.commitment_end.day < 4),
    ("eq(trialSettings.trial,true)", lambda e: e.trial),
    ("eq(trialSettings.trial,false)", lambda e: not e.trial),
    ("ge(trialSettings.endTime,2024-01-01T00:00:00Z)", lambda e: e.trial_end is not None),
    ("eq(purchaseOrderId,PO-2002)", lambda e: e.purchase_order_id == "PO-2002"),
    ("in(paymentPlan,(FLEXIBLE,TRIAL))", lambda e: e.payment_plan in ("FLEXIBLE", "TRIAL")),
    ("ge(parameters.num_units,100)", lambda e: (e.num_units or 0) >= 100),
    ("gt(parameters.max_units,9)", lambda e: (e.max_units or 0) > 9),
    ("eq(parameters.num_units,null())", lambda e: e.num_units is None),
    ("ge(createTime,2024-03-04T09:00:00Z)", lambda e: e.create_time >= BASE + timedelta(days=3)),
    ("lt(updateTime,2024-03-03T09:00:00.000000Z)", lambda e: e.update_time < datetime(2024, 3, 3, 9, tzinfo=UTC)),
    ("and(eq(provisioningState,SUSPENDED),eq(customer,{zen}))", lambda e: e.provisioning_state == "SUSPENDED" and "channelPartnerLinks" in e.id),
    ("eq(gone,false)", lambda e: e.gone_at is None),
    ("search=PO-1", lambda e: "PO-1" in e.purchase_order_id),
    ("search=E00003", lambda e: e.id.endswith("E00003")),
]  # fmt: skip


@pytest.mark.parametrize("query,expected", ENTITLEMENT_QUERIES, ids=[q for q, _ in ENTITLEMENT_QUERIES])
def test_entitlement_filters_match_the_orm(api, world, query, expected):
    acme, _, zen = world["customers"]
    query = query.format(acme=q(acme.id), zen=q(zen.id), flex=q(world["offers"][1].id))
    assert names(api.get(f"/api/v1/channel/entitlements?{query}&ordering(name)")) == _ents(world, expected)


def test_customer_filters(api, world):
    acme, blue, zen = world["customers"]
    base = "/api/v1/channel/customers"
    assert names(api.get(f"{base}?eq(orgDisplayName,Blue%20Dental)")) == [blue.id]
    assert names(api.get(f"{base}?eq(domain,{acme.domain})")) == [acme.id]
    assert names(api.get(f"{base}?eq(cloudIdentityId,{zen.cloud_identity_id})")) == [zen.id]
    assert names(api.get(f"{base}?eq(channelPartnerId,{world['links'][0].reseller_cloud_identity_id})")) == [
        zen.id
    ]
    assert names(api.get(f"{base}?eq(correlationId,CRM-2)")) == [blue.id]
    assert names(api.get(f"{base}?eq(orgPostalAddress.regionCode,ES)")) == [blue.id]
    assert names(api.get(f"{base}?eq(primaryContactInfo.email,ana@{acme.domain})")) == [acme.id]
    assert names(api.get(f"{base}?gt(createTime,2024-03-01T11:00:00Z)")) == [zen.id]
    assert names(api.get(f"{base}?lt(updateTime,2024-03-02T10:30:00%2B00:00)")) == [acme.id]
    assert names(api.get(f"{base}?ilike(orgDisplayName,blue*)")) == [blue.id]  # the start, any case
    assert api.get(f"{base}?ilike(orgDisplayName,*dental*)").status_code == 400  # would scan
    assert names(api.get(f"{base}?search=zenith")) == [zen.id]  # display name or domain
    assert names(api.get(f"{base}?search=blue-dental")) == [blue.id]
    assert names(api.get(f"{base}?eq(gone,true)")) == []
    assert names(api.get(f"{base}?eq(name,{q(zen.id)})")) == [zen.id]


def test_change_filters_and_history_since(api, world):
    ents, changes = world["entitlements"], world["changes"]
    base = "/api/v1/channel/entitlement-changes"
    assert names(api.get(f"{base}?eq(entitlement,{q(ents[1].id)})")) == [changes[2].id, changes[1].id]
    assert names(api.get(f"{base}?eq(changeType,SUSPENDED)&ordering(createTime)")) == [
        changes[2].id,
        changes[3].id,
    ]
    assert names(api.get(f"{base}?eq(operator,ops@reseller.example)&ordering(-createTime)")) == [
        changes[3].id,
        changes[2].id,
    ]
    since = ts(BASE + timedelta(minutes=30))
    assert names(api.get(f"{base}?ge(createTime,{since})&ordering(createTime)")) == [
        c.id for c in changes[2:]
    ]
    customer = world["customers"][2].id
    assert names(api.get(f"{base}?eq(customer,{q(customer)})&ordering(createTime)")) == [
        changes[3].id,
        changes[4].id,
    ]
    assert names(api.get(f"{base}?search=ops@")) == [changes[3].id, changes[2].id]  # newest first
    assert api.get(f"{base}?eq(changeType,TELEPORTED)").json()["error_code"] == "RQL_003"


def test_catalog_and_link_filters(api, world):
    annual, flex, trial, voice = world["offers"]
    base = "/api/v1/channel/offers"
    starter = world["skus"][0]
    assert names(api.get(f"{base}?eq(sku.name,{q(starter.id)})&ordering(name)")) == [
        annual.id,
        flex.id,
        trial.id,
    ]
    assert names(api.get(f'{base}?eq(sku.product.name,"products/Google-Voice")')) == [voice.id]
    assert names(api.get(f"{base}?eq(plan.paymentPlan,TRIAL)")) == [trial.id]
    assert names(api.get(f"{base}?ilike(sku.marketingInfo.displayName,*voice*)")) == [voice.id]
    assert names(api.get(f"{base}?search=voice")) == [voice.id]
    assert names(api.get(f"{base}?ordering(-plan.paymentPlan,name)")) == [
        trial.id,
        flex.id,
        annual.id,
        voice.id,
    ]
    ws, voice_product = world["products"]
    assert names(api.get("/api/v1/channel/products?eq(marketingInfo.displayName,Google%20Voice)")) == [
        voice_product.id
    ]
    assert names(api.get("/api/v1/channel/products")) == [voice_product.id, ws.id]  # by display name
    assert names(api.get(f"/api/v1/channel/skus?eq(product.name,{q(voice_product.id)})")) == [
        world["skus"][1].id
    ]
    partner, revoked = world["links"]
    base = "/api/v1/channel/channel-partner-links"
    assert names(api.get(f"{base}?eq(linkState,REVOKED)")) == [revoked.id]
    assert names(api.get(f"{base}?eq(resellerCloudIdentityId,{partner.reseller_cloud_identity_id})")) == [
        partner.id
    ]
    assert names(api.get(f"{base}?eq(channelPartnerCloudIdentityInfo.primaryDomain,reseller-2.example)")) == [
        revoked.id
    ]
    assert names(api.get(base)) == [revoked.id, partner.id]  # newest first
    mark_gone(revoked, "deleted")
    assert names(api.get(f"{base}?eq(gone,true)")) == [revoked.id]


# --- ordering, select, pagination ----------------------------------------------------------

ORDERINGS = [
    ("-updateTime", ["-update_time"]),
    ("provisioningState,-createTime", ["provisioning_state", "-create_time"]),
    ("customer,name", ["customer_id", "id"]),
    ("-parameters.num_units", ["-num_units"]),
    ("commitmentSettings.endTime", ["commitment_end"]),
    ("-name", ["-id"]),
]


@pytest.mark.parametrize("ordering,columns", ORDERINGS, ids=[o for o, _ in ORDERINGS])
def test_ordering_is_stable_and_matches_the_orm(api, world, ordering, columns):
    tiebreak = "-id" if columns[-1].startswith("-") else "id"
    order = columns if columns[-1].lstrip("-") == "id" else [*columns, tiebreak]
    expected = list(Entitlement.objects.order_by(*order).values_list("id", flat=True))
    assert names(api.get(f"/api/v1/channel/entitlements?ordering({ordering})")) == expected


def test_default_orderings(api, world):
    ents = world["entitlements"]
    assert names(api.get("/api/v1/channel/entitlements")) == [e.id for e in reversed(ents)]
    assert names(api.get("/api/v1/channel/customers")) == [c.id for c in world["customers"]]  # A, B, Z
    assert names(api.get("/api/v1/channel/entitlement-changes")) == [c.id for c in reversed(world["changes"])]


def test_ordering_by_an_unorderable_field_is_400(api, world):
    r = api.get("/api/v1/channel/entitlements?ordering(purchaseOrderId)")
    assert r.status_code == 400 and r.json()["error_code"] == "RQL_001"


def test_select_removes_properties_in_list_and_detail(api, world):
    ent = world["entitlements"][0]
    query = f"eq(name,{q(ent.id)})&select(-parameters,-provisionedService.provisioningId,-goneReason)"
    (obj,) = api.get(f"/api/v1/channel/entitlements?{query}").json()
    assert "parameters" not in obj and "goneReason" not in obj and "goneTime" in obj
    assert obj["provisionedService"] == {"productId": "Google-Workspace", "skuId": "1010020027"}
    detail = api.get(
        f"/api/v1/channel/entitlements/{ent.id}?select(-commitmentSettings.renewalSettings)"
    ).json()
    assert "renewalSettings" not in detail["commitmentSettings"] and "endTime" in detail["commitmentSettings"]
    offer_obj = api.get(f"/api/v1/channel/offers/{world['offers'][0].id}?select(-sku.product)").json()
    assert "product" not in offer_obj["sku"] and offer_obj["sku"]["name"] == world["skus"][0].id


def test_pagination_headers(api, world):
    r = api.get("/api/v1/channel/entitlements?limit=4")
    assert r["Content-Range"] == "items 0-3/6" and len(r.json()) == 4
    r = api.get("/api/v1/channel/entitlements?limit=4&offset=4")
    assert r["Content-Range"] == "items 4-5/6" and len(r.json()) == 2
    r = api.get("/api/v1/channel/entitlements?eq(provisioningState,SUSPENDED)&limit=0")
    assert r.json() == [] and r["Content-Range"] == "items 0-0/2"
    r = api.get("/api/v1/channel/entitlements?eq(purchaseOrderId,none)")
    assert r.json() == [] and r["Content-Range"] == "items 0-0/0"
    assert api.get("/api/v1/channel/entitlements?limit=1001").json()["error_code"] == "PAGE_001"


def test_count_is_capped_then_estimated(api, world, settings):
    settings.API_COUNT_CAP = 3
    r = api.get("/api/v1/channel/entitlements?eq(gone,false)&limit=2")
    assert r["X-Total-Count-Estimated"] == "true"
    r = api.get("/api/v1/channel/entitlements?eq(gone,false)&limit=2&offset=4")
    assert r["Content-Range"] == "items 4-4/5" and "X-Total-Count-Estimated" not in r


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_query_count_does_not_grow_with_page_size(api, django_assert_num_queries, endpoint):
    for _ in range(3):
        endpoint.make()
    api.get(endpoint.url("limit=1"))  # warm up: token last use, cached permissions
    # token (1) + count (1) + page (1); on PostgreSQL an unfiltered list first asks the
    # planner for the table's size (pg_class, 1); and the statement timeout's own.
    probe = connection.vendor == "postgresql"
    for limit in (1, 100):
        with django_assert_num_queries(3 + probe + TIMEOUT_QUERIES):
            r = api.get(endpoint.url(f"limit={limit}"))
        assert r.status_code == 200 and len(r.json()) == min(limit, 3)
    obj = endpoint.make()
    with django_assert_num_queries(2 + TIMEOUT_QUERIES):  # token + the row
        assert api.get(f"{endpoint.url()}/{obj.pk}").status_code == 200


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query,code,fragment",
    [
        ("eq(nope,1)", "RQL_002", "Unknown filter 'nope'"),
        ("eq(provisioned_state,ACTIVE)", "RQL_002", "Filters here:"),
        ("eq(customer,accounts/A/customers/C)", "RQL_001", "Invalid RQL"),  # names are quoted
        ("eq(provisioningState,CANCELLED)", "RQL_003", "provisioningState"),  # not a Channel state
        ("eq(gone,maybe)", "RQL_003", "gone"),
        ("eq(gone,null())", "RQL_003", "gone"),
        ("gt(gone,true)", "RQL_002", "gone"),
        ("eq(createTime,yesterday)", "RQL_003", "createTime"),
        ("eq(parameters.num_units,ten)", "RQL_003", "num_units"),
        ("eq(trialSettings.trial,perhaps)", "RQL_003", "trial"),
        ("gt(provisioningState,ACTIVE)", "RQL_002", "provisioningState"),
        ("ordering(offer)", "RQL_001", "ordering"),
        ("and(eq(paymentPlan,FLEXIBLE)", "RQL_001", "Invalid RQL"),
        ("offset=99999999", "PAGE_001", "offset"),
        ("select(-a..b)", "RQL_001", ""),
    ],
)
def test_bad_queries_are_400_json_with_the_reason(api, world, query, code, fragment):
    r = api.get(f"/api/v1/channel/entitlements?{query}")
    assert r.status_code == 400, r.content
    body = r.json()
    assert body["error_code"] == code
    assert fragment in " ".join(body["errors"]), body


# --- OpenAPI -------------------------------------------------------------------------------


def test_schema_documents_every_channel_endpoint_and_its_rql():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    for endpoint in ENDPOINTS:
        base = (
            f"/api/v1/channel/{endpoint.path}/"  # the router's optional slash, as written by drf-spectacular
        )
        op = paths[base]["get"]
        documented = {p["name"] for p in op["parameters"] if p["in"] == "query"}
        assert set(PINNED[endpoint.filters][0]) <= documented, endpoint
        assert {"limit", "offset"} <= documented
        assert "**ordering():**" in op["description"] and "**Filters:**" in op["description"]
        detail = paths[f"{base}{{{endpoint.key}}}/"]["get"]
        (param,) = [p for p in detail["parameters"] if p["in"] == "path"]
        assert param["name"] == endpoint.key and param["schema"]["type"] == "string"
        assert "e.g." in param["description"]
    gone = next(p for p in paths["/api/v1/channel/entitlements/"]["get"]["parameters"] if p["name"] == "gone")
    assert gone["schema"] == {"type": "boolean"} and "Ours" in gone["description"]


def test_every_channel_example_of_the_docs_answers(api, world):
    """docs/api.md's Channel examples are real queries: each one parses and filters here."""
    text = (ROOT / "docs" / "api.md").read_text()
    section = text.split("## Google Cloud Channel", 1)[1].split("\n## ", 1)[0]
    examples = re.findall(r"`(/channel/[^` ]+)`", section)
    assert len(examples) >= 15
    for example in examples:
        path, _, query = example.partition("?")
        r = api.get(f"/api/v1{path}?{quote(query, safe='(),=&*.-+/:')}")
        assert r.status_code == 200, (example, r.content[:300])
    suspended = api.get(
        "/api/v1/channel/entitlement-changes?and(eq(changeType,SUSPENDED),ne(operator,empty()))"
    )
    assert len(suspended.json()) == 2
