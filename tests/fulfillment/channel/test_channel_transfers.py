"""Cloud Channel transfers end to end against the sandbox over real HTTP: the lookup (with the
customer's auth token), each SKU's eligibility in words, the transfer in (import, operation,
mirror, audit), a failing operation, a lost answer retried with the same requestId, the
transfer to Google and the reconcile that calls such entitlements "transferred".

The sandbox's truth is read with Google's discovery client (helpers.Upstream), never ours.
"""

from __future__ import annotations

import json
import logging
import time

import pytest
import requests

from channelhub.models import ActionStatus, AuditEvent, GoneReason, UpstreamAction
from channelhub.services import ServiceError
from channelhub.upstream.channel import ChannelClient
from channelhub.upstream.errors import UpstreamRejected
from fulfillment.channel import selectors, services
from fulfillment.channel.display import TRANSFER_INELIGIBILITY_WORDS
from fulfillment.models import Customer, Entitlement

from .helpers import clear_log, faults, knobs, log, send, sync_channel

pytestmark = pytest.mark.django_db

REASONS = sorted(set(TRANSFER_INELIGIBILITY_WORDS) - {"REASON_UNSPECIFIED"})


def foreign(sandbox) -> list[dict]:
    """The sandbox's customers at other resellers, with the tokens their admins would give us."""
    described = requests.get(f"{sandbox.url}/_sandbox/channel", timeout=10).json()
    return described["transferable_customers"]


def held_elsewhere(sandbox) -> list[tuple[dict, list]]:
    """Each foreign customer with what Google lists for it (this presents every token)."""
    client = ChannelClient.from_settings()
    return [
        (c, client.transferable_skus(cloud_identity_id=c["cloudIdentityId"], auth_token=c["authToken"]))
        for c in foreign(sandbox)
    ]


def pick(sandbox, *, verified=True, all_eligible=True, owner="reseller", at_least=1) -> tuple[dict, list]:
    for customer, skus in held_elsewhere(sandbox):
        if customer["owner"] != owner or bool(customer["domainVerified"]) != verified or len(skus) < at_least:
            continue
        if all(s.eligible for s in skus) == all_eligible:
            return customer, skus
    raise AssertionError(f"the sandbox seeds no foreign customer with verified={verified}, owner={owner}")


def choose_all(lookup) -> list[dict]:
    return [
        {
            "sku": c.sku.name,
            "offer": c.offers[0]["name"],
            "seats": c.offers[0]["min_seats"],
            "purchase_order_id": "PO-7",
        }
        for c in lookup.eligible
    ]


def secret_free(token: str, *texts) -> None:
    for text in texts:
        assert token not in (text if isinstance(text, str) else json.dumps(text, default=str))


# --- the lookup ------------------------------------------------------------------------------------


def test_the_token_is_needed_until_it_was_presented_once(mirrored):
    customer = foreign(mirrored)[0]
    cid = customer["cloudIdentityId"]
    with pytest.raises(ServiceError, match="no auth token"):
        selectors.transfer_lookup(cloud_identity_id=cid)
    with pytest.raises(ServiceError, match="auth token is invalid"):
        selectors.transfer_lookup(cloud_identity_id=cid, auth_token="not-" + customer["authToken"])
    first = selectors.transfer_lookup(cloud_identity_id=cid, auth_token=customer["authToken"])
    assert first.choices and first.customer is None
    again = selectors.transfer_lookup(cloud_identity_id=cid)  # authorized now: no token needed
    assert [c.sku.name for c in again.choices] == [c.sku.name for c in first.choices]


def test_lookup_by_domain_finds_the_cloud_identity(mirrored):
    customer = foreign(mirrored)[0]
    lookup = selectors.transfer_lookup(domain=customer["domain"].upper(), auth_token=customer["authToken"])
    assert lookup.cloud_identity_id == customer["cloudIdentityId"]
    with pytest.raises(ServiceError, match="no Cloud Identity account"):
        selectors.transfer_lookup(domain="nobody-has-this.example", auth_token="x")


def test_each_ineligibility_reason_is_shown_in_words(mirrored):
    seen = {}
    for customer, _ in held_elsewhere(mirrored):
        lookup = selectors.transfer_lookup(cloud_identity_id=customer["cloudIdentityId"])
        for choice in lookup.choices:
            if not choice.sku.eligible:
                seen[choice.sku.reason] = choice
                assert choice.words.startswith(TRANSFER_INELIGIBILITY_WORDS[choice.sku.reason])
                assert not choice.offers and not choice.transferable
            elif choice.offers:
                assert choice.words == "Can be transferred to us." and choice.transferable
            else:  # eligible, but no offer the customer can take (a product not sold in its region)
                seen["no offer"] = choice
                assert choice.words == selectors.NO_TRANSFER_OFFER and not choice.transferable
    assert sorted(seen) == sorted([*REASONS, "no offer"])


