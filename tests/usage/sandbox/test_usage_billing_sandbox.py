"""The sandbox's listings and Connect's subscriptions API (recurring assets, billing requests),
over real HTTP: the official Connect client (connect-openapi-client) for lists, filters, create
and attributes, plain requests where status codes, headers and raw bodies matter."""

from datetime import UTC, datetime

import pytest
import requests as http
from connect.client import ClientError, ConnectClient, R

from usage.sandbox.billing_shapes import add_months, month_start, parse
from usage.sandbox.catalog import usage_schema

H = {"Authorization": "ApiKey SU-000-000-000:sandbox"}


@pytest.fixture
def client(sandbox):
    return ConnectClient(
        "ApiKey SU-000-000-000:x", endpoint=sandbox.connect_url, use_specs=False, max_retries=0
    )


def get(sandbox, path, **kwargs):
    return http.get(sandbox.connect_url + path, headers=H, timeout=10, **kwargs)


def send(sandbox, method, path, body):
    return http.request(method, sandbox.connect_url + path, headers=H, json=body, timeout=10)


def everything(sandbox, path, query=""):
    """Every document of a list, paged by 5 with limit/offset, checking Content-Range on each page."""
    out, offset = [], 0
    while True:
        sep = "&" if query else ""
        r = get(sandbox, f"{path}?{query}{sep}limit=5&offset={offset}")
        assert r.status_code == 200
        page = r.json()
        total = int(r.headers["Content-Range"].rsplit("/", 1)[1])
        if page:
            assert r.headers["Content-Range"] == f"items {offset}-{offset + len(page) - 1}/{total}"
        out.extend(page)
        offset += 5
        if offset >= total:
            assert len(out) == total
            return out


def billed_asset(client, **filters):
    """An active, monthly recurring asset that has seeded billing requests."""
    subs = client.ns("subscriptions").assets.filter(status="active", **filters)
    return next(
        s
        for s in subs
        if s["billing"]["period"]["uom"] == "monthly" and s["billing"]["stats"]["vendor"]["count"]
    )


def new_request_body(sub, **overrides):
    start = sub["billing"]["next_date"]
    body = {
        "asset_id": sub["id"],
        "type": "vendor",
        "items": [{"id": i["id"]} for i in sub["items"] if i["quantity"]],
        "attributes": {"vendor": {"external_id": "INV-1"}},
        "period_from": start,
        "period_to": add_months(parse(start), 1).isoformat(),
        "period_delta": 1,
        "period_uom": "monthly",
    }
    body.update(overrides)
    return body


# ---------------------------------------------------------------------------------------------
# listings


def test_listings_one_per_product_marketplace_contract_of_the_assets(client, sandbox):
    listings = everything(sandbox, "/listings")
    combos = {(a["product"]["id"], a["marketplace"]["id"], a["contract"]["id"]) for a in client.assets.all()}
    assert sorted(
        (x["product"]["id"], x["marketplace"]["id"], x["contract"]["id"]) for x in listings
    ) == sorted(combos)
    assert {x["status"] for x in listings} == {"listed", "unlisted"}
    markets = {m["id"]: m for m in client.marketplaces.all()}
    for listing in listings:
        assert listing["id"].startswith("LST-")
        schema = listing["product"]["capabilities"]["ppu"]["schema"]
        assert schema == usage_schema(listing["product"]["id"]) and schema in ("QT", "TR", "PR", "CR")
        assert listing["contract"]["marketplace"]["id"] == listing["marketplace"]["id"]
        assert listing["contract"]["marketplace"]["currency"] in ("EUR", "USD")
        assert listing["marketplace"]["name"] == markets[listing["marketplace"]["id"]]["name"]
        assert listing["vendor"]["id"].startswith("VA-") and listing["provider"]["id"] == "PA-425-033"
        assert listing["created"] <= listing["updated"]


def test_listing_filters_the_usage_automation_uses(client, sandbox):
    listings = client.listings
    all_ = list(listings.all())
    listed = [x for x in all_ if x["status"] == "listed"]
    assert listings.filter(status="listed").count() == len(listed) < len(all_)
    sample = listed[0]
    pid = sample["product"]["id"]
    assert {x["id"] for x in listings.filter(R().product.id.oneof([pid, "PRD-000"]), status="listed")} == {
        x["id"] for x in listed if x["product"]["id"] == pid
    }
    for prop in ("contract.id", "marketplace.id", "vendor.id", "provider.id"):
        first, second = prop.split(".")
        value = sample[first][second]
        got = {x["id"] for x in everything(sandbox, "/listings", f"eq({prop},{value})")}
        assert got == {x["id"] for x in all_ if x[first][second] == value}
    assert listings[sample["id"]].get() == sample
    r = get(sandbox, "/listings/LST-000-000-000")
    assert r.status_code == 404
    assert r.json() == {"error_code": "NTF_001", "errors": ["Listing LST-000-000-000 not found."]}


