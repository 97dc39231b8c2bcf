"""Lists, filters and pagination; partner links; faults in the Google envelope; reset and
determinism of the seed."""

import tempfile
from pathlib import Path

import pytest
import requests

from channelhub.sandbox.server import SandboxServer

from .conftest import ACCOUNT, error_of


def test_page_size_default_and_coercion(api):
    api.knobs(empty_page_every=0)
    assert len(api.ok(api.get(f"{ACCOUNT}/customers"))["customers"]) == 10
    assert len(api.ok(api.get(f"{ACCOUNT}/customers", pageSize=500))["customers"]) == 40
    assert error_of(api.get(f"{ACCOUNT}/customers", pageSize=-1))[:2] == (400, "INVALID_ARGUMENT")
    links = api.ok(api.get(f"{ACCOUNT}/channelPartnerLinks", pageSize=1))
    assert len(links["channelPartnerLinks"]) == 1 and links["nextPageToken"]


def test_page_token_with_changed_params_is_invalid(api):
    api.knobs(empty_page_every=0)
    first = api.ok(api.get(f"{ACCOUNT}/customers", pageSize=5, filter='domain:"a*"'))
    token = first["nextPageToken"] if "nextPageToken" in first else None
    if token is None:  # the filter matched too few customers to page; use an unfiltered list
        token = api.ok(api.get(f"{ACCOUNT}/customers", pageSize=5))["nextPageToken"]
        r = api.get(f"{ACCOUNT}/customers", pageSize=5, filter='domain:"a*"', pageToken=token)
    else:
        r = api.get(f"{ACCOUNT}/customers", pageSize=5, pageToken=token)
    assert error_of(r) == (400, "INVALID_ARGUMENT", "INVALID_PAGE_TOKEN")
    assert error_of(api.get(f"{ACCOUNT}/customers", pageToken="garbage!"))[:2] == (400, "INVALID_ARGUMENT")
    # pageSize may change between pages, and global params are ignored
    token = api.ok(api.get(f"{ACCOUNT}/customers", pageSize=5))["nextPageToken"]
    assert (
        len(api.ok(api.get(f"{ACCOUNT}/customers", pageSize=7, pageToken=token, alt="json"))["customers"])
        == 7
    )


def test_empty_pages_carry_a_token_and_lose_nothing(api):
    api.knobs(empty_page_every=0)
    plain = api.all(f"{ACCOUNT}/customers", "customers", pageSize=6)
    api.knobs(empty_page_every=2)
    second = api.ok(
        api.get(
            f"{ACCOUNT}/customers",
            pageSize=6,
            pageToken=api.ok(api.get(f"{ACCOUNT}/customers", pageSize=6))["nextPageToken"],
        )
    )
    assert "customers" not in second and second["nextPageToken"]
    assert api.all(f"{ACCOUNT}/customers", "customers", pageSize=6) == plain


def test_customer_filters(api):
    customers = api.all(f"{ACCOUNT}/customers", "customers", pageSize=50)
    one = customers[3]

    def names(text):
        return {c["name"] for c in api.all(f"{ACCOUNT}/customers", "customers", pageSize=50, filter=text)}

    assert names(f'domain = "{one["domain"].upper()}"') == {one["name"]}
    prefix = one["orgDisplayName"][:3].lower()
    expected = {c["name"] for c in customers if c["orgDisplayName"].lower().startswith(prefix)}
    assert names(f'org_display_name : "{prefix}*"') == expected
    two = customers[5]
    assert names(f'domain = "{one["domain"]}" OR domain = "{two["domain"]}"') == {one["name"], two["name"]}
    assert names(f'(domain = "{one["domain"]}") AND org_display_name:"{one["orgDisplayName"]}"') == {
        one["name"]
    }
    with_ci = next(c for c in customers if c.get("cloudIdentityId"))
    assert names(f'cloud_identity_id = "{with_ci["cloudIdentityId"]}"') == {with_ci["name"]}
    mixed = 'domain = "a" AND domain = "b" OR domain = "c"'
    assert error_of(api.get(f"{ACCOUNT}/customers", filter=mixed))[:2] == (400, "INVALID_ARGUMENT")
    assert error_of(api.get(f"{ACCOUNT}/customers", filter='cloud_identity_id : "C0*"'))[:2] == (
        400,
        "INVALID_ARGUMENT",
    )
    assert error_of(api.get(f"{ACCOUNT}/customers", filter='colour = "red"'))[:2] == (400, "INVALID_ARGUMENT")


