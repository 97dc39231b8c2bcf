"""Entitlement actions over HTTP: the state rules and their error names, LROs (delay, forced
failure), requestId idempotency and the history each completed change leaves."""

import time

import pytest

from .conftest import ACCOUNT, error_of, plan, request_id


def suspended_with(reason):
    return lambda e: e["provisioningState"] == "SUSPENDED" and e["suspensionReasons"] == [reason]


def test_suspend_needs_active(api):
    ent = api.find(suspended_with("TRIAL_ENDED"))
    assert error_of(api.post(f"{ent['name']}:suspend")) == (400, "FAILED_PRECONDITION", "NOT_ACTIVE")


def test_activate_needs_a_reseller_initiated_suspension(api):
    active = api.find(lambda e: e["provisioningState"] == "ACTIVE")
    assert error_of(api.post(f"{active['name']}:activate")) == (400, "FAILED_PRECONDITION", "NOT_SUSPENDED")
    for reason in ("TRIAL_ENDED", "PENDING_TOS_ACCEPTANCE", "OTHER", "RENEWAL_WITH_TYPE_CANCEL"):
        ent = api.find(suspended_with(reason))
        assert error_of(api.post(f"{ent['name']}:activate")) == (
            400,
            "FAILED_PRECONDITION",
            "SUSPENSION_NOT_RESELLER_INITIATED",
        ), reason
    ent = api.find(suspended_with("RESELLER_INITIATED"))
    done = api.ok(api.post(f"{ent['name']}:activate"))
    assert done["response"]["provisioningState"] == "ACTIVE"
    assert "suspensionReasons" not in done["response"]
    change = api.history(ent["name"])[-1]
    assert (change["changeType"], change["activationReason"]) == ("ACTIVATED", "RESELLER_REVOKED_SUSPENSION")


def test_change_renewal_settings_needs_a_commitment_plan(api):
    flexible = api.find(lambda e: "commitmentSettings" not in e and plan(api, e) == "FLEXIBLE")
    body = {"renewalSettings": {"enableRenewal": False}}
    assert error_of(api.post(f"{flexible['name']}:changeRenewalSettings", body)) == (
        400,
        "FAILED_PRECONDITION",
        "NOT_COMMITMENT_PLAN",
    )
    commitment = api.find(lambda e: e["provisioningState"] == "ACTIVE" and "commitmentSettings" in e)
    done = api.ok(api.post(f"{commitment['name']}:changeRenewalSettings", body))
    assert done["response"]["commitmentSettings"]["renewalSettings"]["enableRenewal"] is False
    assert api.history(commitment["name"])[-1]["changeType"] == "RENEWAL_SETTING_CHANGED"


def test_start_paid_service_needs_a_trial(api):
    paid = api.find(lambda e: not e.get("trialSettings", {}).get("trial"))
    assert error_of(api.post(f"{paid['name']}:startPaidService")) == (
        400,
        "FAILED_PRECONDITION",
        "NOT_IN_TRIAL",
    )
    ended = api.find(suspended_with("TRIAL_ENDED"))
    done = api.ok(api.post(f"{ended['name']}:startPaidService"))
    entitlement = done["response"]
    assert entitlement["provisioningState"] == "ACTIVE" and entitlement["trialSettings"]["trial"] is False
    assert api.offer(entitlement["offer"])["plan"]["paymentPlan"] == "FLEXIBLE"
    assert api.history(ended["name"])[-1]["changeType"] == "PAID_SUBSCRIPTION_STARTED"


def seats(ent, name):
    return int(next(p for p in ent["parameters"] if p["name"] == name)["value"]["int64Value"])


def test_change_parameters_rules(api):
    ent = api.find(
        lambda e: (
            e["provisioningState"] == "ACTIVE" and "commitmentSettings" in e and seats(e, "num_units") > 1
        )
    )
    n = seats(ent, "num_units")

    def change(name, value):
        return api.post(f"{ent['name']}:changeParameters", {"parameters": [{"name": name, "value": value}]})

    assert error_of(change("num_units", {"int64Value": str(n - 1)}))[:2] == (400, "INVALID_ARGUMENT")
    assert error_of(change("num_units", {"int64Value": "50001"}))[:2] == (400, "INVALID_ARGUMENT")
    assert error_of(change("assigned_units", {"int64Value": "1"})) == (
        400,
        "INVALID_ARGUMENT",
        "PARAMETER_NOT_EDITABLE",
    )
    assert error_of(change("max_units", {"int64Value": "1"}))[:2] == (400, "INVALID_ARGUMENT")
    done = api.ok(change("num_units", {"int64Value": str(n + 5)}))
    assert seats(done["response"], "num_units") == n + 5
    last = api.history(ent["name"])[-1]
    assert last["changeType"] == "COMMITMENT_CHANGED"
    assert seats(last, "num_units") == n + 5

    flexible = api.find(
        lambda e: plan(api, e) == "FLEXIBLE" and any(p["name"] == "max_units" for p in e["parameters"])
    )
    r = api.post(
        f"{flexible['name']}:changeParameters",
        {"parameters": [{"name": "max_units", "value": {"int64Value": "1"}}]},
    )
    api.ok(r)
    assert api.history(flexible["name"])[-1]["changeType"] == "LICENSE_CAP_CHANGED"


