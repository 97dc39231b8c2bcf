"""Cloud Channel transfers in the sandbox through google-api-python-client, unchanged: the
customers held elsewhere (seed_transfers.py's planned cases, their tokens from GET
/_sandbox/channel), listTransferableSkus / listTransferableOffers, customers:import,
transferEntitlements (LRO) and transferEntitlementsToGoogle (LRO), and life's transfers away."""

import json
import random
import time

import pytest
import requests
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from channelhub.sandbox.channel import life

from .conftest import ACCOUNT, request_id

STANDARD = "products/Google-Workspace/skus/1010020028"
STARTER = "products/Google-Workspace/skus/1010020027"
PLUS = "products/Google-Workspace/skus/1010020025"
VOICE = "products/Google-Voice/skus/1010330004"
VOICE_STARTER = "products/Google-Voice/skus/1010330003"
MEET = "products/Google-Meet-Hardware/skus/1010230001"
CHROME = "products/Google-Chrome/skus/1010400001"
CI_FREE = "products/Cloud-Identity/skus/1010010001"


@pytest.fixture
def service(sandbox, channel_credentials):
    return build(
        "cloudchannel",
        "v1",
        static_discovery=True,
        credentials=channel_credentials,
        client_options={"api_endpoint": sandbox.channel_url},
    )


@pytest.fixture
def world(sandbox):
    """The foreign customers GET /_sandbox/channel lists, in seed order (the planned eight first)."""
    return requests.get(f"{sandbox.url}/_sandbox/channel", timeout=5).json()["transferable_customers"]


def case(world, number: int) -> dict:
    return world[number - 1]


def error(caught) -> tuple[int, str, str | None, str]:
    """(HTTP status, canonical status, ErrorInfo reason, message) of an HttpError."""
    body = json.loads(caught.value.content)["error"]
    details = body.get("details") or [{}]
    return caught.value.status_code, body["status"], details[0].get("reason"), body["message"]


def skus(service, **body) -> dict:
    return service.accounts().listTransferableSkus(parent=ACCOUNT, body=body).execute()


def offers(service, **body) -> dict:
    return service.accounts().listTransferableOffers(parent=ACCOUNT, body=body).execute()


def import_(service, **body) -> dict:
    return service.accounts().customers().import_(parent=ACCOUNT, body=body).execute()


def transfer(service, customer: str, **body) -> dict:
    return service.accounts().customers().transferEntitlements(parent=customer, body=body).execute()


def to_google(service, customer: str, **body) -> dict:
    return service.accounts().customers().transferEntitlementsToGoogle(parent=customer, body=body).execute()


def by_sku(listing: dict) -> dict[str, dict]:
    return {item["sku"]["name"]: item for item in listing.get("transferableSkus", [])}


def offer_for(service, customer: dict, sku: str, plan: str) -> dict:
    listed = offers(service, cloudIdentityId=customer["cloudIdentityId"], sku=sku)["transferableOffers"]
    return next(o["offer"] for o in listed if o["offer"]["plan"]["paymentPlan"] == plan)


def seats(value: int, name: str = "num_units") -> list[dict]:
    return [{"name": name, "value": {"int64Value": str(value)}}]


def entitlements_of(service, customer: str) -> list[dict]:
    return (
        service.accounts().customers().entitlements().list(parent=customer).execute().get("entitlements", [])
    )


def changes_of(service, customer: str) -> list[dict]:
    listing = (
        service.accounts()
        .customers()
        .entitlements()
        .listEntitlementChanges(parent=f"{customer}/entitlements/-", pageSize=50)
    )
    out = []
    while listing is not None:
        page = listing.execute()
        out.extend(page.get("entitlementChanges", []))
        listing = service.accounts().customers().entitlements().listEntitlementChanges_next(listing, page)
    return out


def imported(service, customer: dict) -> dict:
    return import_(
        service,
        cloudIdentityId=customer["cloudIdentityId"],
        domain=customer["domain"],
        authToken=customer["authToken"],
        overwriteIfExists=False,
        primaryAdminEmail=f"admin@{customer['domain']}",
    )


def state(sandbox) -> dict:
    return requests.get(f"{sandbox.url}/_sandbox/state", timeout=5).json()


# ------------------------------------------------------------------ the world


def test_the_seed_plans_every_case(sandbox, world):
    meta = state(sandbox)
    assert meta["collections"]["ch_foreign"]["total"] == 8  # max(8, 40 // 10)
    assert len(world) == 8
    assert meta["collections"]["ch_foreign"]["by_status"] == {"google": 1, "reseller": 7}
    assert [c["owner"] for c in world[:8]] == ["reseller"] * 6 + ["google", "reseller"]
    assert [c["domainVerified"] for c in world[:8]] == [True] * 5 + [False, True, True]
    ids = [c["cloudIdentityId"] for c in world]
    assert len(set(ids)) == len(ids) and all(i.startswith("C0f") and len(i) == 9 for i in ids)
    assert all(c["domain"].endswith(".example") and c["authToken"] for c in world)
    assert set(world[0]) == {
        "cloudIdentityId",
        "domain",
        "orgDisplayName",
        "owner",
        "authToken",
        "domainVerified",
    }
    assert meta["collections"]["ch_transfer_auth"]["total"] == 0