# ---------------------------------------------------------------------------------------------
# recurring assets


def test_a_recurring_asset_for_each_connect_asset_with_its_data(client, sandbox):
    assets = {a["id"]: a for a in client.assets.all()}
    subs = everything(sandbox, "/subscriptions/assets")
    assert {s["id"] for s in subs} == set(assets)
    for sub in subs:
        asset = assets[sub["id"]]
        for key in (
            "status",
            "external_id",
            "external_uid",
            "tiers",
            "params",
            "contract",
            "marketplace",
            "connection",
        ):
            assert sub[key] == asset[key], key
        assert sub["product"]["id"] == asset["product"]["id"]
        assert [(i["id"], i["quantity"]) for i in sub["items"]] == [
            (i["id"], int(i["quantity"])) for i in asset["items"]
        ]
        billing = sub["billing"]
        assert billing["period"]["delta"] == 1 and billing["period"]["uom"] in ("monthly", "yearly")
        assert billing["anniversary"]["day"] == 1
        assert billing["anniversary"]["month"] == parse(asset["events"]["created"]["at"]).month
        if sub["status"] in ("processing", "terminated"):
            assert billing["next_date"] is None
        else:
            next_date = parse(billing["next_date"])
            assert next_date == month_start(next_date)  # billing runs on calendar months
    assert {s["status"] for s in subs} >= {"active", "processing", "terminated"}


