"""The sandbox over raw HTTP: auth and error bodies, paths, bodies, pagination edge cases, RQL."""

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest
import requests

H = {"Authorization": "ApiKey SU-000-000-000:x"}


def get(sandbox, path, **kw):
    return requests.get(sandbox.connect_url + path, headers=H, timeout=10, **kw)


def post(sandbox, path, **kw):
    return requests.post(sandbox.connect_url + path, headers=kw.pop("headers", H), timeout=10, **kw)


def all_requests(sandbox):
    return get(sandbox, "/requests?limit=1000").json()


def first(sandbox, query):
    body = get(sandbox, f"/requests?{query}&limit=1").json()
    assert body, query
    return body[0]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer x"}, {"Authorization": "ApiKey "}])
def test_unauthorized(sandbox, headers):
    r = requests.get(sandbox.connect_url + "/requests", headers=headers, timeout=5)
    assert r.status_code == 401
    assert r.json() == {"error_code": "AUTH_001", "errors": ["API request is unauthorized."]}
    assert r.headers["Content-Type"].startswith("application/json")


def test_control_endpoints_need_no_auth(sandbox):
    assert requests.get(sandbox.url + "/_sandbox/state", timeout=5).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/requests/PR-0000-0000-0000-001",
        "/assets/AS-0",
        "/tier/configs/TC-0",
        "/conversations/CO-0",
        "/nothing",
    ],
)
def test_not_found_body(sandbox, path):
    r = get(sandbox, path)
    assert r.status_code == 404
    body = r.json()
    assert set(body) == {"error_code", "errors"} and body["errors"]


def test_trailing_slashes(sandbox):
    request = first(sandbox, "eq(status,pending)")
    assert get(sandbox, "/requests/").status_code == 200
    assert get(sandbox, f"/requests/{request['id']}/").json()["id"] == request["id"]
    pid = request["asset"]["product"]["id"]
    assert get(sandbox, f"/products/{pid}/templates/").status_code == 200
    r = post(sandbox, f"/requests/{request['id']}/inquire/")
    assert r.status_code == 200 and r.json()["status"] == "inquiring"


def test_empty_bodies_on_optional_actions(sandbox):
    ids = [r["id"] for r in get(sandbox, "/requests?eq(status,pending)").json()]
    assert len(ids) >= 3
    # no body, an empty body with a JSON content type, and {}
    assert post(sandbox, f"/requests/{ids[0]}/inquire").status_code == 200
    r = post(
        sandbox, f"/requests/{ids[1]}/inquire", data=b"", headers={**H, "Content-Type": "application/json"}
    )
    assert r.status_code == 200
    assert post(sandbox, f"/requests/{ids[2]}/inquire", json={}).status_code == 200
    for ident in ids:
        assert post(sandbox, f"/requests/{ident}/pend", json={}).status_code == 200
    assert post(sandbox, f"/requests/{ids[0]}/unassign").status_code == 200
    tcr = get(sandbox, "/tier/config-requests?eq(status,pending)").json()[0]
    r = post(sandbox, f"/tier/config-requests/{tcr['id']}/inquire", json={})
    assert r.status_code == 204 and r.content == b""
    assert post(sandbox, f"/tier/config-requests/{tcr['id']}/pend").status_code == 204
    r = post(sandbox, f"/tier/config-requests/{tcr['id']}/approve")
    assert r.status_code == 200 and set(r.json()) == {"template", "effective_date"}