def test_a_larger_scale_draws_more_customers_elsewhere(tmp_path):
    from channelhub.sandbox.server import SandboxServer  # noqa: PLC0415 - only this test builds its own

    server = SandboxServer(state_path=tmp_path / "s.sqlite3", seed=3, scale=120)
    server.app.open(reset=True)
    with server.app.store.session() as session:
        rows = session.conn.execute("SELECT doc FROM ch_foreign ORDER BY seq").fetchall()
        ours = {r[0] for r in session.conn.execute("SELECT cloud_identity_id FROM ch_customers")}
        domains = {r[0] for r in session.conn.execute("SELECT domain FROM ch_customers")}
        counts = session.meta("sandbox")["counts"]["channel"]
    docs = [json.loads(r[0]) for r in rows]
    assert len(docs) == counts["transferable_customers"] == 12
    assert not {d["cloudIdentityId"] for d in docs} & ours
    assert not {d["domain"] for d in docs} & domains
    assert docs[0]["orgDisplayName"] == "Granite Logistics"  # the planned ones come first
    assert all(d["entitlements"] for d in docs)


def test_check_cloud_identity_accounts_exist_sees_customers_elsewhere(service, world):
    one = case(world, 1)
    answer = service.accounts().checkCloudIdentityAccountsExist(
        parent=ACCOUNT, body={"domain": one["domain"]}
    )
    assert answer.execute()["cloudIdentityAccounts"] == [
        {
            "existing": True,
            "owned": False,
            "customerCloudIdentityId": one["cloudIdentityId"],
            "customerType": "DOMAIN",
        }
    ]
    taken = service.accounts().checkCloudIdentityAccountsExist(
        parent=ACCOUNT, body={"domain": "taken.example"}
    )
    assert taken.execute()["cloudIdentityAccounts"][0]["owned"] is False
    customer = imported(service, one)
    owned = service.accounts().checkCloudIdentityAccountsExist(parent=ACCOUNT, body={"domain": one["domain"]})
    assert [(a["owned"], a.get("customerName")) for a in owned.execute()["cloudIdentityAccounts"]] == [
        (True, customer["name"])
    ]


# ------------------------------------------------------------------ listTransferableSkus


def test_list_transferable_skus_with_the_token_then_without(service, world):
    one = case(world, 1)
    with pytest.raises(HttpError) as caught:
        skus(service, cloudIdentityId=one["cloudIdentityId"])
    assert error(caught) == (
        403,
        "PERMISSION_DENIED",
        "PERMISSION_DENIED",
        "The customer doesn't belong to the reseller and has no auth token.",
    )
    with pytest.raises(HttpError) as caught:
        skus(service, cloudIdentityId=one["cloudIdentityId"], authToken="not-the-token")
    assert error(caught) == (
        403,
        "PERMISSION_DENIED",
        "PERMISSION_DENIED",
        "The supplied auth token is invalid.",
    )

    listed = skus(service, cloudIdentityId=one["cloudIdentityId"], authToken=one["authToken"])
    assert set(by_sku(listed)) == {STANDARD, VOICE}
    item = by_sku(listed)[STANDARD]
    assert item["transferEligibility"] == {"isEligible": True}
    assert item["sku"]["marketingInfo"]["displayName"] == "Google Workspace Business Standard"
    assert item["sku"]["product"]["name"] == "products/Google-Workspace"
    assert "legacySku" not in item and "nextPageToken" not in listed
    # authorized now: the token may be omitted ("You can omit this token after authorization")
    assert skus(service, cloudIdentityId=one["cloudIdentityId"]) == listed
    # but a wrong one is still refused
    with pytest.raises(HttpError) as caught:
        skus(service, cloudIdentityId=one["cloudIdentityId"], authToken="wrong")
    assert error(caught)[0] == 403


def test_list_transferable_skus_argument_errors(service, api):
    with pytest.raises(HttpError) as caught:
        skus(service)
    assert error(caught)[:2] == (400, "INVALID_ARGUMENT")
    with pytest.raises(HttpError) as caught:
        skus(service, customerName=f"{ACCOUNT}/customers/Snope")
    assert error(caught)[:2] == (404, "NOT_FOUND")
    with pytest.raises(HttpError) as caught:  # nobody has it: unknown without a token, 404 with one
        skus(service, cloudIdentityId="C0fnobody")
    assert error(caught)[:2] == (403, "PERMISSION_DENIED")
    with pytest.raises(HttpError) as caught:
        skus(service, cloudIdentityId="C0fnobody", authToken="anything")
    assert error(caught)[:2] == (404, "NOT_FOUND")
    # our own customers: nothing held elsewhere, or no Cloud Identity at all
    customers = api.all(f"{ACCOUNT}/customers", "customers", pageSize=50)
    provisioned = next(c for c in customers if c.get("cloudIdentityId"))
    bare = next(c for c in customers if not c.get("cloudIdentityId"))
    assert skus(service, customerName=provisioned["name"]) == {}
    assert skus(service, cloudIdentityId=provisioned["cloudIdentityId"]) == {}
    assert skus(service, customerName=bare["name"]) == {}


