"""The sandbox driven by the official Connect client (connect-openapi-client), over real HTTP."""

import pytest
import requests as http
from connect.client import ClientError, ConnectClient, R

COLLECTIONS = [
    ("requests", lambda c: c.requests),
    ("assets", lambda c: c.assets),
    ("tier configs", lambda c: c("tier").configs),
    ("tier config requests", lambda c: c("tier").config_requests),
    ("tier accounts", lambda c: c("tier").accounts),
    ("products", lambda c: c.products),
    ("marketplaces", lambda c: c.marketplaces),
    ("hubs", lambda c: c.hubs),
    ("conversations", lambda c: c.conversations),
    ("accounts", lambda c: c.accounts),
]


@pytest.fixture
def client(sandbox):
    return ConnectClient(
        "ApiKey SU-000-000-000:x", endpoint=sandbox.connect_url, use_specs=False, max_retries=0
    )


def template_of(client, request, kind="fulfillment"):
    pid = request["asset"]["product"]["id"]
    return client.products[pid].templates.filter(scope="asset", type=kind).first()


@pytest.mark.parametrize("name,coll", COLLECTIONS, ids=[c[0] for c in COLLECTIONS])
def test_every_collection_lists_counts_pages_and_details(client, name, coll):
    resource = coll(client)
    total = resource.all().count()
    assert total > 0
    everything = list(resource.all().limit(7))  # several pages of 7
    ids = [o["id"] for o in everything]
    assert len(ids) == total == len(set(ids))
    first = everything[0]
    assert resource[first["id"]].get()["id"] == first["id"]
    assert resource[first["id"]].exists()
    assert not resource["XX-000-000-000"].exists()
    assert resource.filter(id=first["id"]).count() == 1


def test_request_filters_with_r_and_nested_properties(client):
    requests_ = list(client.requests.all())
    sample = requests_[0]
    pid = sample["asset"]["product"]["id"]
    customer = sample["asset"]["tiers"]["customer"]["id"]
    expected = {r["id"] for r in requests_ if r["asset"]["product"]["id"] == pid}
    assert {r["id"] for r in client.requests.filter(asset__product__id=pid)} == expected
    assert {r["id"] for r in client.requests.filter(R().asset.product.id.oneof([pid, "PRD-0"]))} == expected
    by_customer = {r["id"] for r in client.requests.filter(R().asset.tiers.customer.id.eq(customer))}
    assert sample["id"] in by_customer
    pending = client.requests.filter(status="pending").count()
    not_pending = client.requests.filter(R().status.ne("pending")).count()
    negated = client.requests.filter(R(type="purchase") & ~R(status="pending")).count()
    assert negated == sum(r["type"] == "purchase" and r["status"] != "pending" for r in requests_)
    assert pending + not_pending == len(requests_)
    either = client.requests.filter(R(status="pending") | R(status="inquiring")).count()
    assert either == sum(r["status"] in ("pending", "inquiring") for r in requests_)
    unassigned = client.requests.filter(R().assignee.null(True)).count()
    assert unassigned == sum(not r["assignee"] for r in requests_)
    migrated = client.requests.filter(R().asset.params.id.eq("migration_info")).count()
    assert migrated == len(requests_)  # every product has the parameter
    trimmed = client.requests.all().select("-asset.items").first()
    assert "items" not in trimmed["asset"] and "params" in trimmed["asset"]
    ordered = [r["created"] for r in client.requests.all().order_by("created")]
    assert ordered == sorted(ordered)


def test_tier_config_and_asset_nested_filters(client):
    tcr = client("tier").config_requests.all().first()
    account = tcr["configuration"]["account"]["id"]
    got = client("tier").config_requests.filter(R().configuration.account.id.eq(account))
    assert tcr["id"] in {t["id"] for t in got}
    asset = client.assets.all().first()
    assert client.assets.filter(R().tiers.customer.id.eq(asset["tiers"]["customer"]["id"])).count() >= 1
    assert client.assets[asset["id"]].requests.all().count() >= 1
    level1 = client("tier").configs.filter(tier_level=1).count()
    level2 = client("tier").configs.filter(tier_level=2).count()
    assert level1 and level2 and level1 + level2 == client("tier").configs.all().count()


def test_products_templates_and_conversations(client):
    product = client.products.all().first()
    templates = list(client.products[product["id"]].templates.all())
    assert {t["scope"] for t in templates} == {"asset", "tier1", "tier2"}
    assert {t["type"] for t in templates} == {"fulfillment", "inquire", "pending"}
    assert client.products[product["id"]].templates[templates[0]["id"]].get()["body"].startswith("#")
    request = client.requests.all().first()
    by_instance = client.conversations.filter(instance_id=request["id"]).first()
    assert by_instance["instance_id"] == request["id"]
    assert client.conversations[request["id"]].get()["id"] == by_instance["id"]
    messages = client.conversations[by_instance["id"]].messages
    before = messages.all().count()
    created = messages.create({"text": "Hello from support"})
    assert created["id"].startswith("ME-") and created["text"] == "Hello from support"
    assert messages.all().count() == before + 1