def test_offers_carry_the_seats_held_as_their_minimum(mirrored):
    customer, skus = pick(mirrored)
    client = ChannelClient.from_settings()
    offers = client.transferable_offers(sku=skus[0].name, cloud_identity_id=customer["cloudIdentityId"])
    assert offers and all(o["sku"]["name"] == skus[0].name for o in offers)
    lookup = selectors.transfer_lookup(cloud_identity_id=customer["cloudIdentityId"])
    assert all(o["min_seats"] >= 1 for c in lookup.eligible for o in c.offers)
    assert {o["plan"] for c in lookup.eligible for o in c.offers} - {"TRIAL"}  # never a trial


# --- transfer in ---------------------------------------------------------------------------------------


def test_transfer_in_end_to_end(mirrored, upstream, supervisor, caplog):
    caplog.set_level(logging.DEBUG)
    customer, _ = pick(mirrored, at_least=2)
    token = customer["authToken"]
    lookup = selectors.transfer_lookup(cloud_identity_id=customer["cloudIdentityId"], auth_token=token)
    chosen = choose_all(lookup)
    action = services.customer_transfer_in(
        cloud_identity_id=lookup.cloud_identity_id, entitlements=chosen, actor=supervisor
    )
    assert action.kind == "channel.customer.transfer_in" and action.status == ActionStatus.QUEUED
    done = send(action)
    assert done.status == ActionStatus.SUCCEEDED, done.last_error
    assert done.response["operation"].startswith("operations/")

    ours = Customer.objects.get(cloud_identity_id=customer["cloudIdentityId"], gone_at__isnull=True)
    assert upstream.customer(ours.pk)["cloudIdentityId"] == customer["cloudIdentityId"]
    moved = Entitlement.objects.filter(customer_id=ours.pk, gone_at__isnull=True)
    assert sorted(moved.values_list("sku_id", flat=True)) == sorted(c["sku"] for c in chosen)
    for entitlement in moved:
        assert entitlement.payload == upstream.entitlement(entitlement.pk)  # the mirror equals upstream
        assert entitlement.purchase_order_id == "PO-7"
    # Gone from the old reseller's view: Google lists nothing more to transfer.
    assert not selectors.transfer_lookup(cloud_identity_id=customer["cloudIdentityId"]).choices

    events = list(
        AuditEvent.objects.filter(upstream_action=done).values("action", "before", "after", "message")
    )
    by_action = {e["action"]: e for e in events}
    assert sorted(by_action) == [
        "channel.customer.transfer_in.queued",
        "channel.customer.transfer_in.succeeded",
    ]
    assert sorted(by_action["channel.customer.transfer_in.succeeded"]["after"]["transferred"]) == sorted(
        moved.values_list("pk", flat=True)
    )
    queued = AuditEvent.objects.filter(target_id=action.target_id).values("before", "after", "message")
    secret_free(
        token, done.payload, done.response, done.error_detail, list(events), list(queued), caplog.text
    )

    history = selectors.customer_transfer_history(customer=ours)
    assert [(h.direction, h.action.pk) for h in history] == [("in", done.pk)]


def test_only_supervisors_transfer(mirrored, support):
    customer = foreign(mirrored)[0]
    with pytest.raises(ServiceError, match="not allowed|permission"):
        services.customer_transfer_in(
            cloud_identity_id=customer["cloudIdentityId"], entitlements=[{"sku": "x"}], actor=support
        )
    assert not UpstreamAction.objects.exists()


def test_an_ineligible_or_unknown_choice_is_refused_before_anything_is_queued(mirrored, supervisor):
    customer, skus = pick(mirrored, all_eligible=False)
    bad = next(s for s in skus if not s.eligible)
    with pytest.raises(ServiceError, match="cannot be transferred"):
        services.customer_transfer_in(
            cloud_identity_id=customer["cloudIdentityId"],
            entitlements=[{"sku": bad.name, "offer": "accounts/x/offers/y"}],
            actor=supervisor,
        )
    with pytest.raises(ServiceError, match="not held by this customer"):
        services.customer_transfer_in(
            cloud_identity_id=customer["cloudIdentityId"],
            entitlements=[{"sku": "products/Nope/skus/1", "offer": "accounts/x/offers/y"}],
            actor=supervisor,
        )
    good = next(s for s in skus if s.eligible)
    with pytest.raises(ServiceError, match="Choose one of the offers"):
        services.customer_transfer_in(
            cloud_identity_id=customer["cloudIdentityId"],
            entitlements=[{"sku": good.name, "offer": "accounts/x/offers/not-offered"}],
            actor=supervisor,
        )
    assert not UpstreamAction.objects.exists()