def test_each_ineligibility_reason_with_its_words(service, world):
    expected = {
        2: ("products/Google-Workspace/skus/1010020027", "SKU_SUSPENDED", "suspended"),
        3: (MEET, "CHANNEL_PARTNER_NOT_AUTHORIZED_FOR_SKU", "not authorized to resell"),
        4: (CHROME, "PENDING_TOS_ACCEPTANCE", "terms of service"),
        5: (CI_FREE, "SKU_NOT_ELIGIBLE", "Free editions are not transferred"),
    }
    for number, (sku, reason, words) in expected.items():
        customer = case(world, number)
        listed = by_sku(
            skus(service, cloudIdentityId=customer["cloudIdentityId"], authToken=customer["authToken"])
        )
        verdict = listed[sku]["transferEligibility"]
        assert verdict["isEligible"] is False and verdict["ineligibilityReason"] == reason, number
        assert words in verdict["description"] and verdict["description"].endswith("."), verdict
        eligible = [s for s, item in listed.items() if item["transferEligibility"] == {"isEligible": True}]
        assert len(eligible) == 1, number  # each planned case has one eligible SKU beside it
    meet = by_sku(skus(service, cloudIdentityId=case(world, 3)["cloudIdentityId"]))[MEET]["sku"]
    assert meet["marketingInfo"]["displayName"] == "Google Meet hardware license"
    assert meet["product"]["name"] == "products/Google-Meet-Hardware"
    five = by_sku(skus(service, cloudIdentityId=case(world, 5)["cloudIdentityId"]))
    assert five[STARTER]["legacySku"]["marketingInfo"]["displayName"] == "G Suite Basic"


def test_tos_knob_decides_pending_acceptance(service, world, api):
    four = case(world, 4)
    api.knobs(tos_pending_products=[])
    listed = by_sku(skus(service, cloudIdentityId=four["cloudIdentityId"], authToken=four["authToken"]))
    assert listed[CHROME]["transferEligibility"] == {"isEligible": True}
    api.knobs(tos_pending_products=["products/Google-Workspace"])
    listed = by_sku(skus(service, cloudIdentityId=four["cloudIdentityId"]))
    assert listed[STANDARD]["transferEligibility"]["ineligibilityReason"] == "PENDING_TOS_ACCEPTANCE"
    assert listed[CHROME]["transferEligibility"] == {"isEligible": True}
    assert api.knobs()["tos_pending_products"] == ["products/Google-Workspace"]
    r = requests.post(f"{api.sandbox.url}/_sandbox/channel", json={"tos_pending_products": "x"}, timeout=5)
    assert r.status_code == 400
    requests.post(f"{api.sandbox.url}/_sandbox/reset", json={}, timeout=60).raise_for_status()
    assert api.knobs()["tos_pending_products"] == ["products/Google-Chrome"]


def test_list_transferable_skus_pages(service, world):
    one = case(world, 1)
    first = skus(service, cloudIdentityId=one["cloudIdentityId"], authToken=one["authToken"], pageSize=1)
    assert len(first["transferableSkus"]) == 1 and first["nextPageToken"]
    second = skus(
        service, cloudIdentityId=one["cloudIdentityId"], pageSize=1, pageToken=first["nextPageToken"]
    )
    assert len(second["transferableSkus"]) == 1 and "nextPageToken" not in second
    assert {first["transferableSkus"][0]["sku"]["name"], second["transferableSkus"][0]["sku"]["name"]} == {
        STANDARD,
        VOICE,
    }
    two = case(world, 2)
    with pytest.raises(HttpError) as caught:  # bound to the rest of the request
        skus(
            service,
            cloudIdentityId=two["cloudIdentityId"],
            authToken=two["authToken"],
            pageToken=first["nextPageToken"],
        )
    assert error(caught)[:3] == (400, "INVALID_ARGUMENT", "INVALID_PAGE_TOKEN")


# ------------------------------------------------------------------ listTransferableOffers


