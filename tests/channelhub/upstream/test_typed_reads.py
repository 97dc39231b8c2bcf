"""The clients' typed reads against the sandbox over real HTTP: each reads what its name says
(the path and query it sends, the object it returns), and a missing object is not found."""

from __future__ import annotations

import urllib.parse

import pytest
import requests

from channelhub.upstream.channel import ChannelClient
from channelhub.upstream.connect import ConnectClient
from channelhub.upstream.errors import UpstreamNotFound


def control(sandbox, method: str, what: str, body: dict | None = None):
    response = requests.request(method, f"{sandbox.url}/_sandbox/{what}", json=body, timeout=30)
    response.raise_for_status()
    return response.json() if response.content else None


def calls(sandbox, fragment: str) -> list[dict]:
    """The upstream requests the sandbox logged whose path holds `fragment`."""
    return [e for e in control(sandbox, "GET", "log?limit=10000") if fragment in e["path"]]


# --- Connect -------------------------------------------------------------------------------


@pytest.fixture
def connect(connect_settings) -> ConnectClient:
    return ConnectClient.from_settings()


def first(connect: ConnectClient, path: str, **kwargs) -> dict:
    items = connect.list_page(path, limit=1, **kwargs).items
    assert items, f"the sandbox has nothing under {path}; the test proves nothing"
    return items[0]


@pytest.mark.parametrize(
    ("method", "collection"),
    [
        ("get_request", "/requests"),
        ("get_asset", "/assets"),
        ("get_tier_config", "/tier/configs"),
        ("get_tier_config_request", "/tier/config-requests"),
        ("get_product", "/products"),
    ],
)
def test_connect_single_object_reads(connect, connect_settings, method, collection):
    listed = first(connect, collection)
    got = getattr(connect, method)(listed["id"])
    assert got["id"] == listed["id"]
    assert got.get("status") == listed.get("status")
    assert [e["method"] for e in calls(connect_settings, f"{collection}/{listed['id']}")] == ["GET"]
    with pytest.raises(UpstreamNotFound):
        getattr(connect, method)(f"{listed['id'][:3]}0000-0000-0000-nope")


def test_connect_template_of_a_product(connect):
    for product in connect.iter_all("/products"):
        templates = connect.list_page(f"/products/{product['id']}/templates", limit=1).items
        if templates:
            break
    else:
        pytest.fail("no product of the sandbox has a template; the test proves nothing")
    template = connect.get_template(product_id=product["id"], template_id=templates[0]["id"])
    assert template["id"] == templates[0]["id"]
    assert template.get("title") == templates[0].get("title")
    with pytest.raises(UpstreamNotFound):
        connect.get_template(product_id=product["id"], template_id="TL-000-000-000")


def test_connect_conversation_by_its_id_or_its_objects(connect):
    conversation = first(connect, "/conversations", filters="like(instance_id,PR-*)")
    by_id = connect.get_conversation(conversation["id"])
    assert by_id["id"] == conversation["id"]
    by_object = connect.get_conversation(conversation["instance_id"])
    assert by_object["instance_id"] == conversation["instance_id"]
    with pytest.raises(UpstreamNotFound):
        connect.get_conversation("CO-000-000-000")


def test_connect_recent_messages_newest_first(connect):
    for conversation in connect.iter_all("/conversations"):
        every = list(connect.iter_all(f"/conversations/{conversation['id']}/messages"))
        if len(every) >= 2:
            break
    else:
        pytest.fail("no conversation of the sandbox has two messages; the test proves nothing")
    recent = connect.recent_messages(conversation["id"], limit=2)
    assert len(recent) == 2
    assert recent[0]["created"] >= recent[1]["created"]
    assert {m["id"] for m in recent} <= {m["id"] for m in every}
    newest = max(m["created"] for m in every)
    assert recent[0]["created"] == newest


# --- Cloud Channel -------------------------------------------------------------------------


@pytest.fixture
def channel(channel_settings) -> ChannelClient:
    return ChannelClient.from_settings()


def customers(channel: ChannelClient) -> list[dict]:
    return list(channel.iter_all(f"{channel.account}/customers", "customers", page_size=50))


def customer_with_entitlements(channel: ChannelClient) -> tuple[dict, list[dict]]:
    for customer in customers(channel):
        if customer.get("channelPartnerId"):
            continue
        entitlements = list(channel.iter_all(f"{customer['name']}/entitlements", "entitlements"))
        if entitlements:
            return customer, entitlements
    pytest.fail("no customer of the sandbox has an entitlement; the test proves nothing")


def test_channel_get_customer_entitlement_and_link(channel):
    customer, entitlements = customer_with_entitlements(channel)
    assert channel.get_customer(customer["name"]) == customer
    assert channel.get_entitlement(entitlements[0]["name"])["name"] == entitlements[0]["name"]
    links = list(channel.iter_all(f"{channel.account}/channelPartnerLinks", "channelPartnerLinks"))
    assert links, "the sandbox has no partner link; the test proves nothing"
    assert channel.get_channel_partner_link(links[0]["name"])["name"] == links[0]["name"]
    with pytest.raises(UpstreamNotFound):
        channel.get_customer(f"{channel.account}/customers/nobody")
    with pytest.raises(UpstreamNotFound):
        channel.get_entitlement(f"{customer['name']}/entitlements/nothing")