def test_a_transfer_whose_operation_fails(mirrored, upstream, supervisor):
    customer, _ = pick(mirrored, verified=False)
    lookup = selectors.transfer_lookup(cloud_identity_id=customer["cloudIdentityId"])
    action = services.customer_transfer_in(
        cloud_identity_id=lookup.cloud_identity_id, entitlements=choose_all(lookup), actor=supervisor
    )
    done = send(action)
    assert done.status == ActionStatus.FAILED
    assert done.error_code == "CONDITION_NOT_MET"
    assert "domain verification" in done.last_error
    # Nothing moved: still held elsewhere, and no entitlement of it in the mirror.
    assert selectors.transfer_lookup(cloud_identity_id=customer["cloudIdentityId"]).eligible
    assert not Entitlement.objects.filter(customer__cloud_identity_id=customer["cloudIdentityId"]).exists()


def test_a_lost_answer_is_retried_with_the_same_request_id(mirrored, upstream, supervisor, settings):
    """The transfer POST reaches the sandbox but its answer is lost; the retry sends the same
    requestId, gets the same operation back, and one transfer happens."""
    settings.UPSTREAM_MAX_RETRIES = 0
    settings.UPSTREAM_TIMEOUT = 0.5
    customer, _ = pick(mirrored, at_least=2)
    lookup = selectors.transfer_lookup(cloud_identity_id=customer["cloudIdentityId"])
    chosen = choose_all(lookup)
    action = services.customer_transfer_in(
        cloud_identity_id=lookup.cloud_identity_id, entitlements=chosen, actor=supervisor
    )
    knobs(mirrored, lro_polls=2)  # still running when the retry's maybe-applied check reads it
    clear_log(mirrored)
    faults(mirrored, {"next": ["timeout"], "path": ":transferEntitlements$", "timeout_seconds": 1})
    first = send(action, rounds=1)
    assert first.status == ActionStatus.QUEUED and first.maybe_applied
    assert "operation" not in (first.response or {})  # its name never arrived
    time.sleep(1.1)  # let the held answer finish, so the log holds both POSTs
    done = send(action)
    assert done.status == ActionStatus.SUCCEEDED, done.last_error
    assert len(log(mirrored, ":transferEntitlements")) == 2
    assert len(log(mirrored, "customers:import")) == 1  # the imported customer was remembered
    ours = Customer.objects.get(cloud_identity_id=customer["cloudIdentityId"])
    listed = upstream.api.accounts().customers().entitlements().list(parent=ours.pk).execute()
    skus = [e["provisionedService"]["skuId"] for e in listed.get("entitlements", [])]
    assert sorted(skus) == sorted(c["sku"].rsplit("/", 1)[-1] for c in chosen)  # one transfer, not two
    again = (
        upstream.api.accounts()
        .customers()
        .transferEntitlements(
            parent=ours.pk,
            body={"entitlements": done.payload["entitlements"], "requestId": str(action.idempotency_key)},
        )
        .execute()
    )
    assert again["name"] == done.response["operation"]


# --- transfer to Google, and the reconcile ------------------------------------------------------------


def test_transfer_to_google_end_to_end_then_the_sync_agrees(mirrored, upstream, supervisor):
    customer = next(
        c
        for c in Customer.objects.filter(gone_at__isnull=True, partner_link__isnull=True).exclude(
            cloud_identity_id=""
        )
        if c.entitlements.filter(gone_at__isnull=True).count() >= 2
    )
    leaving, staying = list(customer.entitlements.filter(gone_at__isnull=True).order_by("pk"))[:2]
    with pytest.raises(ServiceError, match="Not live entitlements"):
        services.entitlements_transfer_to_google(
            customer=customer, entitlements=[leaving.pk, customer.pk + "/entitlements/nope"], actor=supervisor
        )
    action = services.entitlements_transfer_to_google(
        customer=customer, entitlements=[leaving.pk], actor=supervisor
    )
    done = send(action)
    assert done.status == ActionStatus.SUCCEEDED, done.last_error
    leaving.refresh_from_db()
    assert leaving.gone_reason == GoneReason.TRANSFERRED and leaving.gone_at is not None
    assert upstream.entitlement(leaving.pk) is None
    assert upstream.entitlement(staying.pk) is not None
    changes = [c for c in upstream.changes(leaving.pk) if c["changeType"] == "CANCELLED"]
    assert [c.get("cancellationReason") for c in changes] == ["PARTIAL_TRANSFER"]

    # The sync reads the same from the history (the row is reconciled afresh first).
    Entitlement.objects.filter(pk=leaving.pk).update(gone_at=None, gone_reason="")
    sync_channel("channel.entitlements")
    leaving.refresh_from_db()
    assert leaving.gone_reason == GoneReason.TRANSFERRED
    history = selectors.customer_transfer_history(customer=customer)
    assert ("away", done.pk) in [(h.direction, h.action.pk if h.action else None) for h in history]
    assert any(h.direction == "away" and h.action is None and "partial transfer" in h.how for h in history)