def test_list_transferable_offers_raise_the_seat_minimum(service, world):
    one = case(world, 1)
    with pytest.raises(HttpError) as caught:  # no token in this request: authorize first
        offers(service, cloudIdentityId=one["cloudIdentityId"], sku=STANDARD)
    assert error(caught) == (
        403,
        "PERMISSION_DENIED",
        "PERMISSION_DENIED",
        "The customer doesn't belong to the reseller and has no auth token.",
    )
    skus(service, cloudIdentityId=one["cloudIdentityId"], authToken=one["authToken"])
    listed = offers(service, cloudIdentityId=one["cloudIdentityId"], sku=STANDARD)["transferableOffers"]
    plans = {o["offer"]["plan"]["paymentPlan"]: o["offer"] for o in listed}
    assert set(plans) == {"COMMITMENT", "FLEXIBLE"}  # no trial
    commitment = plans["COMMITMENT"]["parameterDefinitions"]
    assert [(d["name"], d["minValue"]) for d in commitment] == [("num_units", {"int64Value": "25"})]
    flexible = plans["FLEXIBLE"]["parameterDefinitions"]
    assert [(d["name"], d["minValue"]) for d in flexible] == [("max_units", {"int64Value": "25"})]
    # the catalog itself is untouched
    catalog = service.accounts().offers().list(parent=ACCOUNT).execute()["offers"]
    same = next(o for o in catalog if o["name"] == plans["COMMITMENT"]["name"])
    assert same["parameterDefinitions"][0]["minValue"] == {"int64Value": "1"}


def test_list_transferable_offers_region_filter_and_errors(service, world):
    one, three, eight = case(world, 1), case(world, 3), case(world, 8)
    skus(service, cloudIdentityId=one["cloudIdentityId"], authToken=one["authToken"])
    voice = offers(service, cloudIdentityId=one["cloudIdentityId"], sku=VOICE)["transferableOffers"]
    assert {o["offer"]["plan"]["paymentPlan"] for o in voice} == {"COMMITMENT", "FLEXIBLE"}  # sold in US
    assert all(
        d["minValue"] == {"int64Value": "10"} for o in voice for d in o["offer"]["parameterDefinitions"]
    )
    # an Australian team holds Voice Starter from abroad: eligible, but no Voice offer is sold in AU
    listed = by_sku(skus(service, cloudIdentityId=eight["cloudIdentityId"], authToken=eight["authToken"]))
    assert listed[VOICE_STARTER]["transferEligibility"] == {"isEligible": True}
    assert offers(service, cloudIdentityId=eight["cloudIdentityId"], sku=VOICE_STARTER) == {}
    assert offers(service, cloudIdentityId=eight["cloudIdentityId"], sku=STARTER)["transferableOffers"]

    def refused(**body):
        with pytest.raises(HttpError) as caught:
            offers(service, **body)
        return error(caught)[:3]

    assert refused(cloudIdentityId=one["cloudIdentityId"])[:2] == (400, "INVALID_ARGUMENT")  # no sku
    assert refused(sku=STANDARD)[:2] == (400, "INVALID_ARGUMENT")  # no customer
    assert refused(cloudIdentityId=eight["cloudIdentityId"], sku=VOICE)[:2] == (
        400,
        "INVALID_ARGUMENT",
    )  # not held
    assert refused(customerName=f"{ACCOUNT}/customers/Snope", sku=VOICE)[:2] == (404, "NOT_FOUND")
    skus(service, cloudIdentityId=three["cloudIdentityId"], authToken=three["authToken"])
    assert refused(cloudIdentityId=three["cloudIdentityId"], sku=MEET) == (
        403,
        "PERMISSION_DENIED",
        "CHANNEL_PARTNER_NOT_AUTHORIZED_FOR_SKU",
    )


def test_list_transferable_offers_pages(service, world):
    one = case(world, 1)
    skus(service, cloudIdentityId=one["cloudIdentityId"], authToken=one["authToken"])
    first = offers(service, cloudIdentityId=one["cloudIdentityId"], sku=STANDARD, pageSize=1)
    second = offers(
        service,
        cloudIdentityId=one["cloudIdentityId"],
        sku=STANDARD,
        pageSize=1,
        pageToken=first["nextPageToken"],
    )
    assert "nextPageToken" not in second
    names = [o["offer"]["name"] for o in first["transferableOffers"] + second["transferableOffers"]]
    whole = offers(service, cloudIdentityId=one["cloudIdentityId"], sku=STANDARD, pageSize=5000)
    assert names == [o["offer"]["name"] for o in whole["transferableOffers"]]


# ------------------------------------------------------------------ import


def test_import_needs_authorization_and_is_idempotent(service, world, api):
    two = case(world, 2)
    with pytest.raises(HttpError) as caught:
        import_(
            service, cloudIdentityId=two["cloudIdentityId"], domain=two["domain"], overwriteIfExists=False
        )
    assert error(caught)[:2] == (403, "PERMISSION_DENIED")
    with pytest.raises(HttpError) as caught:
        import_(service, cloudIdentityId="C0fnobody", authToken="x", overwriteIfExists=False)
    assert error(caught)[:2] == (404, "NOT_FOUND")
    customer = imported(service, two)
    assert customer["name"].startswith(f"{ACCOUNT}/customers/S")
    assert customer["cloudIdentityId"] == two["cloudIdentityId"]
    assert customer["domain"] == two["domain"] and customer["orgDisplayName"] == two["orgDisplayName"]
    assert customer["orgPostalAddress"] == {"regionCode": "GB"}
    assert customer["cloudIdentityInfo"]["isDomainVerified"] is True
    assert customer["cloudIdentityInfo"]["primaryDomain"] == two["domain"]
    assert customer["createTime"].endswith("Z")
    assert api.ok(api.get(customer["name"])) == customer
    # a retry (token omitted now) answers the same customer
    again = import_(
        service, cloudIdentityId=two["cloudIdentityId"], domain=two["domain"], overwriteIfExists=False
    )
    assert again == customer
    # by domain alone, too
    assert import_(service, domain=two["domain"], overwriteIfExists=False) == customer
    listed = service.accounts().customers().list(parent=ACCOUNT, filter=f'domain="{two["domain"]}"').execute()
    assert [c["name"] for c in listed["customers"]] == [customer["name"]]