def test_recurring_asset_filters_and_keyset_ordering(client, sandbox):
    subs = client.ns("subscriptions").assets
    all_ = list(subs.all())
    sample = next(s for s in all_ if s["status"] == "active")
    assert subs.filter(status="active").count() == sum(s["status"] == "active" for s in all_)
    for prop, value in [
        ("product.id", sample["product"]["id"]),
        ("marketplace.id", sample["marketplace"]["id"]),
        ("contract.id", sample["contract"]["id"]),
        ("tiers.customer.id", sample["tiers"]["customer"]["id"]),
        ("external_id", sample["external_id"]),
        ("external_uid", sample["external_uid"]),
    ]:
        node = sample
        for part in prop.split("."):
            node = node[part]
        got = {s["id"] for s in everything(sandbox, "/subscriptions/assets", f"eq({prop},{value})")}
        assert sample["id"] in got and len(got) == sum(1 for s in all_ if _dig(s, prop) == value)
    assert subs.filter(R().billing.next_date.null(True)).count() == sum(
        not s["billing"]["next_date"] for s in all_
    )
    due = subs.filter(R().billing.next_date.le(sample["billing"]["next_date"])).count()
    assert due == sum(
        bool(s["billing"]["next_date"]) and s["billing"]["next_date"] <= sample["billing"]["next_date"]
        for s in all_
    )
    cut = sorted(s["events"]["created"]["at"] for s in all_)[len(all_) // 2]
    assert subs.filter(R().events.created.at.ge(cut)).count() == sum(
        s["events"]["created"]["at"] >= cut for s in all_
    )
    ordered = everything(sandbox, "/subscriptions/assets", "ordering(events.updated.at,id)")
    keys = [(s["events"]["updated"]["at"], s["id"]) for s in ordered]
    assert keys == sorted(keys) and len(keys) == len(all_)
    # the keyset page after the fifth asset
    at, ident = keys[4]
    query = f"or(gt(events.updated.at,{at}),and(eq(events.updated.at,{at}),gt(id,{ident})))&ordering(events.updated.at,id)"
    assert [s["id"] for s in everything(sandbox, "/subscriptions/assets", query)] == [k[1] for k in keys[5:]]
    detail = subs[sample["id"]].get()
    assert detail == sample and detail["billing"]["stats"]["vendor"]["count"] >= 1
    r = get(sandbox, "/subscriptions/assets/AS-0000-0000-0000")
    assert r.status_code == 404
    assert r.json() == {"error_code": "NTF_001", "errors": ["Subscription AS-0000-0000-0000 not found."]}


def _dig(doc, prop):
    for part in prop.split("."):
        doc = doc[part]
    return doc


# ---------------------------------------------------------------------------------------------
# seeded billing requests


def test_seeded_billing_requests_cover_calendar_months_up_to_next_date(client, sandbox):
    requests_ = everything(sandbox, "/subscriptions/requests")
    assert {r["type"] for r in requests_} == {"vendor", "provider"}
    subs = {s["id"]: s for s in client.ns("subscriptions").assets.all()}
    by_asset = {}
    for request in requests_:
        by_asset.setdefault((request["asset"]["id"], request["type"]), []).append(request)
        start, end = parse(request["period"]["from"]), parse(request["period"]["to"])
        months = 1 if request["period"]["uom"] == "monthly" else 12
        assert start == month_start(start) and end == add_months(start, months)
        assert request["events"]["created"]["at"] >= request["period"]["from"]
        sub = subs[request["asset"]["id"]]
        assert sub["status"] in ("active", "suspended", "terminated")
        held = {i["id"] for i in sub["items"] if i["quantity"]}
        assert {i["id"] for i in request["items"]} == held
    for (asset_id, kind), reqs in by_asset.items():
        sub = subs[asset_id]
        reqs.sort(key=lambda r: r["period"]["from"])
        created = parse(sub["events"]["created"]["at"])
        assert parse(reqs[0]["period"]["from"]) == month_start(created)
        assert all(a["period"]["to"] == b["period"]["from"] for a, b in zip(reqs, reqs[1:], strict=False))
        assert [r["items"][0]["billing"]["cycle_number"] for r in reqs] == list(range(1, len(reqs) + 1))
        stats = sub["billing"]["stats"][kind]
        assert stats["count"] == len(reqs) and stats["last_request"]["id"] == reqs[-1]["id"]
        if kind == "vendor" and sub["billing"]["next_date"]:
            assert reqs[-1]["period"]["to"] == sub["billing"]["next_date"]


def test_billing_request_filters(client, sandbox):
    resource = client.ns("subscriptions").requests
    all_ = list(resource.all())
    sample = all_[len(all_) // 2]
    asset_id = sample["asset"]["id"]
    assert {r["id"] for r in resource.filter(asset__id=asset_id)} == {
        r["id"] for r in all_ if r["asset"]["id"] == asset_id
    }
    uid = sample["asset"]["external_uid"]
    assert resource.filter(R().asset.external_uid.eq(uid)).count() == sum(
        r["asset"]["external_uid"] == uid for r in all_
    )
    assert resource.filter(type="provider").count() == sum(r["type"] == "provider" for r in all_)
    since = sample["period"]["from"]
    assert resource.filter(R().period.__getattr__("from").ge(since)).count() == sum(
        r["period"]["from"] >= since for r in all_
    )
    touched = sample["events"]["updated"]["at"]
    assert resource.filter(R().events.updated.at.gt(touched)).count() == sum(
        r["events"]["updated"]["at"] > touched for r in all_
    )
    ordered = [r["period"]["from"] for r in resource.filter(asset__id=asset_id).order_by("period.from")]
    assert ordered == sorted(ordered)
    assert resource[sample["id"]].get() == sample
    r = get(sandbox, "/subscriptions/requests/BRV-0000-0000-0000-001")
    assert r.status_code == 404
    assert r.json() == {
        "error_code": "NTF_001",
        "errors": ["Billing request BRV-0000-0000-0000-001 not found."],
    }


def test_lists_want_the_api_key(sandbox):
    for path in ("/listings", "/subscriptions/assets", "/subscriptions/requests"):
        r = http.get(sandbox.connect_url + path, timeout=10)
        assert r.status_code == 401 and r.json()["error_code"] == "AUTH_001"


# ---------------------------------------------------------------------------------------------
# create


def test_create_a_billing_request_moves_the_asset_on(client, sandbox):
    resource = client.ns("subscriptions").requests
    sub = billed_asset(client)
    before = resource.filter(asset__id=sub["id"]).count()
    body = new_request_body(sub)
    created = resource.create(payload=body)
    assert created["id"] == f"BRV-{sub['id'][3:]}-{sub['billing']['stats']['vendor']['count'] + 1:03d}"
    assert created["type"] == "vendor"
    assert created["period"] == {
        "from": body["period_from"],
        "to": body["period_to"],
        "delta": 1,
        "uom": "monthly",
    }
    assert created["attributes"] == {"vendor": {"external_id": "INV-1"}, "provider": {}}
    assert created["asset"]["id"] == sub["id"] and created["asset"]["external_uid"] == sub["external_uid"]
    assert [i["id"] for i in created["items"]] == [i["id"] for i in body["items"]]
    assert created["items"][0]["billing"]["cycle_number"] == sub["billing"]["stats"]["vendor"]["count"] + 1
    assert created["events"]["created"]["at"] > sub["events"]["updated"]["at"]
    assert resource[created["id"]].get() == created
    assert resource.filter(asset__id=sub["id"]).count() == before + 1
    after = client.ns("subscriptions").assets[sub["id"]].get()
    assert after["billing"]["next_date"] == body["period_to"]  # the period covered its next date
    assert after["billing"]["stats"]["vendor"]["count"] == sub["billing"]["stats"]["vendor"]["count"] + 1
    assert after["billing"]["stats"]["vendor"]["last_request"]["id"] == created["id"]
    assert after["events"]["updated"]["at"] == created["events"]["created"]["at"]
    newest = client.ns("subscriptions").assets.all().order_by("-events.updated.at").first()
    assert newest["id"] == sub["id"]


def test_create_by_external_uid_with_quantities_for_the_provider(client, sandbox):
    sub = billed_asset(client)
    item = next(i for i in sub["items"] if i["quantity"])
    body = new_request_body(
        sub,
        asset_id=None,
        asset_external_uid=sub["external_uid"],
        type="provider",
        items=[{"id": item["id"], "quantity": 3}],
        period_from="2025-01-01T00:00:00Z",
        period_to="2025-02-01T00:00:00+00:00",
        attributes=None,
    )
    r = send(sandbox, "POST", "/subscriptions/requests/", body)  # with a trailing slash
    assert r.status_code == 201
    created = r.json()
    assert created["id"].startswith("BRP-") and created["type"] == "provider"
    assert created["items"][0]["quantity"] == 3
    assert created["period"]["from"] == "2025-01-01T00:00:00+00:00"
    after = client.ns("subscriptions").assets[sub["id"]].get()
    assert after["billing"]["next_date"] == sub["billing"]["next_date"]  # a past period: next date stays


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"asset_id": "AS-0000-0000-0000"}, "asset_id: Asset AS-0000-0000-0000 not found."),
        ({"asset_id": None}, "asset_id: Either asset_id or asset_external_uid is required."),
        (
            {"asset_id": None, "asset_external_uid": "nope"},
            "asset_external_uid: Asset with external_uid nope not found.",
        ),
        ({"items": []}, "items: This field is required (a non-empty list of the asset's items)."),
        (
            {"items": [{"id": "PRD_000_000_000_0001"}]},
            "items[0]: Item PRD_000_000_000_0001 is not an item of asset",
        ),
        ({"items": [{"quantity": 1}]}, "items[0]: Expected an object with the item's id."),
        (
            {"period_to": "2020-01-01T00:00:00+00:00"},
            "period_to: The end of the period must be after its start",
        ),
        ({"period_from": "next month"}, "period_from: Datetime has wrong format"),
        ({"period_to": None}, "period_to: This field is required."),
        ({"period_uom": "weekly"}, 'period_uom: "weekly" is not a valid choice'),
        ({"period_delta": -1}, "period_delta: A number greater than or equal to 0 is required."),
        ({"type": "reseller"}, 'type: "reseller" is not a valid choice (vendor, provider).'),
        ({"attributes": {"customer": {}}}, "attributes.customer: Unknown attribute side"),
    ],
)
def test_create_refuses_bad_bodies_like_connect(client, sandbox, overrides, message):
    sub = billed_asset(client)
    before = everything(sandbox, "/subscriptions/requests")
    r = send(sandbox, "POST", "/subscriptions/requests", new_request_body(sub, **overrides))
    assert r.status_code == 400
    body = r.json()
    assert set(body) == {"error_code", "errors"} and body["error_code"] == "VAL_001"
    assert len(body["errors"]) == 1 and body["errors"][0].startswith(message)
    assert everything(sandbox, "/subscriptions/requests") == before  # nothing written
    assert client.ns("subscriptions").assets[sub["id"]].get() == sub


