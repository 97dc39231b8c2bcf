"""Cloud Channel transfer LROs in the sandbox through google-api-python-client, unchanged:
transferEntitlements (checks, completion, the unverified domain, forced failures, requestId,
delays), transferEntitlementsToGoogle and back, and life's transfers away."""

import random
import time

import pytest
import requests
from googleapiclient.errors import HttpError

from channelhub.sandbox.channel import life

from .conftest import ACCOUNT, request_id
from .transfer_helpers import (
    CHROME,
    STANDARD,
    STARTER,
    VOICE,
    by_sku,
    case,
    changes_of,
    entitlements_of,
    error,
    imported,
    offer_for,
    seats,
    skus,
    state,
    to_google,
    transfer,
)

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