def test_request_approve_changes_request_asset_and_conversation(client):
    request = client.requests.filter(status="pending", type="purchase").first()
    template = template_of(client, request)
    conversation = client.conversations[request["id"]].get()
    before_messages = client.conversations[conversation["id"]].messages.all().count()
    approved = client.requests[request["id"]]("approve").post({"template_id": template["id"]})
    assert approved["status"] == "approved"
    assert approved["template"]["id"] == template["id"]
    assert approved["updated"] > request["updated"]
    asset = client.assets[request["asset"]["id"]].get()
    assert asset["status"] == "active" == approved["asset"]["status"]
    assert asset["events"]["updated"]["at"] == approved["updated"]
    messages = list(client.conversations[conversation["id"]].messages.all())
    assert len(messages) == before_messages + 1
    assert messages[-1]["type"] == "state_change"
    with pytest.raises(ClientError) as exc:
        client.requests[request["id"]]("approve").post({"template_id": template["id"]})
    assert exc.value.status_code == 400 and exc.value.error_code == "REQ_003"


def test_request_inquire_params_pend_fail_assign(client):
    request = client.requests.filter(status="pending").first()
    param = request["asset"]["params"][0]["id"]
    updated = client.requests[request["id"]].update(
        {"asset": {"params": [{"id": param, "value": "", "value_error": "Please fix this"}]}}
    )
    assert next(p for p in updated["asset"]["params"] if p["id"] == param)["value_error"] == "Please fix this"
    inquired = client.requests[request["id"]]("inquire").post()
    assert inquired["status"] == "inquiring"
    pended = client.requests[request["id"]]("pend").post()
    assert pended["status"] == "pending"
    assigned = client.requests[request["id"]]("assign").post({"email": "staff@channelhub.example"})
    assert assigned["assignee"]["email"] == "staff@channelhub.example"
    assert client.requests[request["id"]]("unassign").post()["assignee"] == ""
    assert (
        client.requests[request["id"]]("assign").post({"id": "UR-841-574-187"})["assignee"]["id"]
        == "UR-841-574-187"
    )
    failed = client.requests[request["id"]]("fail").post({"reason": "Out of stock"})
    assert failed["status"] == "failed" and failed["reason"] == "Out of stock"


def test_change_suspend_resume_cancel_move_the_asset(client, sandbox):
    cases = [("suspend", "suspended"), ("resume", "active"), ("change", "active"), ("cancel", "terminated")]
    for _ in range(3):
        http.post(f"{sandbox.url}/_sandbox/tick", timeout=10).raise_for_status()
    for purchase in list(client.requests.filter(type="purchase", status="pending")):
        client.requests[purchase["id"]]("approve").post({"template_id": template_of(client, purchase)["id"]})
    for kind, asset_status in cases:
        for _ in range(100):  # upstream life brings pending requests of every kind
            request = client.requests.filter(type=kind, status="pending").first()
            if request:
                break
            http.post(f"{sandbox.url}/_sandbox/tick", timeout=10).raise_for_status()
        assert request, f"no pending {kind} request"
        template = template_of(client, request)
        approved = client.requests[request["id"]]("approve").post({"template_id": template["id"]})
        asset = client.assets[request["asset"]["id"]].get()
        assert asset["status"] == asset_status == approved["asset"]["status"]
        if kind == "change":
            assert [i["quantity"] for i in asset["items"]] == [
                i["quantity"] for i in request["asset"]["items"]
            ]


def test_tier_config_request_actions(client):
    tcrs = client("tier").config_requests
    pending = tcrs.filter(status="pending").first()
    config_id = pending["configuration"]["id"]
    param = pending["params"][0]["id"]
    updated = tcrs[pending["id"]].update({"params": [{"id": param, "value": "", "value_error": "Wrong"}]})
    assert updated["params"][0]["value_error"] == "Wrong"
    assert tcrs[pending["id"]]("inquire").post() is None  # 204
    assert tcrs[pending["id"]].get()["status"] == "inquiring"
    assert tcrs[pending["id"]]("pend").post() is None
    assert tcrs[pending["id"]]("assign").post({"id": "UR-841-574-187"}) is None
    assert tcrs[pending["id"]].get()["assignee"]["id"] == "UR-841-574-187"
    assert tcrs[pending["id"]]("unassign").post() is None
    assert tcrs[pending["id"]].get()["assignee"] == ""
    result = tcrs[pending["id"]]("approve").post()
    assert set(result) == {"template", "effective_date"}
    approved = tcrs[pending["id"]].get()
    assert approved["status"] == "approved" and "approved" in approved["events"]
    config = client("tier").configs[config_id].get()
    assert config["status"] == "active" and "open_request" not in config
    with pytest.raises(ClientError) as exc:
        tcrs[pending["id"]]("fail").post({"reason": "late"})
    assert exc.value.status_code == 400

    inquiring = tcrs.filter(status="inquiring").first()
    assert tcrs[inquiring["id"]]("fail").post({"reason": "No answer"}) is None
    assert tcrs[inquiring["id"]].get()["status"] == "failed"


def test_tcr_approve_with_template(client):
    tcr = client("tier").config_requests.filter(status="pending").first()
    pid = tcr["configuration"]["product"]["id"]
    template = client.products[pid].templates.filter(scope="tier1", type="fulfillment").first()
    result = client("tier").config_requests[tcr["id"]]("approve").post({"template": {"id": template["id"]}})
    assert result["template"]["id"] == template["id"]