def test_create_reports_every_problem_at_once_through_the_client(client):
    with pytest.raises(ClientError) as exc:
        client.ns("subscriptions").requests.create(payload={"asset_id": "AS-0000-0000-0000"})
    assert exc.value.status_code == 400 and exc.value.error_code == "VAL_001"
    assert len(exc.value.errors) == 6  # asset, items, period_from, period_to, period_delta, period_uom


# ---------------------------------------------------------------------------------------------
# attributes


def test_put_attributes_replaces_the_sides_given(client, sandbox):
    resource = client.ns("subscriptions").requests
    request = resource.filter(type="vendor").first()
    answer = resource[request["id"]]("attributes").put(
        payload={"provider": {"invoice": "P-77", "paid": True}}
    )
    assert answer == {
        "vendor": request["attributes"]["vendor"],
        "provider": {"invoice": "P-77", "paid": True},
    }
    stored = resource[request["id"]].get()
    assert stored["attributes"] == answer
    assert stored["events"]["updated"]["at"] > request["events"]["updated"]["at"]
    assert (
        resource.filter(R().events.updated.at.ge(stored["events"]["updated"]["at"])).first()["id"]
        == request["id"]
    )
    r = send(
        sandbox, "PUT", f"/subscriptions/requests/{request['id']}/attributes/", {"vendor": {"note": "x"}}
    )
    assert r.status_code == 200 and r.json() == {"vendor": {"note": "x"}, "provider": answer["provider"]}