def test_channel_customer_entitlements_every_page(channel, channel_settings):
    customer, entitlements = customer_with_entitlements(channel)
    by_one = list(channel.iter_all(f"{customer['name']}/entitlements", "entitlements", page_size=1))
    got = channel.customer_entitlements(customer=customer["name"])
    assert [e["name"] for e in got] == [e["name"] for e in entitlements] == [e["name"] for e in by_one]
    assert all(e["name"].startswith(f"{customer['name']}/entitlements/") for e in got)
    sent = calls(channel_settings, f"{customer['name']}/entitlements")
    assert {e["method"] for e in sent} == {"GET"}
    with pytest.raises(UpstreamNotFound):
        channel.customer_entitlements(customer=f"{channel.account}/customers/nobody")


def test_channel_lookup_offer_of_an_entitlement(channel, channel_settings):
    _, entitlements = customer_with_entitlements(channel)
    offer = channel.lookup_offer(entitlement=entitlements[0]["name"])
    assert offer["name"] == entitlements[0]["offer"]
    assert [e["method"] for e in calls(channel_settings, ":lookupOffer")] == ["GET"]


def test_channel_cloud_identity_check(channel, channel_settings):
    with_identity = next(c for c in customers(channel) if c.get("cloudIdentityId"))
    owned = channel.check_cloud_identity_accounts_exist(domain=with_identity["domain"])
    assert any(a["owned"] and a["customerName"] == with_identity["name"] for a in owned)
    assert channel.check_cloud_identity_accounts_exist(domain="taken.example") == [
        {"existing": True, "owned": False, "customerType": "DOMAIN"}
    ]
    assert channel.check_cloud_identity_accounts_exist(domain="nobody-has-this.example") == []
    sent = calls(channel_settings, ":checkCloudIdentityAccountsExist")
    assert [(e["method"], e["path"]) for e in sent] == [
        ("POST", f"/v1/{channel.account}:checkCloudIdentityAccountsExist")
    ] * 3


def test_channel_cloud_identity_check_is_retried_like_a_read(channel, channel_settings):
    # A POST is not resent after a 500 (it may have been applied); this one changes nothing.
    control(channel_settings, "POST", "faults", {"next": ["500"], "path": "checkCloudIdentityAccountsExist"})
    assert channel.check_cloud_identity_accounts_exist(domain="taken.example")[0]["existing"] is True
    assert len(calls(channel_settings, ":checkCloudIdentityAccountsExist")) == 2


def test_channel_customers_with_domain(channel):
    customer = next(c for c in customers(channel) if c.get("domain"))
    found = channel.customers_with_domain(domain=customer["domain"].upper())
    assert [c["name"] for c in found] == [customer["name"]]
    assert channel.customers_with_domain(domain="nobody-has-this.example") == []


def test_channel_purchasable_offers_to_change_and_to_buy(channel, channel_settings):
    customer, entitlements = customer_with_entitlements(channel)
    entitlement = entitlements[0]
    change = channel.purchasable_offers(customer=customer["name"], entitlement=entitlement["name"])
    raw = channel.iter_all(
        f"{customer['name']}:listPurchasableOffers",
        "purchasableOffers",
        params={"changeOfferPurchase.entitlement": entitlement["name"]},
    )
    assert change == [item["offer"] for item in raw]
    assert all(o["name"] != entitlement["offer"] for o in change)

    sku = entitlement["provisionedService"]["skuId"]
    product = entitlement["provisionedService"]["productId"]
    buy = channel.purchasable_offers(customer=customer["name"], sku=f"products/{product}/skus/{sku}")
    assert buy, "no offer of the entitlement's own SKU is purchasable; the test proves nothing"
    assert {o["sku"]["name"] for o in buy} == {f"products/{product}/skus/{sku}"}
    assert len(channel.purchasable_offers(customer=customer["name"], sku=buy[0]["sku"]["name"], limit=1)) == 1
    queries = [
        dict(urllib.parse.parse_qsl(e["query"])) for e in calls(channel_settings, ":listPurchasableOffers")
    ]
    assert {"changeOfferPurchase.entitlement": entitlement["name"]}.items() <= queries[0].items()
    assert "changeOfferPurchase.newSku" not in queries[0]
    assert queries[-1]["createEntitlementPurchase.sku"] == buy[0]["sku"]["name"]


def test_channel_purchasable_skus(channel):
    customer, entitlements = customer_with_entitlements(channel)
    product = f"products/{entitlements[0]['provisionedService']['productId']}"
    skus = channel.purchasable_skus(customer=customer["name"], product=product)
    assert skus and all(s["name"].startswith(f"{product}/skus/") for s in skus)
    for change_type in ("UPGRADE", "DOWNGRADE"):
        moves = channel.purchasable_skus(
            customer=customer["name"], entitlement=entitlements[0]["name"], change_type=change_type
        )
        assert all(s["name"].startswith(f"{product}/skus/") for s in moves)


@pytest.mark.parametrize("method", ["purchasable_offers", "purchasable_skus"])
def test_channel_purchasable_needs_one_purchase(channel, method):
    with pytest.raises(ValueError, match="one of the two"):
        getattr(channel, method)(customer=f"{channel.account}/customers/x")
    other = {"sku": "products/p/skus/s"} if method == "purchasable_offers" else {"product": "products/p"}
    with pytest.raises(ValueError, match="one of the two"):
        getattr(channel, method)(customer=f"{channel.account}/customers/x", entitlement="e", **other)