def test_import_conflicts_and_overwrite(service, world, api):
    six = case(world, 6)
    customer = imported(service, six)
    assert customer["cloudIdentityInfo"]["isDomainVerified"] is False
    renamed = api.ok(
        api.patch(
            customer["name"],
            {"domain": "elsewhere.example", "orgDisplayName": "Renamed"},
            updateMask="domain,orgDisplayName",
        )
    )
    with pytest.raises(HttpError) as caught:
        import_(service, cloudIdentityId=six["cloudIdentityId"], overwriteIfExists=False)
    assert error(caught)[:2] == (409, "ALREADY_EXISTS")
    refreshed = import_(service, cloudIdentityId=six["cloudIdentityId"], overwriteIfExists=True)
    assert refreshed["name"] == customer["name"]
    assert refreshed["domain"] == six["domain"] and refreshed["orgDisplayName"] == six["orgDisplayName"]
    assert refreshed["updateTime"] >= renamed["updateTime"]


def test_import_under_a_channel_partner(service, world, api):
    links = api.all(f"{ACCOUNT}/channelPartnerLinks", "channelPartnerLinks")
    partner = next(link for link in links if link["linkState"] == "ACTIVE")["resellerCloudIdentityId"]
    seven = case(world, 7)
    with pytest.raises(HttpError) as caught:
        import_(
            service,
            cloudIdentityId=seven["cloudIdentityId"],
            authToken=seven["authToken"],
            overwriteIfExists=False,
            channelPartnerId="C0nolink",
        )
    assert error(caught)[:2] == (404, "NOT_FOUND")
    customer = import_(
        service,
        cloudIdentityId=seven["cloudIdentityId"],
        authToken=seven["authToken"],
        overwriteIfExists=False,
        channelPartnerId=partner,
    )
    assert customer["channelPartnerId"] == partner


# ------------------------------------------------------------------ transferEntitlements


def test_a_full_transfer_in(service, world):
    one = case(world, 1)
    customer = imported(service, one)
    commitment = offer_for(service, one, STANDARD, "COMMITMENT")
    flexible_voice = offer_for(service, one, VOICE, "FLEXIBLE")
    operation = transfer(
        service,
        customer["name"],
        entitlements=[
            {"offer": commitment["name"], "parameters": seats(25), "purchaseOrderId": "PO-7"},
            {"offer": flexible_voice["name"]},
        ],
        requestId=request_id(),
    )
    assert operation["done"] is True and operation["metadata"]["operationType"] == "TRANSFER_ENTITLEMENTS"
    response = operation["response"]
    assert response["@type"] == "type.googleapis.com/google.cloud.channel.v1.TransferEntitlementsResponse"
    made = {e["offer"]: e for e in response["entitlements"]}
    assert set(made) == {commitment["name"], flexible_voice["name"]}
    workspace = made[commitment["name"]]
    assert workspace["provisioningState"] == "ACTIVE"
    assert workspace["purchaseOrderId"] == "PO-7"
    assert workspace["commitmentSettings"]["renewalSettings"]["paymentPlan"] == "COMMITMENT"
    assert workspace["provisionedService"]["skuId"] == "1010020028"
    assert {p["name"]: p["value"] for p in workspace["parameters"]}["num_units"] == {"int64Value": "25"}
    voice = made[flexible_voice["name"]]
    assert {p["name"]: p["value"] for p in voice["parameters"]}["max_units"] == {"int64Value": "10"}
    assert "commitmentSettings" not in voice

    fetched = service.operations().get(name=operation["name"]).execute()
    assert fetched == operation
    assert {e["name"] for e in entitlements_of(service, customer["name"])} == {
        e["name"] for e in made.values()
    }
    changes = changes_of(service, customer["name"])
    assert sorted((c["changeType"], c["operatorType"], c["entitlement"]) for c in changes) == sorted(
        ("CREATED", "RESELLER", e["name"]) for e in made.values()
    )
    assert all(c["operator"] == "admin@reseller.example" for c in changes)
    # gone from the old reseller's view
    assert skus(service, customerName=customer["name"]) == {}
    assert skus(service, cloudIdentityId=one["cloudIdentityId"]) == {}
    with pytest.raises(HttpError) as caught:  # nothing of it left to transfer
        transfer(
            service, customer["name"], entitlements=[{"offer": commitment["name"], "parameters": seats(25)}]
        )
    assert error(caught)[:2] == (400, "INVALID_ARGUMENT")