def test_invalid_transitions_and_validation(sandbox):
    approved = first(sandbox, "eq(status,approved)")
    for action, body in [
        ("approve", {"template_id": "TL-1"}),
        ("inquire", {}),
        ("pend", {}),
        ("fail", {"reason": "x"}),
    ]:
        r = post(sandbox, f"/requests/{approved['id']}/{action}", json=body)
        assert r.status_code == 400, action
        assert r.json()["error_code"] == "REQ_003" and "approved" in r.json()["errors"][0]
    pending = first(sandbox, "eq(status,pending)")
    assert post(sandbox, f"/requests/{pending['id']}/pend").json()["error_code"] == "REQ_003"
    # approve needs a fulfillment template of the request's product
    r = post(sandbox, f"/requests/{pending['id']}/approve", json={})
    assert r.status_code == 400 and r.json()["error_code"] == "VAL_001"
    pid = pending["asset"]["product"]["id"]
    templates = get(sandbox, f"/products/{pid}/templates").json()
    inquire = next(t for t in templates if t["type"] == "inquire")
    assert (
        post(sandbox, f"/requests/{pending['id']}/approve", json={"template_id": inquire["id"]}).status_code
        == 400
    )
    other = next(p for p in get(sandbox, "/products").json() if p["id"] != pid)
    foreign = get(sandbox, f"/products/{other['id']}/templates?eq(type,fulfillment)").json()[0]
    assert (
        post(sandbox, f"/requests/{pending['id']}/approve", json={"template_id": foreign["id"]}).status_code
        == 400
    )
    # fail needs a reason
    assert post(sandbox, f"/requests/{pending['id']}/fail", json={}).status_code == 400
    # unknown parameter in a PUT
    r = requests.put(
        f"{sandbox.connect_url}/requests/{pending['id']}",
        json={"asset": {"params": [{"id": "nope", "value": "x"}]}},
        headers=H,
        timeout=5,
    )
    assert r.status_code == 400 and r.json()["error_code"] == "VAL_001"
    assert post(sandbox, f"/requests/{pending['id']}/frobnicate").status_code == 404
    # activation tile instead of a template
    r = post(sandbox, f"/requests/{pending['id']}/approve", json={"activation_tile": "# Welcome"})
    assert r.status_code == 200 and r.json()["status"] == "approved"


def test_put_params_changes_only_value_fields(sandbox):
    pending = first(sandbox, "eq(status,pending)")
    param = pending["asset"]["params"][0]
    change = {"id": param["id"], "value": "new", "value_error": "bad", "title": "ignored"}
    r = requests.put(
        f"{sandbox.connect_url}/requests/{pending['id']}",
        json={"asset": {"params": [change]}},
        headers=H,
        timeout=5,
    )
    assert r.status_code == 200
    got = next(p for p in r.json()["asset"]["params"] if p["id"] == param["id"])
    assert got["value"] == "new" and got["value_error"] == "bad" and got["title"] == param["title"]
    assert r.json()["updated"] > pending["updated"]
    asset = get(sandbox, f"/assets/{pending['asset']['id']}").json()
    assert next(p for p in asset["params"] if p["id"] == param["id"])["value"] == "new"


def test_content_range_edge_cases(sandbox):
    total = len(all_requests(sandbox))
    r = get(sandbox, "/requests?limit=10&offset=0")
    assert r.headers["Content-Range"] == f"items 0-9/{total}" and len(r.json()) == 10
    r = get(sandbox, "/requests?limit=10&offset=35")
    assert r.headers["Content-Range"] == f"items 35-{total - 1}/{total}"
    r = get(sandbox, "/requests?limit=0")
    assert r.json() == [] and r.headers["Content-Range"] == f"items 0-0/{total}"
    r = get(sandbox, f"/requests?limit=10&offset={total + 5}")
    assert r.json() == [] and r.headers["Content-Range"].endswith(f"/{total}")
    r = get(sandbox, "/requests?eq(status,nonexistent)")
    assert r.json() == [] and r.headers["Content-Range"] == "items 0-0/0"
    r = get(sandbox, "/requests")  # default limit 100
    assert len(r.json()) == total and r.headers["Content-Type"].startswith("application/json")