def test_create_entitlement_and_already_exists(api):
    customer = next(
        c
        for c in api.all(f"{ACCOUNT}/customers", "customers", pageSize=50)
        if c.get("cloudIdentityId") and not api.get(f"{c['name']}/entitlements").json().get("entitlements")
    )
    offers = api.ok(
        api.get(
            f"{customer['name']}:listPurchasableOffers",
            **{"createEntitlementPurchase.sku": "products/Google-Workspace/skus/1010020028"},
        )
    )["purchasableOffers"]
    commitment = next(p["offer"] for p in offers if p["offer"]["plan"]["paymentPlan"] == "COMMITMENT")
    body = {
        "entitlement": {
            "offer": commitment["name"],
            "parameters": [{"name": "num_units", "value": {"int64Value": "5"}}],
            "purchaseOrderId": "PO-1",
        },
        "requestId": request_id(),
    }
    assert error_of(api.post(f"{customer['name']}/entitlements", body["entitlement"]))[:2] == (
        400,
        "INVALID_ARGUMENT",
    )
    done = api.ok(api.post(f"{customer['name']}/entitlements", body))
    ent = done["response"]
    assert done["metadata"]["operationType"] == "CREATE_ENTITLEMENT"
    assert ent["commitmentSettings"]["renewalSettings"]["paymentPlan"] == "COMMITMENT"
    assert [p["value"] for p in ent["parameters"] if p["name"] == "num_units"] == [{"int64Value": "5"}]
    assert {"@type": done["response"]["@type"], **api.ok(api.get(ent["name"]))} == ent
    assert api.history(ent["name"])[0]["changeType"] == "CREATED"
    body["requestId"] = request_id()
    assert error_of(api.post(f"{customer['name']}/entitlements", body)) == (
        409,
        "ALREADY_EXISTS",
        "ALREADY_EXISTS",
    )
    assert api.ok(api.get(f"{ent['name']}:lookupOffer"))["name"] == commitment["name"]


def test_change_offer_only_to_purchasable_offers(api):
    workspace = api.all(f"{ACCOUNT}/offers", "offers", filter="sku.product.name=products/Google-Workspace")
    flexible = {o["name"] for o in workspace if o["plan"]["paymentPlan"] == "FLEXIBLE"}
    ent = api.find(lambda e: e["provisioningState"] == "ACTIVE" and e["offer"] in flexible)
    customer = ent["name"].split("/entitlements/")[0]
    allowed = api.ok(
        api.get(f"{customer}:listPurchasableOffers", **{"changeOfferPurchase.entitlement": ent["name"]})
    )
    names = {p["offer"]["name"] for p in allowed["purchasableOffers"]}
    gcp = api.all(f"{ACCOUNT}/offers", "offers", filter="sku.product.name=products/Google-Cloud-Platform")[0]
    assert gcp["name"] not in names
    assert (
        error_of(api.post(f"{ent['name']}:changeOffer", {"offer": gcp["name"]}))[2] == "OFFER_NOT_PURCHASABLE"
    )
    target = next(
        p["offer"]
        for p in allowed["purchasableOffers"]
        if p["offer"]["sku"]["name"] != api.offer(ent["offer"])["sku"]["name"]
    )
    done = api.ok(api.post(f"{ent['name']}:changeOffer", {"offer": target["name"]}))
    assert done["response"]["offer"] == target["name"]
    last = api.history(ent["name"])[-1]
    assert (last["changeType"], last["offer"]) == ("SKU_CHANGED", target["name"])