def test_transfer_rules(service, world):
    one = case(world, 1)
    customer = imported(service, one)
    commitment = offer_for(service, one, STANDARD, "COMMITMENT")
    flexible = offer_for(service, one, STANDARD, "FLEXIBLE")

    def refused(entitlements, **extra):
        with pytest.raises(HttpError) as caught:
            transfer(service, customer["name"], entitlements=entitlements, **extra)
        return error(caught)

    assert refused([])[:2] == (400, "INVALID_ARGUMENT")
    assert refused([{"offer": f"{ACCOUNT}/offers/nope"}])[:2] == (404, "NOT_FOUND")
    assert refused([{"offer": commitment["name"], "parameters": seats(24)}])[:3] == (
        400,
        "INVALID_ARGUMENT",
        "INVALID_VALUE",
    )
    assert refused([{"offer": commitment["name"]}])[:2] == (400, "INVALID_ARGUMENT")  # num_units required
    assert refused([{"offer": flexible["name"], "parameters": seats(3, "num_units")}])[:2] == (
        400,
        "INVALID_ARGUMENT",
    )
    starter = next(
        o
        for o in service.accounts().offers().list(parent=ACCOUNT).execute()["offers"]
        if o["sku"]["name"] == STARTER
    )
    assert refused([{"offer": starter["name"]}])[:2] == (400, "INVALID_ARGUMENT")  # not held elsewhere
    assert refused([{"offer": flexible["name"]}], authToken="wrong")[:2] == (403, "PERMISSION_DENIED")
    with pytest.raises(HttpError) as caught:
        transfer(service, f"{ACCOUNT}/customers/Snope", entitlements=[{"offer": flexible["name"]}])
    assert error(caught)[:2] == (404, "NOT_FOUND")
    # a flexible transfer may take fewer seats than a commitment would need
    done = transfer(
        service,
        customer["name"],
        entitlements=[{"offer": flexible["name"], "parameters": seats(5, "max_units")}],
    )
    assert done["done"] and "error" not in done


def test_transfer_refuses_ineligible_skus_with_their_reason(service, world, api):
    two, four = case(world, 2), case(world, 4)
    # a customer of ours with nothing held elsewhere
    provisioned = next(
        c for c in api.all(f"{ACCOUNT}/customers", "customers", pageSize=50) if c.get("cloudIdentityId")
    )
    with pytest.raises(HttpError) as caught:
        transfer(service, provisioned["name"], entitlements=[{"offer": f"{ACCOUNT}/offers/x"}])
    assert error(caught)[:3] == (400, "FAILED_PRECONDITION", "CONDITION_NOT_MET")
    assert "nothing to transfer" in error(caught)[3]
    catalog = api.all(f"{ACCOUNT}/offers", "offers")
    for customer_case, sku, plan, reason in (
        (two, STARTER, "FLEXIBLE", "SKU_SUSPENDED"),
        (four, CHROME, "COMMITMENT", "PENDING_TOS_ACCEPTANCE"),
    ):
        customer = imported(service, customer_case)
        offer = next(o for o in catalog if o["sku"]["name"] == sku and o["plan"]["paymentPlan"] == plan)
        body = {
            "offer": offer["name"],
            "parameters": seats(60, "num_units" if plan == "COMMITMENT" else "max_units"),
        }
        with pytest.raises(HttpError) as caught:
            transfer(service, customer["name"], entitlements=[body])
        assert error(caught)[:3] == (400, "FAILED_PRECONDITION", reason)


def test_transfer_of_an_already_owned_sku_is_already_exists(service, world, api):
    one = case(world, 1)
    customer = imported(service, one)
    flexible = offer_for(service, one, STANDARD, "FLEXIBLE")
    bought = api.ok(
        api.post(f"{customer['name']}/entitlements", {"entitlement": {"offer": flexible["name"]}})
    )
    assert bought["done"]
    with pytest.raises(HttpError) as caught:
        transfer(service, customer["name"], entitlements=[{"offer": flexible["name"]}])
    assert error(caught)[:3] == (409, "ALREADY_EXISTS", "ALREADY_EXISTS")


def test_unverified_domain_fails_the_operation_with_nothing_applied(service, world, api):
    six = case(world, 6)
    customer = imported(service, six)
    flexible = offer_for(service, six, STANDARD, "FLEXIBLE")
    api.knobs(lro_polls=1)
    operation = transfer(service, customer["name"], entitlements=[{"offer": flexible["name"]}])
    assert "done" not in operation  # the checks passed synchronously
    done = service.operations().get(name=operation["name"]).execute()
    assert done["done"] is True and "response" not in done
    assert done["error"]["code"] == 9
    assert done["error"]["details"][0]["reason"] == "CONDITION_NOT_MET"
    assert done["error"]["message"] == (
        "The SKU requires domain verification to transfer, but the domain is not verified."
    )
    assert entitlements_of(service, customer["name"]) == []
    assert changes_of(service, customer["name"]) == []
    assert STANDARD in by_sku(skus(service, customerName=customer["name"]))


