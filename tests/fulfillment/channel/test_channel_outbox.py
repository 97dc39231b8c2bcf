"""Channel staff actions end to end: service -> outbox -> the sandbox's Cloud Channel over
real HTTP -> operation followed -> mirror updated -> history after a changes sync.

The sandbox's truth is read with Google's discovery client (helpers.Upstream), never ours.
"""

from __future__ import annotations

import time

import pytest

from channelhub.actions.services import action_retry
from channelhub.models import ActionStatus, AuditEvent, UpstreamAction
from channelhub.services import ServiceError
from fulfillment.channel import selectors, services
from fulfillment.channel.transitions import allowed_entitlement_actions
from fulfillment.models import ChannelPartnerLink, Customer, Entitlement, EntitlementChange

from .helpers import Upstream, clear_log, faults, knobs, log, send, sync_channel

pytestmark = pytest.mark.django_db


def pick(action: str, **filters) -> Entitlement:
    """A live entitlement on which `action` is allowed (per our own rule table)."""
    for entitlement in (
        Entitlement.objects.filter(gone_at__isnull=True, **filters).select_related("offer").order_by("id")
    ):
        if action in allowed_entitlement_actions(entitlement):
            return entitlement
    raise AssertionError(f"the sandbox has no entitlement allowing {action} with {filters}")


def reseller_changes(upstream, name: str, change_type: str) -> list[dict]:
    return [
        c
        for c in upstream.changes(name)
        if c.get("changeType") == change_type and c.get("operatorType") == "RESELLER"
    ]


def test_suspend_end_to_end_with_history(mirrored, upstream, support):
    entitlement = pick("suspend", payment_plan="FLEXIBLE")
    action = services.entitlement_suspend(entitlement=entitlement, actor=support)
    done = send(action)
    assert done.status == ActionStatus.SUCCEEDED, done.last_error
    assert done.attempts == 1
    assert done.response["operation"].startswith("operations/")
    truth = upstream.entitlement(entitlement.pk)
    assert truth["provisioningState"] == "SUSPENDED"
    entitlement.refresh_from_db()
    assert entitlement.provisioning_state == "SUSPENDED"
    assert entitlement.suspension_reasons == ["RESELLER_INITIATED"]
    assert entitlement.payload == truth  # the mirror equals upstream (re-read after the operation)
    events = list(AuditEvent.objects.filter(upstream_action=done).order_by("id"))
    assert [e.action for e in events] == [
        "channel.entitlement.suspend.queued",
        "channel.entitlement.suspend.succeeded",
    ]
    assert events[1].after["provisioning_state"] == "SUSPENDED"
    # the history shows it after a changes sync, with our admin as the operator
    sync_channel("channel.entitlement_changes")
    change = EntitlementChange.objects.filter(entitlement_id=entitlement.pk, change_type="SUSPENDED").latest(
        "create_time"
    )
    assert change.operator_type == "RESELLER" and change.operator == mirrored.channel_admin_email
    assert change.reason == "RESELLER_INITIATED"


def _renewal_kwargs(entitlement):
    enabled = bool((entitlement.renewal_settings or {}).get("enableRenewal"))
    return {"enable_renewal": not enabled, "payment_plan": "COMMITMENT", "period_type": "YEAR"}


CASES = [
    # action, filters, service kwargs (or a function of the entitlement), check on the upstream truth, change type
    ("activate", {}, {}, lambda t, e: t["provisioningState"] == "ACTIVE", "ACTIVATED"),
    (
        "change_parameters",
        {"payment_plan": "COMMITMENT"},
        lambda e: {"seats": e.num_units + 3},
        lambda t, e: (
            {p["name"]: p["value"] for p in t["parameters"]}["num_units"]
            == {"int64Value": str(e.num_units + 3)}
        ),
        None,
    ),
    (
        "change_parameters",
        {"payment_plan": "FLEXIBLE", "max_units__gt": 2},
        lambda e: {"seats": e.max_units - 1},
        lambda t, e: (
            {p["name"]: p["value"] for p in t["parameters"]}["max_units"]
            == {"int64Value": str(e.max_units - 1)}
        ),
        None,
    ),
    (
        "change_renewal",
        {},
        _renewal_kwargs,
        lambda t, e: (
            t["commitmentSettings"]["renewalSettings"]["enableRenewal"]
            is not bool((e.renewal_settings or {}).get("enableRenewal"))
        ),
        "RENEWAL_SETTING_CHANGED",
    ),
    ("start_paid_service", {}, {}, lambda t, e: not (t.get("trialSettings") or {}).get("trial"), None),
]