def test_limit_is_clamped_at_1000(sandbox):
    requests.post(f"{sandbox.url}/_sandbox/reset", json={"scale": 1200}, timeout=120).raise_for_status()
    try:
        r = get(sandbox, "/requests?limit=5000")
        assert len(r.json()) == 1000
        assert r.headers["Content-Range"] == "items 0-999/1200"
    finally:
        requests.post(f"{sandbox.url}/_sandbox/reset", json={}, timeout=60).raise_for_status()


def test_rql_operators_and_shorthands(sandbox):
    everything = all_requests(sandbox)

    def ids(query):
        return {r["id"] for r in get(sandbox, f"/requests?{query}&limit=1000").json()}

    def expect(pred):
        return {r["id"] for r in everything if pred(r)}

    assert ids("status=pending") == ids("eq(status,pending)") == expect(lambda r: r["status"] == "pending")
    assert ids("status=ne=pending") == expect(lambda r: r["status"] != "pending")
    assert ids("in(status,(pending,inquiring))") == expect(lambda r: r["status"] in ("pending", "inquiring"))
    assert ids("out(status,(pending,inquiring))") == expect(
        lambda r: r["status"] not in ("pending", "inquiring")
    )
    assert ids("not(eq(type,purchase))") == expect(lambda r: r["type"] != "purchase")
    assert ids("eq(answered,true)") == expect(lambda r: r["answered"] is True)
    assert ids("eq(answered,false)") == expect(lambda r: r["answered"] is False)
    assert ids("eq(assignee,null())") == expect(lambda r: not r["assignee"])
    assert ids("ne(assignee,null())") == expect(lambda r: bool(r["assignee"]))
    assert ids("ne(reason,empty())") == expect(lambda r: r["reason"] != "")
    name = everything[0]["asset"]["tiers"]["customer"]["name"]
    word = name.split()[0]
    assert ids(f"ilike(asset.tiers.customer.name,*{word.lower()}*)") == expect(
        lambda r: word.lower() in r["asset"]["tiers"]["customer"]["name"].lower()
    )
    assert ids(f"like(asset.tiers.customer.name,*{word.lower()}*)") == expect(
        lambda r: word.lower() in r["asset"]["tiers"]["customer"]["name"]
    )
    assert ids(f"ilike(asset.tiers.customer.name,{quote(chr(34) + name + chr(34))})") == expect(
        lambda r: r["asset"]["tiers"]["customer"]["name"] == name
    )
    # nested properties of any depth, through arrays too
    contact = everything[0]["asset"]["tiers"]["customer"]["contact_info"]["contact"]["email"]
    assert everything[0]["id"] in ids(f"eq(asset.tiers.customer.contact_info.contact.email,{quote(contact)})")
    value = everything[0]["asset"]["params"][0]["value"]
    assert everything[0]["id"] in ids(f"eq(asset.params.value,{quote(value)})")
    # search on ids and names
    target = everything[3]
    assert target["id"] in ids(f"search={target['id']}")
    assert target["id"] in ids(f"search={quote(target['asset']['tiers']['customer']['name'])}")
    # ordering, with id as the tiebreaker
    ordered = get(sandbox, "/requests?ordering(-status,created)&limit=1000").json()
    keys = [(r["status"], r["created"], r["id"]) for r in ordered]
    assert keys == sorted(keys, key=lambda k: (_neg(k[0]), k[1], k[2]))
    assert get(sandbox, "/requests?eq(status").status_code == 400


def _neg(text):
    return [-ord(c) for c in text] + [1]