def test_forced_failure_of_a_transfer(service, world, api):
    one = case(world, 1)
    customer = imported(service, one)
    flexible = offer_for(service, one, STANDARD, "FLEXIBLE")
    api.knobs(lro_fail_next=[{"code": 13, "operation_type": "TRANSFER_ENTITLEMENTS"}])
    failed = transfer(service, customer["name"], entitlements=[{"offer": flexible["name"]}])
    assert failed["done"] and failed["error"]["code"] == 13
    assert entitlements_of(service, customer["name"]) == []
    assert STANDARD in by_sku(skus(service, customerName=customer["name"]))
    assert api.knobs()["lro_fail_next"] == []
    retried = transfer(service, customer["name"], entitlements=[{"offer": flexible["name"]}])
    assert retried["done"] and "error" not in retried


def test_request_id_makes_a_transfer_idempotent(service, world):
    one = case(world, 1)
    customer = imported(service, one)
    flexible = offer_for(service, one, STANDARD, "FLEXIBLE")
    body = {"entitlements": [{"offer": flexible["name"]}], "requestId": request_id()}
    first = transfer(service, customer["name"], **body)
    again = transfer(service, customer["name"], **body)  # a retry: not "nothing to transfer"
    assert again["name"] == first["name"] and again == first
    assert len(entitlements_of(service, customer["name"])) == 1
    assert len(changes_of(service, customer["name"])) == 1
    with pytest.raises(HttpError) as caught:
        transfer(
            service,
            customer["name"],
            **{**body, "entitlements": [{"offer": flexible["name"], "purchaseOrderId": "PO"}]},
        )
    assert error(caught)[:3] == (409, "ABORTED", "REQUEST_ID_CONFLICT")
    # the same body under another requestId is a new request: the SKU is ours now, nothing is left to move
    with pytest.raises(HttpError) as caught:
        transfer(service, customer["name"], **{**body, "requestId": request_id()})
    assert error(caught)[:2] == (400, "INVALID_ARGUMENT")
    assert len(entitlements_of(service, customer["name"])) == 1


def test_to_google_request_id_dedupe(service, api):
    ent = api.find(lambda e: e["provisioningState"] == "ACTIVE")
    customer = ent["name"].split("/entitlements/")[0]
    body = {"entitlements": [{"name": ent["name"]}], "requestId": request_id()}
    first = to_google(service, customer, **body)
    assert to_google(service, customer, **body) == first  # a retry of a removal: not 404
    cancelled = [c for c in api.history(ent["name"]) if c["changeType"] == "CANCELLED"]
    assert len(cancelled) == 1


def test_delayed_transfer_completes_on_poll(service, world, api):
    one = case(world, 1)
    customer = imported(service, one)
    flexible = offer_for(service, one, STANDARD, "FLEXIBLE")
    api.knobs(lro_delay_seconds=0.15, lro_polls=2)
    operation = transfer(service, customer["name"], entitlements=[{"offer": flexible["name"]}])
    assert "done" not in operation
    assert "done" not in service.operations().get(name=operation["name"]).execute()  # poll 1 of 2
    assert entitlements_of(service, customer["name"]) == []
    time.sleep(0.16)
    done = service.operations().get(name=operation["name"]).execute()
    assert done["done"] and done["response"]["entitlements"][0]["offer"] == flexible["name"]
    assert [e["offer"] for e in entitlements_of(service, customer["name"])] == [flexible["name"]]


# ------------------------------------------------------------------ transferEntitlementsToGoogle