def test_entitlements_taken_by_another_reseller_are_reconciled_as_transferred(mirrored, upstream):
    """--live moves some of ours away; the next sync marks them gone as transferred, from
    their change history."""
    moved = 0
    for _ in range(200):
        tick = requests.post(f"{mirrored.url}/_sandbox/tick", json={}, timeout=30).json()
        moved = tick["channel"].get("transferred_away", 0)
        if moved:
            break
    assert moved, "200 ticks moved nothing away"
    live_before = set(Entitlement.objects.filter(gone_at__isnull=True).values_list("pk", flat=True))
    sync_channel("channel.entitlements")
    newly_gone = Entitlement.objects.filter(pk__in=live_before, gone_at__isnull=False)
    transferred = [e.pk for e in newly_gone if e.gone_reason == GoneReason.TRANSFERRED]
    assert len(transferred) >= moved
    for name in transferred:
        assert upstream.entitlement(name) is None
        reasons = {
            c.get("cancellationReason") for c in upstream.changes(name) if c["changeType"] == "CANCELLED"
        }
        assert reasons & {"PARTIAL_TRANSFER", "RELATIONSHIP_ENDED"}


def test_the_token_refused_by_google_is_a_clear_error(mirrored):
    client = ChannelClient.from_settings()
    customer = foreign(mirrored)[0]
    with pytest.raises(UpstreamRejected) as refused:
        client.transferable_skus(cloud_identity_id=customer["cloudIdentityId"], auth_token="wrong")
    assert refused.value.code == "PERMISSION_DENIED"
    assert "wrong" not in str(refused.value)


# --- the pages -----------------------------------------------------------------------------------------


def test_the_transfer_pages_are_for_supervisors_and_never_echo_the_token(
    client, mirrored, support, supervisor
):
    url = "/admin/fulfillment/customer/transfer/"
    client.force_login(support)
    assert client.get(url).status_code == 403
    assert client.post(url, {"step": "lookup", "cloud_identity_id": "x"}).status_code == 403
    page = client.get("/admin/fulfillment/customer/")
    assert b"ch-transfer-link" not in page.content

    client.force_login(supervisor)
    assert b"ch-transfer-link" in client.get("/admin/fulfillment/customer/").content
    customer, skus = pick(mirrored, all_eligible=False)
    requests.post(
        f"{mirrored.url}/_sandbox/reset", json={}, timeout=60
    ).raise_for_status()  # forget the probe
    token = customer["authToken"]
    answer = client.post(
        url, {"step": "lookup", "cloud_identity_id": customer["cloudIdentityId"], "auth_token": token}
    )
    assert answer.status_code == 200
    html = answer.content.decode()
    assert token not in html
    for sku in skus:
        assert sku.name in html
        if not sku.reason:
            continue
        assert TRANSFER_INELIGIBILITY_WORDS[sku.reason].replace("'", "&#x27;") in html
    refused = client.post(
        url, {"step": "lookup", "cloud_identity_id": customer["cloudIdentityId"], "auth_token": "bad"}
    )
    assert "auth token is invalid" in refused.content.decode()
    assert 'value="bad"' not in refused.content.decode()  # the token field is never filled back in


def test_the_transfer_status_page_follows_the_action(client, mirrored, supervisor):
    customer, _ = pick(mirrored)
    lookup = selectors.transfer_lookup(cloud_identity_id=customer["cloudIdentityId"])
    action = services.customer_transfer_in(
        cloud_identity_id=lookup.cloud_identity_id, entitlements=choose_all(lookup)[:1], actor=supervisor
    )
    client.force_login(supervisor)
    unconfirmed = client.post(
        "/admin/fulfillment/customer/transfer/",
        {"step": "confirm", "cloud_identity_id": lookup.cloud_identity_id, "take_0": "on", "offer_0": "x"},
    )
    assert unconfirmed.status_code == 200 and "This field is required" in unconfirmed.content.decode()
    assert UpstreamAction.objects.count() == 1  # nothing more queued
    url = f"/admin/fulfillment/customer/transfer/{action.pk}/"
    queued = client.get(url).content.decode()
    assert 'http-equiv="refresh"' in queued and 'data-status="queued"' in queued
    send(action)
    done = client.get(url).content.decode()
    assert 'data-status="succeeded"' in done and 'http-equiv="refresh"' not in done
    assert "ch-transfer-moved" in done
    assert client.get("/admin/fulfillment/customer/transfer/999999/").status_code == 404