def test_entitlement_changes_wildcard_and_time_filter(api):
    customer = next(
        c["name"]
        for c in api.all(f"{ACCOUNT}/customers", "customers", pageSize=50)
        if len(api.get(f"{c['name']}/entitlements").json().get("entitlements", [])) >= 2
    )
    changes = api.all(f"{customer}/entitlements/-:listEntitlementChanges", "entitlementChanges", pageSize=50)
    entitlements = {e["name"] for e in api.all(f"{customer}/entitlements", "entitlements")}
    assert entitlements <= {c["entitlement"] for c in changes}
    times = [c["createTime"] for c in changes]
    assert times == sorted(times) and all(t.endswith("Z") for t in times)
    for change in changes:
        assert {
            "entitlement",
            "offer",
            "createTime",
            "parameters",
            "provisionedService",
            "changeType",
        } <= set(change)
    middle = times[len(times) // 2]
    later = api.all(
        f"{customer}/entitlements/-:listEntitlementChanges",
        "entitlementChanges",
        filter=f'create_time >= "{middle}"',
    )
    assert later == [c for c in changes if c["createTime"] >= middle]
    window = api.all(
        f"{customer}/entitlements/-:listEntitlementChanges",
        "entitlementChanges",
        filter=f'create_time > "{times[0]}" AND create_time < "{middle}"',
    )
    assert window == [c for c in changes if times[0] < c["createTime"] < middle]
    bad = api.get(f"{customer}/entitlements/-:listEntitlementChanges", filter="change_type = CREATED")
    assert error_of(bad)[:2] == (400, "INVALID_ARGUMENT")


def test_seeded_history_covers_every_state(api):
    entitlements = api.entitlements()
    reasons = {r for e in entitlements for r in e.get("suspensionReasons", [])}
    assert reasons == {
        "RESELLER_INITIATED",
        "TRIAL_ENDED",
        "RENEWAL_WITH_TYPE_CANCEL",
        "PENDING_TOS_ACCEPTANCE",
        "OTHER",
    }
    plans = {api.offer(e["offer"])["plan"]["paymentPlan"] for e in entitlements}
    assert plans == {"COMMITMENT", "FLEXIBLE", "TRIAL", "FREE"}
    trial = next(e for e in entitlements if e.get("trialSettings", {}).get("trial"))
    assert trial["trialSettings"]["endTime"].endswith("Z")
    commitment = next(e for e in entitlements if "commitmentSettings" in e)
    assert commitment["commitmentSettings"]["renewalSettings"]["paymentCycle"] == {
        "duration": 1,
        "periodType": "YEAR",
    }
    assert all(
        isinstance(p["value"].get("int64Value", ""), str) for e in entitlements for p in e["parameters"]
    )


def test_channel_partner_links(api):
    links = api.all(f"{ACCOUNT}/channelPartnerLinks", "channelPartnerLinks")
    assert {link["linkState"] for link in links} == {"INVITED", "ACTIVE", "SUSPENDED", "REVOKED"}
    assert all("channelPartnerCloudIdentityInfo" not in link for link in links)  # BASIC view
    full = api.ok(api.get(links[0]["name"], view="FULL"))
    assert full["channelPartnerCloudIdentityInfo"]["primaryDomain"]

    invited = next(link for link in links if link["linkState"] == "INVITED")
    mask = "channel_partner_link.link_state"
    r = api.patch(invited["name"], {"channelPartnerLink": {"linkState": "ACTIVE"}, "updateMask": mask})
    assert error_of(r)[:2] == (400, "INVALID_ARGUMENT")
    r = api.patch(
        invited["name"], {"channelPartnerLink": {"linkState": "REVOKED"}, "updateMask": "link_state"}
    )
    assert error_of(r)[:2] == (400, "INVALID_ARGUMENT")
    active = next(link for link in links if link["linkState"] == "ACTIVE")
    r = api.ok(
        api.patch(active["name"], {"channelPartnerLink": {"linkState": "SUSPENDED"}, "updateMask": mask})
    )
    assert r["linkState"] == "SUSPENDED" and r["updateTime"] != active["updateTime"]

    created = api.ok(
        api.post(
            f"{ACCOUNT}/channelPartnerLinks", {"resellerCloudIdentityId": "C0new1234", "linkState": "INVITED"}
        )
    )
    assert created["name"] == f"{ACCOUNT}/channelPartnerLinks/C0new1234" and created["inviteLinkUri"]
    again = api.post(
        f"{ACCOUNT}/channelPartnerLinks", {"resellerCloudIdentityId": "C0new1234", "linkState": "INVITED"}
    )
    assert error_of(again)[:2] == (409, "ALREADY_EXISTS")


def test_partner_link_customers(api):
    customers = api.all(f"{ACCOUNT}/customers", "customers", pageSize=50)
    partner = next(c["channelPartnerId"] for c in customers if c.get("channelPartnerId"))
    link = f"{ACCOUNT}/channelPartnerLinks/{partner}"
    linked = api.all(f"{link}/customers", "customers")
    assert {c["name"].rsplit("/", 1)[1] for c in linked} == {
        c["name"].rsplit("/", 1)[1] for c in customers if c.get("channelPartnerId") == partner
    }
    assert all(c["name"].startswith(f"{link}/customers/") for c in linked)
    assert api.ok(api.get(linked[0]["name"]))["name"] == linked[0]["name"]


def test_check_cloud_identity_accounts_exist(api):
    customer = next(
        c for c in api.all(f"{ACCOUNT}/customers", "customers", pageSize=50) if c.get("cloudIdentityId")
    )
    found = api.ok(api.post(f"{ACCOUNT}:checkCloudIdentityAccountsExist", {"domain": customer["domain"]}))
    assert found["cloudIdentityAccounts"][0]["customerName"] == customer["name"]
    assert found["cloudIdentityAccounts"][0]["owned"] is True
    assert api.ok(api.post(f"{ACCOUNT}:checkCloudIdentityAccountsExist", {"domain": "free.example"})) == {}
    taken = api.ok(api.post(f"{ACCOUNT}:checkCloudIdentityAccountsExist", {"domain": "taken.example"}))
    assert taken["cloudIdentityAccounts"][0]["owned"] is False


@pytest.mark.parametrize("kind", ["503", "429", "500"])
def test_faults_answer_in_the_google_envelope(api, sandbox, kind):
    api.ok(api.get(f"{ACCOUNT}/customers"))  # token first, so the fault hits the API call
    requests.post(f"{sandbox.url}/_sandbox/faults", json={"next": [kind], "retry_after": 2}, timeout=5)
    r = api.get(f"{ACCOUNT}/customers")
    status, canonical, _ = error_of(r)
    assert (status, canonical) == (
        int(kind),
        {"503": "UNAVAILABLE", "429": "RESOURCE_EXHAUSTED", "500": "INTERNAL"}[kind],
    )
    assert r.headers["Content-Type"] == "application/json; charset=UTF-8"
    if kind == "429":
        assert r.headers["Retry-After"] == "2"


def test_core_errors_on_channel_paths_use_the_google_envelope(sandbox):
    r = requests.get(f"{sandbox.url}/token", timeout=5)
    assert error_of(r)[0] == 405


def test_reset_restores_the_seed_and_the_knobs(api, sandbox):
    before = api.entitlements()
    api.knobs(lro_polls=3, empty_page_every=0)
    ent = next(e for e in before if e["provisioningState"] == "ACTIVE")
    api.post(f"{ent['name']}:cancel")
    requests.post(f"{sandbox.url}/_sandbox/reset", json={}, timeout=60).raise_for_status()
    assert api.entitlements() == before  # the token survived the reset too
    assert api.knobs()["lro_polls"] == 0 and api.knobs()["empty_page_every"] == 4


def test_same_seed_same_world():
    def snapshot(directory):
        server = SandboxServer(state_path=Path(directory) / "s.sqlite3", seed=11, scale=15)
        server.app.open(reset=True)
        with server.app.store.session() as session:
            return {
                table: session.conn.execute(f"SELECT id, doc FROM {table} ORDER BY id").fetchall()
                for table in (
                    "ch_customers",
                    "ch_entitlements",
                    "ch_changes",
                    "ch_offers",
                    "ch_links",
                    "ch_foreign",
                )
            }

    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as two:
        assert snapshot(one) == snapshot(two)