def test_transfer_to_google_and_back(service, world):
    one = case(world, 1)
    customer = imported(service, one)
    commitment = offer_for(service, one, STANDARD, "COMMITMENT")
    flexible_voice = offer_for(service, one, VOICE, "FLEXIBLE")
    made = transfer(
        service,
        customer["name"],
        entitlements=[
            {"offer": commitment["name"], "parameters": seats(30)},
            {"offer": flexible_voice["name"]},
        ],
    )["response"]["entitlements"]
    workspace, voice = sorted(made, key=lambda e: e["offer"] != commitment["name"])

    with pytest.raises(HttpError) as caught:
        to_google(service, customer["name"], entitlements=[])
    assert error(caught)[:2] == (400, "INVALID_ARGUMENT")
    with pytest.raises(HttpError) as caught:
        to_google(service, customer["name"], entitlements=[{"name": f"{customer['name']}/entitlements/nope"}])
    assert error(caught)[:2] == (404, "NOT_FOUND")

    first = to_google(service, customer["name"], entitlements=[voice], requestId=request_id())
    assert first["done"] and first["metadata"]["operationType"] == "TRANSFER_ENTITLEMENTS_TO_GOOGLE"
    assert first["response"] == {"@type": "type.googleapis.com/google.protobuf.Empty"}
    second = to_google(service, customer["name"], entitlements=[{"name": workspace["name"]}])
    assert second["done"] and "error" not in second
    assert entitlements_of(service, customer["name"]) == []
    with pytest.raises(HttpError) as caught:
        service.accounts().customers().entitlements().get(name=workspace["name"]).execute()
    assert caught.value.status_code == 404
    cancelled = {
        c["entitlement"]: c for c in changes_of(service, customer["name"]) if c["changeType"] == "CANCELLED"
    }
    assert cancelled[voice["name"]]["cancellationReason"] == "PARTIAL_TRANSFER"
    assert cancelled[workspace["name"]]["cancellationReason"] == "RELATIONSHIP_ENDED"
    assert {c["operatorType"] for c in cancelled.values()} == {"RESELLER"}

    # now held by Google: listed as transferable again, and they can come back
    listed = by_sku(skus(service, customerName=customer["name"]))
    assert set(listed) == {STANDARD, VOICE}
    assert all(item["transferEligibility"] == {"isEligible": True} for item in listed.values())
    raised = offer_for(service, one, STANDARD, "COMMITMENT")["parameterDefinitions"][0]["minValue"]
    assert raised == {"int64Value": "30"}
    back = transfer(
        service, customer["name"], entitlements=[{"offer": commitment["name"], "parameters": seats(30)}]
    )
    assert back["done"] and "error" not in back
    assert set(by_sku(skus(service, customerName=customer["name"]))) == {VOICE}


def test_transfer_to_google_refuses_another_customers_entitlement(service, api):
    ents = api.entitlements()
    mine = ents[0]
    customer = mine["name"].split("/entitlements/")[0]
    other = next(e for e in ents if not e["name"].startswith(customer + "/"))
    with pytest.raises(HttpError) as caught:
        to_google(service, customer, entitlements=[{"name": other["name"]}])
    assert error(caught)[:2] == (400, "INVALID_ARGUMENT")


def test_transfer_to_google_of_a_seeded_customer_makes_its_record(sandbox, service, api, world):
    ent = api.find(lambda e: e["provisioningState"] == "ACTIVE")
    customer = ent["name"].split("/entitlements/")[0]
    cloud_id = api.ok(api.get(customer))["cloudIdentityId"]
    assert skus(service, customerName=customer) == {}
    to_google(service, customer, entitlements=[{"name": ent["name"]}])
    assert state(sandbox)["collections"]["ch_foreign"]["total"] == len(world) + 1
    held = by_sku(skus(service, cloudIdentityId=cloud_id))
    assert list(held) == [api.offer(ent["offer"])["sku"]["name"]]
    described = requests.get(f"{sandbox.url}/_sandbox/channel", timeout=5).json()["transferable_customers"]
    assert described[-1]["cloudIdentityId"] == cloud_id and described[-1]["owner"] == "google"
    assert described[:8] == world  # the seed order stays


# ------------------------------------------------------------------ life


def _tick(store, attempt: int) -> tuple[dict, set[str]]:
    """One life.tick with a seeded RNG; returns its counts and the entitlements it removed."""
    with store.session() as session, session.write():
        before = {r[0] for r in session.conn.execute("SELECT id FROM ch_entitlements")}
        result = life.tick(session, random.Random(f"transfer-{attempt}"))
        after = {r[0] for r in session.conn.execute("SELECT id FROM ch_entitlements")}
    return result, before - after


def test_life_transfers_one_away_now_and_then(sandbox, service, api):
    store = sandbox.app.store
    ticks, transfers, moves = 0, 0, {}
    while len(moves) < 2 and ticks < 200:  # until both cancellation reasons were seen
        result, gone = _tick(store, ticks)
        ticks += 1
        if not result["transferred_away"]:
            assert not gone
            continue
        assert result["transferred_away"] == 1 and len(gone) == 1
        transfers += 1
        name = gone.pop()
        customer = api.ok(api.get(name.split("/entitlements/")[0]))
        change = api.history(name)[-1]
        assert change["changeType"] == "CANCELLED" and change["operatorType"] == "SYSTEM"
        still = api.all(f"{customer['name']}/entitlements", "entitlements")
        assert change["cancellationReason"] == ("PARTIAL_TRANSFER" if still else "RELATIONSHIP_ENDED")
        # held at another reseller now, and ours to win back
        assert api.offer(change["offer"])["sku"]["name"] in by_sku(
            skus(service, customerName=customer["name"])
        )
        with store.session() as session:
            record = session.get("ch_foreign", customer["cloudIdentityId"])
        assert record["owner"] == "reseller" and record["resellerName"] == "Other Reseller Ltd"
        assert record["authToken"]
        moves.setdefault(change["cancellationReason"], ticks)
    assert set(moves) == {"PARTIAL_TRANSFER", "RELATIONSHIP_ENDED"}
    assert transfers < ticks / 2  # now and then (about 15% of ticks), not every tick
    counts = requests.post(f"{sandbox.url}/_sandbox/tick", timeout=10).json()["channel"]
    assert "transferred_away" in counts