def test_put_attributes_refusals(sandbox):
    ident = get(sandbox, "/subscriptions/requests?limit=1").json()[0]["id"]
    r = send(sandbox, "PUT", f"/subscriptions/requests/{ident}/attributes", {"vendor": "text"})
    assert r.status_code == 400 and r.json() == {
        "error_code": "VAL_001",
        "errors": ["vendor: Expected an object."],
    }
    r = send(sandbox, "PUT", f"/subscriptions/requests/{ident}/attributes", ["vendor"])
    assert r.status_code == 400 and r.json()["error_code"] == "VAL_001"
    r = send(sandbox, "PUT", "/subscriptions/requests/BRV-0000-0000-0000-001/attributes", {"vendor": {}})
    assert r.status_code == 404
    assert r.json() == {
        "error_code": "NTF_001",
        "errors": ["Billing request BRV-0000-0000-0000-001 not found."],
    }
    assert send(sandbox, "POST", f"/subscriptions/requests/{ident}/attributes", {}).status_code == 405


def test_trailing_slashes(sandbox):
    for path in ("/listings/", "/subscriptions/assets/", "/subscriptions/requests/"):
        r = get(sandbox, path)
        assert r.status_code == 200 and r.json()
        ident = r.json()[0]["id"]
        assert get(sandbox, f"{path}{ident}/").json()["id"] == ident


# ---------------------------------------------------------------------------------------------
# life


def test_tick_bills_the_due_assets_and_follows_connect(client, sandbox):
    subs = client.ns("subscriptions").assets
    due = {s["id"]: s for s in subs.filter(status="active") if s["billing"]["next_date"]}
    assert due  # seeded next dates are in the world's past, so they are due now
    result = http.post(f"{sandbox.url}/_sandbox/tick", timeout=30).json()["usage"]
    assert 1 <= len({b.split("-", 1)[1].rsplit("-", 1)[0] for b in result["billed"]}) <= 3
    for ident in result["billed"]:
        request = client.ns("subscriptions").requests[ident].get()
        before = due[request["asset"]["id"]]
        assert request["period"]["from"] == before["billing"]["next_date"]
        after = subs[before["id"]].get()
        months = 1 if before["billing"]["period"]["uom"] == "monthly" else 12
        assert (
            after["billing"]["next_date"]
            == add_months(parse(before["billing"]["next_date"]), months).isoformat()
        )
        assert after["events"]["updated"]["at"] > before["events"]["updated"]["at"]
    # a purchase Connect approves becomes a billed recurring asset from the current month
    purchase = client.requests.filter(status="pending", type="purchase").first()
    template = (
        client.products[purchase["asset"]["product"]["id"]]
        .templates.filter(scope="asset", type="fulfillment")
        .first()
    )
    client.requests[purchase["id"]]("approve").post({"template_id": template["id"]})
    http.post(f"{sandbox.url}/_sandbox/tick", timeout=30).raise_for_status()
    sub = subs[purchase["asset"]["id"]].get()
    assert sub["status"] == "active"
    this_month = month_start(datetime.now(UTC)).isoformat()
    assert sub["billing"]["next_date"] in (this_month, add_months(parse(this_month), 1).isoformat())


def test_reset_gives_the_same_seeded_billing(client, sandbox):
    first = everything(sandbox, "/subscriptions/requests")
    send(sandbox, "POST", "/subscriptions/requests", new_request_body(billed_asset(client)))
    assert len(everything(sandbox, "/subscriptions/requests")) == len(first) + 1
    http.post(f"{sandbox.url}/_sandbox/reset", json={}, timeout=60).raise_for_status()
    assert everything(sandbox, "/subscriptions/requests") == first