@pytest.mark.parametrize(
    "action, filters, kwargs, check, change_type", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_entitlement_actions_end_to_end(
    mirrored, upstream, support, action, filters, kwargs, check, change_type
):
    entitlement = pick(action, **filters)
    service = getattr(services, f"entitlement_{action}")
    extra = kwargs(entitlement) if callable(kwargs) else kwargs
    queued = service(entitlement=entitlement, actor=support, **extra)
    done = send(queued)
    assert done.status == ActionStatus.SUCCEEDED, done.last_error
    truth = upstream.entitlement(entitlement.pk)
    assert check(truth, entitlement), truth
    fresh = Entitlement.objects.get(pk=entitlement.pk)
    assert fresh.payload == truth
    if change_type:
        assert reseller_changes(upstream, entitlement.pk, change_type)


def test_change_offer_from_the_purchasable_offers(mirrored, upstream, support):
    for entitlement in Entitlement.objects.filter(gone_at__isnull=True, payment_plan="FLEXIBLE").order_by(
        "id"
    ):
        if "change_offer" not in allowed_entitlement_actions(entitlement):
            continue
        offers, source = selectors.offers_for_change(entitlement=entitlement)
        assert source == "upstream"
        if offers:
            break
    else:
        raise AssertionError("no entitlement with another purchasable offer")
    target = offers[0]["name"]
    done = send(
        services.entitlement_change_offer(entitlement=entitlement, offer=target, seats=5, actor=support)
    )
    assert done.status == ActionStatus.SUCCEEDED, done.last_error
    assert upstream.entitlement(entitlement.pk)["offer"] == target
    assert Entitlement.objects.get(pk=entitlement.pk).offer_id == target


def test_a_bad_offer_is_refused_before_queuing(mirrored, support):
    entitlement = pick("change_offer")
    foreign = f"accounts/{mirrored.channel_account_id}/offers/NOPE"
    with pytest.raises(ServiceError, match="per Cloud Channel"):
        services.entitlement_change_offer(entitlement=entitlement, offer=foreign, actor=support)
    assert not UpstreamAction.objects.exists()


def test_cancel_marks_the_entitlement_gone(mirrored, upstream, supervisor):
    entitlement = pick("cancel", payment_plan="FLEXIBLE")
    done = send(
        services.entitlement_cancel(entitlement=entitlement, reason="customer left", actor=supervisor)
    )
    assert done.status == ActionStatus.SUCCEEDED, done.last_error
    assert upstream.entitlement(entitlement.pk) is None
    fresh = Entitlement.objects.get(pk=entitlement.pk)
    assert fresh.gone_at is not None and fresh.gone_reason == "cancelled"
    assert reseller_changes(upstream, entitlement.pk, "CANCELLED")


def test_create_entitlement_for_a_customer(mirrored, upstream, support):
    for customer in Customer.objects.filter(gone_at__isnull=True, partner_link__isnull=True).exclude(
        cloud_identity_id=""
    ):
        offers = [
            o for o in selectors.offers_for_new_entitlement(customer=customer) if o.payment_plan == "FLEXIBLE"
        ]
        if offers:
            break
    else:
        raise AssertionError("no customer with a product left to buy")
    offer = offers[0]
    done = send(
        services.entitlement_create(
            customer=customer, offer=offer.pk, seats=3, purchase_order_id="PO-42", actor=support
        )
    )
    assert done.status == ActionStatus.SUCCEEDED, done.last_error
    name = done.response["entitlement"]["name"]
    truth = upstream.entitlement(name)
    assert truth["offer"] == offer.pk and truth["purchaseOrderId"] == "PO-42"
    row = Entitlement.objects.get(pk=name)
    assert row.customer_id == customer.pk and row.max_units == 3 and row.payload == truth


def test_customer_create_update_provision_and_delete(mirrored, upstream, support, supervisor):
    values = {
        "org_display_name": "Outbox Test Org",
        "domain": "outbox-test.example",
        "region_code": "US",
        "postal_code": "94043",
        "address_lines": "1 Test Way",
        "contact_email": "it@outbox-test.example",
        "alternate_email": "owner@gmail.example",
    }
    created = send(services.customer_create(values=values, actor=support))
    assert created.status == ActionStatus.SUCCEEDED, created.last_error
    [doc] = upstream.customers_with_domain("outbox-test.example")
    customer = Customer.objects.get(pk=doc["name"])
    assert customer.org_display_name == "Outbox Test Org"

    updated = send(
        services.customer_update(customer=customer, values={"org_display_name": "Renamed Org"}, actor=support)
    )
    assert updated.status == ActionStatus.SUCCEEDED, updated.last_error
    assert upstream.customer(customer.pk)["orgDisplayName"] == "Renamed Org"
    assert Customer.objects.get(pk=customer.pk).org_display_name == "Renamed Org"

    provisioned = send(
        services.customer_provision_cloud_identity(
            customer=customer,
            admin_email="admin@outbox-test.example",
            given_name="Ann",
            family_name="Lee",
            actor=support,
        )
    )
    assert provisioned.status == ActionStatus.SUCCEEDED, provisioned.last_error
    assert upstream.customer(customer.pk).get("cloudIdentityId")
    assert Customer.objects.get(pk=customer.pk).has_cloud_identity

    deleted = send(services.customer_delete(customer=customer, actor=supervisor))
    assert deleted.status == ActionStatus.SUCCEEDED, deleted.last_error
    assert upstream.customer(customer.pk) is None
    assert Customer.objects.get(pk=customer.pk).gone_reason == "deleted"


def test_partner_link_state_change(mirrored, upstream, supervisor):
    link = ChannelPartnerLink.objects.filter(link_state="ACTIVE", gone_at__isnull=True).order_by("id").first()
    done = send(
        services.channel_partner_link_change_state(link=link, link_state="SUSPENDED", actor=supervisor)
    )
    assert done.status == ActionStatus.SUCCEEDED, done.last_error
    assert upstream.link(link.pk)["linkState"] == "SUSPENDED"
    assert ChannelPartnerLink.objects.get(pk=link.pk).link_state == "SUSPENDED"


# --- failures, retries, slow operations, tokens ----------------------------------------------------


def test_a_failed_operation_shows_the_reason_in_words_and_a_retry_starts_a_new_one(
    mirrored, upstream, support, supervisor
):
    entitlement = pick("suspend", payment_plan="FLEXIBLE")
    knobs(
        mirrored,
        lro_fail_next=[
            {
                "code": 9,
                "reason": "CONDITION_NOT_MET",
                "message": "Billing hold.",
                "operation_type": "SUSPEND_ENTITLEMENT",
            }
        ],
    )
    done = send(services.entitlement_suspend(entitlement=entitlement, actor=support))
    assert done.status == ActionStatus.FAILED and done.attempts == 1
    assert done.error_code == "CONDITION_NOT_MET"
    assert "condition for this change is not met" in done.last_error and "Billing hold." in done.last_error
    assert upstream.entitlement(entitlement.pk)["provisioningState"] == "ACTIVE"  # nothing applied
    assert AuditEvent.objects.filter(
        upstream_action=done, action="channel.entitlement.suspend.failed"
    ).exists()
    # a supervisor's retry is a new operation (the old requestId would return the failed one)
    action_retry(action=done, actor=supervisor)
    again = send(done)
    assert again.status == ActionStatus.SUCCEEDED, again.last_error
    assert upstream.entitlement(entitlement.pk)["provisioningState"] == "SUSPENDED"
    assert len(log(mirrored, ":suspend")) == 2


def test_a_synchronous_rejection_refreshes_the_mirror(mirrored, upstream, support):
    entitlement = pick("suspend", payment_plan="FLEXIBLE")
    Upstream(mirrored).api.accounts().customers().entitlements().suspend(
        name=entitlement.pk, body={"requestId": "0b5f3c51-4a53-4d3c-9a8e-8a4c8a2f0a11"}
    ).execute()  # someone else suspended it; our mirror still says active
    done = send(services.entitlement_suspend(entitlement=entitlement, actor=support))
    assert done.status == ActionStatus.FAILED and done.error_code == "NOT_ACTIVE"
    assert "not active" in done.last_error
    assert Entitlement.objects.get(pk=entitlement.pk).provisioning_state == "SUSPENDED"


def test_request_id_reused_across_retries_applies_once(mirrored, upstream, support, settings):
    """The first POST reaches the sandbox but its answer is lost (a timeout); the retry sends
    the same requestId, gets the same operation back, and the sandbox applies it once."""
    settings.UPSTREAM_MAX_RETRIES = 0
    settings.UPSTREAM_TIMEOUT = 1
    entitlement = pick("suspend", payment_plan="FLEXIBLE")
    knobs(mirrored, lro_polls=2)  # still running when the retry's maybe-applied check reads it
    clear_log(mirrored)
    faults(mirrored, {"next": ["timeout"], "path": ":suspend", "timeout_seconds": 2})
    action = services.entitlement_suspend(entitlement=entitlement, actor=support)
    first = send(action, rounds=1)
    assert first.status == ActionStatus.QUEUED and first.maybe_applied
    assert "operation" not in (first.response or {})  # the answer (its name) never arrived
    time.sleep(2.5)  # let the held answer finish, so the log holds both POSTs
    done = send(action)
    assert done.status == ActionStatus.SUCCEEDED, done.last_error
    posts = log(mirrored, ":suspend")
    assert len(posts) == 2 and posts[0]["fault"] == "timeout"
    assert len(reseller_changes(upstream, entitlement.pk, "SUSPENDED")) == 1  # applied once
    # The sandbox knows our key: asking again with it returns the operation we followed.
    again = (
        upstream.api.accounts()
        .customers()
        .entitlements()
        .suspend(name=entitlement.pk, body={"requestId": str(action.idempotency_key)})
        .execute()
    )
    assert again["name"] == done.response["operation"]


def slow_seat_change(mirrored, support, *, seconds: float) -> tuple[Entitlement, UpstreamAction]:
    """One more seat on a commitment entitlement, queued, its operation taking `seconds`."""
    entitlement = pick("change_parameters", payment_plan="COMMITMENT")
    knobs(mirrored, lro_delay_seconds=seconds)
    clear_log(mirrored)
    action = services.entitlement_change_parameters(
        entitlement=entitlement, seats=entitlement.num_units + 1, actor=support
    )
    return entitlement, action


def test_a_slow_operation_completes_across_attempts_without_a_second_post(
    mirrored, upstream, support, settings
):
    settings.CHANNEL_LRO_WAIT_SECONDS = 0.2
    entitlement, action = slow_seat_change(mirrored, support, seconds=1.0)
    first = send(action, rounds=1)
    assert first.status == ActionStatus.QUEUED and first.error_code == "OPERATION_RUNNING"
    operation = first.response["operation"]
    assert "still working on it" in first.last_error
    # What the progress row shows while it runs: when it started and how many polls so far.
    polls = first.response["polls"]
    assert polls >= 1 and first.response["started_at"]
    polls_logged = len(log(mirrored, operation.split("/", 1)[1], method="GET"))
    assert polls == polls_logged
    time.sleep(1.1)
    done = send(action)
    assert done.status == ActionStatus.SUCCEEDED, done.last_error
    assert done.attempts >= 2 and done.response["operation"] == operation
    assert len(log(mirrored, ":changeParameters")) == 1  # followed, never re-posted
    assert len(log(mirrored, operation.split("/", 1)[1], method="GET")) >= 1
    assert Entitlement.objects.get(pk=entitlement.pk).num_units == entitlement.num_units + 1


def test_an_operation_slower_than_every_attempt_is_resumed_by_a_supervisors_retry(
    mirrored, upstream, support, supervisor, settings
):
    """Each "still running" attempt counts towards ACTION_MAX_ATTEMPTS; when they run out the
    action fails, keeping the operation's name. A supervisor's retry then polls that same
    operation: it neither posts the change again nor starts a new one."""
    settings.CHANNEL_LRO_WAIT_SECONDS = 0.1
    settings.ACTION_MAX_ATTEMPTS = 2
    entitlement, action = slow_seat_change(mirrored, support, seconds=1.5)
    failed = send(action)
    assert failed.status == ActionStatus.FAILED and failed.attempts == 2, failed.last_error
    assert failed.error_code == "OPERATION_RUNNING" and "gave up after 2 attempts" in failed.last_error
    operation = failed.response["operation"]
    time.sleep(1.6)  # the operation finishes upstream meanwhile
    action_retry(action=failed, actor=supervisor)
    done = send(failed)
    assert done.status == ActionStatus.SUCCEEDED, done.last_error
    assert done.response["operation"] == operation
    assert len(log(mirrored, ":changeParameters")) == 1  # one POST, ever
    assert len(reseller_changes(upstream, entitlement.pk, "COMMITMENT_CHANGED")) == 1  # applied once
    assert Entitlement.objects.get(pk=entitlement.pk).num_units == entitlement.num_units + 1


def test_a_revoked_token_is_refreshed_once(mirrored, upstream, support):
    entitlement = pick("suspend", payment_plan="FLEXIBLE")
    selectors.offers_for_change(entitlement=pick("change_offer"))  # our client holds a token now
    knobs(mirrored, revoke_tokens=True)
    clear_log(mirrored)
    done = send(services.entitlement_suspend(entitlement=entitlement, actor=support))
    assert done.status == ActionStatus.SUCCEEDED, done.last_error
    assert any(e["status"] == 401 for e in log(mirrored, "/v1/", method=None))
    assert log(mirrored, "/token")


def test_a_transient_operation_error_is_retried_as_a_new_operation(mirrored, upstream, support):
    entitlement = pick("suspend", payment_plan="FLEXIBLE")
    knobs(mirrored, lro_fail_next=[{"code": 14, "operation_type": "SUSPEND_ENTITLEMENT"}])  # UNAVAILABLE
    action = services.entitlement_suspend(entitlement=entitlement, actor=support)
    first = send(action, rounds=1)
    assert first.status == ActionStatus.QUEUED and first.error_code == "UNAVAILABLE"
    [failed] = first.response["failed_operations"]
    assert first.response == {"round": 1, "failed_operations": [failed]}
    done = send(action)
    assert done.status == ActionStatus.SUCCEEDED, done.last_error
    assert done.response["operation"] != failed  # a new operation, under a new requestId
    assert upstream.entitlement(entitlement.pk)["provisioningState"] == "SUSPENDED"


def test_a_customer_create_whose_answer_was_lost_is_found_by_domain(mirrored, upstream, support, settings):
    settings.UPSTREAM_MAX_RETRIES = 0
    settings.UPSTREAM_TIMEOUT = 1
    faults(mirrored, {"next": ["timeout"], "path": r"/customers$", "timeout_seconds": 2})
    values = {
        "org_display_name": "Lost Answer Ltd",
        "domain": "lost-answer.example",
        "region_code": "GB",
        "postal_code": "SW1A 1AA",
    }
    action = services.customer_create(values=values, actor=support)
    first = send(action, rounds=1)
    assert first.status == ActionStatus.QUEUED and first.maybe_applied
    done = send(action)
    assert done.status == ActionStatus.SUCCEEDED, done.last_error
    assert AuditEvent.objects.get(
        upstream_action=done, action="channel.customer.create.succeeded"
    ).message == ("already applied upstream by an earlier attempt")
    [doc] = upstream.customers_with_domain("lost-answer.example")  # created once
    assert Customer.objects.get(pk=doc["name"]).org_display_name == "Lost Answer Ltd"