def test_cancel_removes_the_entitlement_and_customer_delete_waits_for_it(api):
    ent = api.find(lambda e: e["provisioningState"] == "ACTIVE")
    customer = ent["name"].split("/entitlements/")[0]
    assert error_of(api.delete(customer))[:2] == (400, "FAILED_PRECONDITION")
    done = api.ok(api.post(f"{ent['name']}:cancel", {"requestId": request_id()}))
    assert done["response"] == {"@type": "type.googleapis.com/google.protobuf.Empty"}
    assert api.get(ent["name"]).status_code == 404
    change = api.history(ent["name"])[-1]
    assert (change["changeType"], change["cancellationReason"]) == ("CANCELLED", "SERVICE_TERMINATED")
    for other in api.all(f"{customer}/entitlements", "entitlements"):
        api.ok(api.post(f"{other['name']}:cancel"))
    assert api.ok(api.delete(customer)) == {}
    assert api.get(customer).status_code == 404


def test_request_id_dedupe(api):
    ent = api.find(lambda e: e["provisioningState"] == "ACTIVE")
    body = {"requestId": request_id()}
    first = api.ok(api.post(f"{ent['name']}:suspend", body))
    again = api.ok(api.post(f"{ent['name']}:suspend", body))  # a retry: not NOT_ACTIVE, same operation
    assert again["name"] == first["name"] and again["done"]
    suspensions = [
        c for c in api.history(ent["name"]) if c["changeType"] == "SUSPENDED" and c.get("operator")
    ]
    assert len([c for c in suspensions if c["createTime"] == first["response"]["updateTime"]]) == 1
    r = api.post(f"{ent['name']}:suspend", {**body, "unexpected": True})
    assert error_of(r) == (409, "ABORTED", "REQUEST_ID_CONFLICT")


@pytest.mark.parametrize("bad", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_bad_request_id_is_invalid_argument(api, bad):
    ent = api.find(lambda e: e["provisioningState"] == "ACTIVE")
    assert error_of(api.post(f"{ent['name']}:suspend", {"requestId": bad}))[:2] == (400, "INVALID_ARGUMENT")


def test_lro_delay_in_seconds_applies_on_the_due_poll(api):
    ent = api.find(lambda e: e["provisioningState"] == "ACTIVE")
    api.knobs(lro_delay_seconds=0.3)
    operation = api.ok(api.post(f"{ent['name']}:suspend"))
    assert "done" not in operation
    assert "done" not in api.ok(api.get(operation["name"]))
    assert api.ok(api.get(ent["name"]))["provisioningState"] == "ACTIVE"
    time.sleep(0.35)
    assert api.ok(api.get(operation["name"]))["response"]["provisioningState"] == "SUSPENDED"
    assert api.ok(api.get(ent["name"]))["provisioningState"] == "SUSPENDED"


def test_forced_lro_failure_ends_in_error_without_applying(api):
    ent = api.find(lambda e: e["provisioningState"] == "ACTIVE")
    before = len(api.history(ent["name"]))
    api.knobs(
        lro_polls=1,
        lro_fail_next=[{"code": 9, "reason": "CONDITION_NOT_MET", "operation_type": "SUSPEND_ENTITLEMENT"}],
    )
    operation = api.ok(api.post(f"{ent['name']}:suspend"))
    done = api.ok(api.get(operation["name"]))
    assert done["done"] is True and "response" not in done
    assert done["error"]["code"] == 9
    assert done["error"]["details"][0]["reason"] == "CONDITION_NOT_MET"
    assert api.ok(api.get(ent["name"]))["provisioningState"] == "ACTIVE"
    assert len(api.history(ent["name"])) == before
    assert api.knobs()["lro_fail_next"] == []


def test_state_checked_again_at_completion(api):
    ent = api.find(lambda e: e["provisioningState"] == "ACTIVE")
    api.knobs(lro_polls=1)
    slow = api.ok(api.post(f"{ent['name']}:suspend"))
    api.knobs(lro_polls=0)
    api.ok(api.post(f"{ent['name']}:suspend"))  # wins first
    done = api.ok(api.get(slow["name"]))
    assert done["error"]["code"] == 9 and done["error"]["details"][0]["reason"] == "NOT_ACTIVE"


def test_operations_not_found_and_unimplemented(api):
    assert error_of(api.get("operations/nope/x"))[:2] == (404, "NOT_FOUND")
    assert error_of(api.post("operations/x:cancel"))[:2] == (501, "UNIMPLEMENTED")
    assert error_of(api.post(f"{ACCOUNT}:register"))[:2] == (501, "UNIMPLEMENTED")