def test_datetime_comparisons_in_any_timezone(sandbox):
    everything = all_requests(sandbox)
    pivot = sorted(r["updated"] for r in everything)[len(everything) // 2]  # e.g. 2024-07-01T10:00:00+00:00
    expected = {r["id"] for r in everything if r["updated"] >= pivot}
    base = pivot[:19]
    hour = int(base[11:13])
    shifted = f"{base[:11]}{(hour + 2) % 24:02d}{base[13:]}+02:00" if hour < 22 else None
    for value in [pivot, base + "Z", base, *([shifted] if shifted else [])]:
        got = {r["id"] for r in get(sandbox, f"/requests?ge(updated,{quote(value)})&limit=1000").json()}
        assert got == expected, value
    date_only = pivot[:10]
    got = {r["id"] for r in get(sandbox, f"/requests?ge(created,{date_only})&limit=1000").json()}
    assert got == {r["id"] for r in everything if r["created"] >= date_only + "T00:00:00+00:00"}
    # events.updated.at is the cursor of assets; `updated` is an alias
    asset = get(sandbox, "/assets?ordering(events.updated.at)&limit=1").json()[0]
    at = asset["events"]["updated"]["at"]
    a = get(sandbox, f"/assets?ge(events.updated.at,{quote(at)})&limit=0").headers["Content-Range"]
    b = get(sandbox, f"/assets?ge(updated,{quote(at)})&limit=0").headers["Content-Range"]
    assert a == b


def test_keyset_paging_walks_everything_once(sandbox):
    everything = all_requests(sandbox)
    seen, cursor = [], None
    while True:
        position = ""
        if cursor:
            t, ident = (quote(v) for v in cursor)
            position = f"or(gt(updated,{t}),and(eq(updated,{t}),gt(id,{ident})))&"
        page = get(sandbox, f"/requests?{position}ordering(updated,id)&limit=7&offset=0").json()
        if not page:
            break
        seen.extend(r["id"] for r in page)
        cursor = (page[-1]["updated"], page[-1]["id"])
    assert seen == [r["id"] for r in sorted(everything, key=lambda r: (r["updated"], r["id"]))]
    scoped = get(sandbox, "/tier/config-requests?and(eq(status,approved),ge(updated,2020-01-01T00:00:00Z))")
    assert all(t["status"] == "approved" for t in scoped.json()) and scoped.json()


def test_select_excludes_nested_fields(sandbox):
    r = get(sandbox, "/requests?select(-asset.items,-asset.params.value_choices,-marketplace)&limit=3")
    for doc in r.json():
        assert "items" not in doc["asset"] and "marketplace" not in doc
        assert all("value_choices" not in p for p in doc["asset"]["params"])


def test_asset_requests_and_conversations(sandbox):
    request = first(sandbox, "ne(type,purchase)")
    refs = get(sandbox, f"/assets/{request['asset']['id']}/requests").json()
    assert request["id"] in {r["id"] for r in refs}
    assert set(refs[0]) >= {"id", "type", "status", "events", "assignee"}
    conv = get(sandbox, f"/conversations?instance_id={request['id']}").json()
    assert len(conv) == 1
    assert get(sandbox, f"/conversations/{request['id']}").json()["id"] == conv[0]["id"]
    r = post(sandbox, f"/conversations/{conv[0]['id']}/messages", json={"text": "hello", "type": "private"})
    assert r.status_code == 201 and r.json()["type"] == "private"
    assert post(sandbox, f"/conversations/{conv[0]['id']}/messages", json={}).status_code == 400
    messages = get(sandbox, f"/conversations/{conv[0]['id']}/messages").json()
    assert messages[-1]["text"] == "hello"


def test_twenty_threads_approving_one_request(sandbox):
    request = first(sandbox, "and(eq(status,pending),eq(type,purchase))")
    pid = request["asset"]["product"]["id"]
    template = get(sandbox, f"/products/{pid}/templates?and(eq(scope,asset),eq(type,fulfillment))").json()[0]

    def approve(_):
        return post(
            sandbox, f"/requests/{request['id']}/approve", json={"template_id": template["id"]}
        ).status_code

    with ThreadPoolExecutor(20) as pool:
        codes = list(pool.map(approve, range(20)))
    assert codes.count(200) == 1 and codes.count(400) == 19
    log = requests.get(f"{sandbox.url}/_sandbox/log", timeout=5).json()
    assert sum(e["path"].endswith(f"{request['id']}/approve") for e in log) == 20
