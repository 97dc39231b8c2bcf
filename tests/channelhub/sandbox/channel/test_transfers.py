"""Cloud Channel transfers in the sandbox through google-api-python-client, unchanged: the
customers held elsewhere (seed_transfers.py's planned cases, their tokens from GET
/_sandbox/channel), listTransferableSkus, listTransferableOffers and customers:import. The LROs
and life's transfers away: test_transfer_operations.py."""

import json

import pytest
import requests
from googleapiclient.errors import HttpError

from .conftest import ACCOUNT
from .transfer_helpers import (
    CHROME,
    CI_FREE,
    MEET,
    STANDARD,
    STARTER,
    VOICE,
    VOICE_STARTER,
    by_sku,
    case,
    error,
    import_,
    imported,
    offers,
    skus,
    state,
)

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
