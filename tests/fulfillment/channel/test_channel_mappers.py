"""Cloud Channel mappers: payloads taken from the sandbox, plus the wire's odd corners."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from channelhub.upstream.channel import ChannelClient
from fulfillment.channel import mappers
from fulfillment.models import Customer, Entitlement, EntitlementChange, Offer


@pytest.fixture
def served(channel_settings) -> dict:
    """One of each resource, as the sandbox serves it."""
    client = ChannelClient.from_settings()
    account = client.account
    customers = list(client.iter_all(f"{account}/customers", "customers", page_size=50))
    entitlements = [
        e for c in customers for e in client.iter_all(f"{c['name']}/entitlements", "entitlements")
    ]
    offers = {o["name"]: o for o in client.iter_all(f"{account}/offers", "offers", page_size=1000)}
    links = list(
        client.iter_all(f"{account}/channelPartnerLinks", "channelPartnerLinks", params={"view": "FULL"})
    )
    changes = [
        ch
        for c in customers[:10]
        for ch in client.iter_all(f"{c['name']}/entitlements/-:listEntitlementChanges", "entitlementChanges")
    ]
    return {
        "account": account,
        "customers": customers,
        "entitlements": entitlements,
        "offers": offers,
        "links": links,
        "products": list(client.iter_all("products", "products", params={"account": account})),
        "skus": list(client.iter_all("products/-/skus", "skus", params={"account": account})),
        "changes": changes,
    }


def only_model_fields(model, fields: dict) -> None:
    names = {f.attname for f in model._meta.concrete_fields}
    assert set(fields) <= names - {"id", "payload", "payload_hash", "synced_at", "gone_at", "gone_reason"}


def test_entitlements_from_the_sandbox(served):
    by_plan = {}
    for payload in served["entitlements"]:
        offer = served["offers"][payload["offer"]]
        fields = mappers.map_entitlement(payload, customer_name="Acme", offer=offer)
        only_model_fields(Entitlement, fields)
        assert fields["customer_id"] == payload["name"].split("/entitlements/")[0]
        assert fields["payment_plan"] == offer["plan"]["paymentPlan"]
        assert fields["sku_id"] == offer["sku"]["name"]
        assert fields["product_id"] == offer["sku"]["product"]["name"]
        assert fields["provisioning_state"] == payload["provisioningState"]
        params = {p["name"]: p["value"] for p in payload.get("parameters", [])}
        for key in ("num_units", "max_units", "assigned_units"):
            if key in params:
                assert isinstance(params[key]["int64Value"], str)  # int64 travels as a string...
                assert fields[key] == int(params[key]["int64Value"])  # ...and is stored as a number
            else:
                assert fields[key] is None
        by_plan.setdefault(fields["payment_plan"], fields)
    commitment = by_plan["COMMITMENT"]
    assert commitment["payment_cycle"] == "1 YEAR"
    assert commitment["commitment_end"] > commitment["commitment_start"]
    assert commitment["renewal_enabled"] in (True, False)
    assert by_plan["FLEXIBLE"]["payment_cycle"] == "1 MONTH"
    assert by_plan["FLEXIBLE"]["renewal_enabled"] is None
    assert by_plan["TRIAL"]["trial"] is True and by_plan["TRIAL"]["trial_end"]
    assert any(e.get("suspensionReasons") for e in served["entitlements"])


def test_entitlement_plan_without_the_offer():
    trial = {"name": "accounts/A/customers/C/entitlements/E", "trialSettings": {"trial": True}}
    assert mappers.map_entitlement(trial)["payment_plan"] == "TRIAL"
    commitment = {
        "name": "accounts/A/customers/C/entitlements/E",
        "commitmentSettings": {
            "renewalSettings": {
                "paymentPlan": "COMMITMENT",
                "paymentCycle": {"duration": 1, "periodType": "YEAR"},
            }
        },
        "provisionedService": {
            "productId": "Google-Workspace",
            "skuId": "1010020027",
            "provisioningId": "123",
        },
    }
    fields = mappers.map_entitlement(commitment)
    assert (fields["payment_plan"], fields["payment_cycle"]) == ("COMMITMENT", "1 YEAR")
    assert fields["sku_id"] == "products/Google-Workspace/skus/1010020027"
    assert fields["renewal_enabled"] is False  # proto3 JSON leaves false out
    assert mappers.map_entitlement({"name": "x"})["customer_id"] is None


def test_customers_offers_links_catalog_from_the_sandbox(served):
    for payload in served["customers"]:
        fields = mappers.map_customer(payload)
        only_model_fields(Customer, fields)
        assert fields["account_id"] == served["account"].split("/")[1]
        assert fields["org_display_name"] == payload["orgDisplayName"]
        assert fields["region_code"] == payload["orgPostalAddress"]["regionCode"]
        if payload.get("channelPartnerId"):
            assert (
                fields["partner_link_id"]
                == f"{served['account']}/channelPartnerLinks/{payload['channelPartnerId']}"
            )
        else:
            assert fields["partner_link_id"] is None
        if "cloudIdentityInfo" in payload:
            assert fields["customer_type"] == payload["cloudIdentityInfo"]["customerType"]
            assert isinstance(fields["is_domain_verified"], bool)
        else:
            assert fields["is_domain_verified"] is None
    assert any(mappers.map_customer(p)["partner_link_id"] for p in served["customers"])

    for payload in served["offers"].values():
        fields = mappers.map_offer(payload)
        only_model_fields(Offer, fields)
        assert fields["sku_id"] == payload["sku"]["name"]
        assert fields["display_name"] == payload["sku"]["marketingInfo"]["displayName"]
    plans = {mappers.map_offer(p)["payment_plan"]: mappers.map_offer(p) for p in served["offers"].values()}
    assert plans["TRIAL"]["trial_period"] == "14 DAY"
    assert plans["COMMITMENT"]["payment_type"] == "PREPAY"

    for payload in served["links"]:
        fields = mappers.map_channel_partner_link(payload)
        assert fields["partner_domain"] == payload["channelPartnerCloudIdentityInfo"]["primaryDomain"]
        assert fields["link_state"] == payload["linkState"]
    for payload in served["skus"]:
        assert mappers.map_sku(payload)["product_id"] == payload["name"].split("/skus/")[0]
    assert all(mappers.map_channel_product(p)["display_name"] for p in served["products"])


def test_changes_from_the_sandbox(served):
    assert served["changes"]
    keys = set()
    for payload in served["changes"]:
        fields = mappers.map_entitlement_change(payload)
        only_model_fields(EntitlementChange, fields)
        assert fields["entitlement_id"] == payload["entitlement"]
        assert fields["customer_id"] == payload["entitlement"].split("/entitlements/")[0]
        key = mappers.change_key(payload)
        assert key.startswith("ec-") and len(key) == 35
        assert mappers.change_key(dict(payload)) == key  # stable
        keys.add(key)
    assert len(keys) == len(served["changes"])
    suspended = next(c for c in served["changes"] if c["changeType"] == "SUSPENDED")
    assert mappers.map_entitlement_change(suspended)["reason"] == suspended["suspensionReason"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-04T05:06:07Z", datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)),
        ("2025-03-04T05:06:07.123Z", datetime(2025, 3, 4, 5, 6, 7, 123000, tzinfo=UTC)),
        ("2025-03-04T05:06:07.123456Z", datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)),
        ("2025-03-04T05:06:07.123456789Z", datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)),
        ("2025-03-04T07:06:07.5+02:00", datetime(2025, 3, 4, 5, 6, 7, 500000, tzinfo=UTC)),
        ("", None),
        (None, None),
        ("not a time", None),
    ],
)
def test_parse_time(text, expected):
    assert mappers.parse_time(text) == expected


def test_wire_odd_corners():
    assert mappers.int64("12") == 12 and mappers.int64(7) == 7
    assert mappers.int64("x") is None and mappers.int64(None) is None and mappers.int64(True) is None
    assert mappers.parameter_value({"int64Value": "9223372036854775807"}) == 2**63 - 1
    assert mappers.parameter_value({"stringValue": "a"}) == "a"
    assert mappers.parameter_value({"boolValue": False}) is False
    assert mappers.period({"duration": 14, "periodType": "DAY"}) == "14 DAY"
    assert mappers.period(None) == ""
    # unknown enum values are kept as they came
    assert (
        mappers.map_entitlement({"name": "x", "provisioningState": "SOMETHING_NEW"})["provisioning_state"]
        == "SOMETHING_NEW"
    )
    assert mappers.map_customer({"name": "accounts/A/channelPartnerLinks/P/customers/C"})[
        "partner_link_id"
    ] == ("accounts/A/channelPartnerLinks/P")
