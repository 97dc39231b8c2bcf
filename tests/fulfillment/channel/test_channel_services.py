"""The Channel services on the mirror alone: who may do what, and every refusal staff get
before anything is queued (the upstream's own rules, mirrored)."""

from __future__ import annotations

import pytest

from channelhub.models import ActionStatus, AuditEvent, UpstreamAction
from channelhub.services import ServiceError
from fulfillment.channel import services

from .factories import CustomerFactory, EntitlementFactory, OfferFactory, PartnerLinkFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _offline(no_channel):
    return no_channel


def suspended(**kwargs):
    return EntitlementFactory(state="SUSPENDED", reasons=["RESELLER_INITIATED"], **kwargs)


def trial(**kwargs):
    return EntitlementFactory(offer=OfferFactory(plan="TRIAL", max_seats=10), seats=5, **kwargs)


# (service, how to make its object, kwargs, the permission it needs)
ENTITLEMENT_CASES = {
    "suspend": (services.entitlement_suspend, EntitlementFactory, {}),
    "activate": (services.entitlement_activate, suspended, {}),
    "change_parameters": (services.entitlement_change_parameters, EntitlementFactory, {"seats": 12}),
    "change_renewal": (services.entitlement_change_renewal, EntitlementFactory, {"enable_renewal": False}),
    "start_paid_service": (services.entitlement_start_paid_service, trial, {}),
    "cancel": (services.entitlement_cancel, EntitlementFactory, {}),
}
SUPERVISOR_ONLY = {"cancel"}


@pytest.mark.parametrize("action", sorted(ENTITLEMENT_CASES))
@pytest.mark.parametrize("role", ["readonly", "support", "supervisor"])
def test_entitlement_role_matrix(make_user, role, action):
    service, make, kwargs = ENTITLEMENT_CASES[action]
    user = make_user(role)
    entitlement = make()
    allowed = role == "supervisor" or (role == "support" and action not in SUPERVISOR_ONLY)
    if not allowed:
        with pytest.raises(ServiceError) as refused:
            service(entitlement=entitlement, actor=user, **kwargs)
        assert refused.value.code == "permission"
        assert not UpstreamAction.objects.exists()
        return
    action_row = service(entitlement=entitlement, actor=user, **kwargs)
    assert action_row.kind == f"channel.entitlement.{action}"
    assert action_row.target_type == "fulfillment.entitlement" and action_row.target_id == entitlement.pk
    assert action_row.status == ActionStatus.QUEUED and action_row.actor == user
    event = AuditEvent.objects.get(upstream_action=action_row)
    assert event.action == f"channel.entitlement.{action}.queued"
    assert event.before["provisioning_state"] == entitlement.provisioning_state


CUSTOMER_CASES = {
    "update": (services.customer_update, {"values": {"org_display_name": "Renamed Ltd"}}, "support"),
    "delete": (services.customer_delete, {}, "supervisor"),
    "create_entitlement": (services.entitlement_create, {"offer": None, "seats": 5}, "support"),
}


@pytest.mark.parametrize("action", sorted(CUSTOMER_CASES))
@pytest.mark.parametrize("role", ["readonly", "support", "supervisor"])
def test_customer_role_matrix(make_user, role, action):
    service, kwargs, least = CUSTOMER_CASES[action]
    user = make_user(role)
    customer = CustomerFactory()
    if action == "create_entitlement":
        kwargs = {**kwargs, "offer": OfferFactory().pk}
    allowed = role == "supervisor" or role == least
    if not allowed:
        with pytest.raises(ServiceError) as refused:
            service(customer=customer, actor=user, **kwargs)
        assert refused.value.code == "permission"
        return
    row = service(customer=customer, actor=user, **kwargs)
    assert row.target_type == "fulfillment.customer" and row.target_id == customer.pk


@pytest.mark.parametrize("role, allowed", [("readonly", False), ("support", False), ("supervisor", True)])
def test_partner_link_needs_a_supervisor(make_user, role, allowed):
    link = PartnerLinkFactory(state="ACTIVE")
    user = make_user(role)
    if allowed:
        row = services.channel_partner_link_change_state(link=link, link_state="SUSPENDED", actor=user)
        assert row.kind == "channel.partner_link.change_state" and row.payload == {"linkState": "SUSPENDED"}
    else:
        with pytest.raises(ServiceError, match="not allowed"):
            services.channel_partner_link_change_state(link=link, link_state="SUSPENDED", actor=user)


# --- refusals -------------------------------------------------------------------------------------


def test_suspend_refused_unless_active(support):
    entitlement = suspended()
    with pytest.raises(ServiceError, match="is suspended; 'suspend' is only possible when it is active"):
        services.entitlement_suspend(entitlement=entitlement, actor=support)


@pytest.mark.parametrize(
    "reasons, message",
    [
        (["TRIAL_ENDED"], "only a suspension we made ourselves"),
        (["RESELLER_INITIATED", "PENDING_TOS_ACCEPTANCE"], "terms of service"),
    ],
)
def test_activate_only_lifts_our_own_suspension(support, reasons, message):
    entitlement = EntitlementFactory(state="SUSPENDED", reasons=reasons)
    with pytest.raises(ServiceError, match=message):
        services.entitlement_activate(entitlement=entitlement, actor=support)


def test_activate_refused_when_active(support):
    with pytest.raises(ServiceError, match="is active"):
        services.entitlement_activate(entitlement=EntitlementFactory(), actor=support)


def test_seat_decrease_refused_on_a_commitment(support):
    entitlement = EntitlementFactory(seats=10)
    with pytest.raises(ServiceError, match="cannot be decreased during the commitment") as refused:
        services.entitlement_change_parameters(entitlement=entitlement, seats=8, actor=support)
    assert refused.value.code == "seats"
    assert not UpstreamAction.objects.exists()


def test_seat_increase_on_commitment_sends_num_units(support):
    entitlement = EntitlementFactory(seats=10)
    row = services.entitlement_change_parameters(
        entitlement=entitlement, seats=15, purchase_order_id="PO-7", actor=support
    )
    assert row.payload == {
        "parameters": [{"name": "num_units", "value": {"int64Value": "15"}}],
        "purchaseOrderId": "PO-7",
    }


def test_flexible_plan_changes_max_units_down_too(support):
    entitlement = EntitlementFactory(offer=OfferFactory(plan="FLEXIBLE"), seats=20)
    row = services.entitlement_change_parameters(entitlement=entitlement, seats=5, actor=support)
    assert row.payload["parameters"] == [{"name": "max_units", "value": {"int64Value": "5"}}]


@pytest.mark.parametrize("seats, message", [(0, "at least 1"), (501, "at most 500"), ("ten", "whole number")])
def test_out_of_range_seats_refused(support, seats, message):
    entitlement = EntitlementFactory(offer=OfferFactory(plan="FLEXIBLE", max_seats=500), seats=20)
    with pytest.raises(ServiceError, match=message):
        services.entitlement_change_parameters(entitlement=entitlement, seats=seats, actor=support)


def test_same_seats_refused(support):
    with pytest.raises(ServiceError, match="already has 10 seat"):
        services.entitlement_change_parameters(
            entitlement=EntitlementFactory(seats=10), seats=10, actor=support
        )


def test_purchase_order_longer_than_80_refused(support):
    with pytest.raises(ServiceError, match="80 at most"):
        services.entitlement_change_parameters(
            entitlement=EntitlementFactory(seats=10), seats=11, purchase_order_id="P" * 81, actor=support
        )


def test_renewal_refused_off_commitment(support):
    entitlement = EntitlementFactory(offer=OfferFactory(plan="FLEXIBLE"))
    with pytest.raises(
        ServiceError, match="flexible plan; 'change renewal' applies to commitment plans only"
    ):
        services.entitlement_change_renewal(entitlement=entitlement, enable_renewal=False, actor=support)


def test_renewal_payload_and_no_op_refused(support):
    entitlement = EntitlementFactory()
    with pytest.raises(ServiceError, match="already has these renewal settings"):
        services.entitlement_change_renewal(
            entitlement=entitlement,
            enable_renewal=True,
            payment_plan="COMMITMENT",
            period_type="YEAR",
            actor=support,
        )
    with pytest.raises(ServiceError, match="paid per month"):
        services.entitlement_change_renewal(
            entitlement=entitlement,
            enable_renewal=True,
            payment_plan="FLEXIBLE",
            period_type="YEAR",
            actor=support,
        )
    row = services.entitlement_change_renewal(
        entitlement=entitlement,
        enable_renewal=True,
        payment_plan="FLEXIBLE",
        period_type="MONTH",
        actor=support,
    )
    assert row.payload == {
        "renewalSettings": {
            "enableRenewal": True,
            "resizeUnitCount": False,
            "paymentPlan": "FLEXIBLE",
            "paymentCycle": {"duration": 1, "periodType": "MONTH"},
        }
    }


def test_start_paid_service_refused_off_trial(support):
    with pytest.raises(ServiceError, match="not a trial"):
        services.entitlement_start_paid_service(entitlement=EntitlementFactory(), actor=support)


def test_gone_entitlement_refuses_everything(support):
    entitlement = EntitlementFactory()
    type(entitlement).objects.filter(pk=entitlement.pk).update(
        gone_at="2025-05-01T00:00:00Z", gone_reason="cancelled"
    )
    with pytest.raises(ServiceError, match="no longer listed upstream"):
        services.entitlement_suspend(entitlement=entitlement, actor=support)


def test_one_open_action_per_entitlement(support):
    entitlement = EntitlementFactory(seats=10)
    services.entitlement_suspend(entitlement=entitlement, actor=support)
    with pytest.raises(ServiceError, match="still queued") as busy:
        services.entitlement_change_parameters(entitlement=entitlement, seats=11, actor=support)
    assert busy.value.code == "busy"


def test_change_offer_checked_against_mirrored_offers(support):
    current = OfferFactory(plan="FLEXIBLE", product="Gapps")
    entitlement = EntitlementFactory(offer=current, seats=20)
    other_product = OfferFactory(plan="COMMITMENT", product="Chrome")
    with pytest.raises(ServiceError, match="is not one entitlement .* can change to"):
        services.entitlement_change_offer(entitlement=entitlement, offer=other_product.pk, actor=support)
    with pytest.raises(ServiceError, match="already on offer"):
        services.entitlement_change_offer(entitlement=entitlement, offer=current.pk, actor=support)
    annual = OfferFactory(plan="COMMITMENT", product="Gapps", max_seats=100)
    with pytest.raises(ServiceError, match="at most 100 seats"):
        services.entitlement_change_offer(entitlement=entitlement, offer=annual.pk, seats=101, actor=support)
    row = services.entitlement_change_offer(entitlement=entitlement, offer=annual.pk, actor=support)
    # the seats default to the current ones, under the new offer's seat parameter
    assert row.payload == {
        "offer": annual.pk,
        "parameters": [{"name": "num_units", "value": {"int64Value": "20"}}],
    }


def test_create_entitlement_refusals_and_payload(support):
    customer = CustomerFactory()
    owned = EntitlementFactory(customer=customer)
    with pytest.raises(ServiceError, match="already has entitlement"):
        services.entitlement_create(customer=customer, offer=owned.offer_id, seats=3, actor=support)
    with pytest.raises(ServiceError, match="not a known, current offer"):
        services.entitlement_create(customer=customer, offer=f"{customer.pk}/offers/nope", actor=support)
    offer = OfferFactory(plan="COMMITMENT", product="Vault")
    with pytest.raises(ServiceError, match="needs a number of seats"):
        services.entitlement_create(customer=customer, offer=offer.pk, actor=support)
    with pytest.raises(ServiceError, match="80 at most"):
        services.entitlement_create(
            customer=customer, offer=offer.pk, seats=5, purchase_order_id="x" * 81, actor=support
        )
    row = services.entitlement_create(
        customer=customer, offer=offer.pk, seats=5, purchase_order_id="PO-1", actor=support
    )
    assert row.kind == "channel.entitlement.create" and row.target_id == customer.pk
    assert row.payload == {
        "entitlement": {
            "offer": offer.pk,
            "parameters": [{"name": "num_units", "value": {"int64Value": "5"}}],
            "purchaseOrderId": "PO-1",
        }
    }


def test_create_entitlement_needs_a_cloud_identity(support):
    customer = CustomerFactory(cloud_identity=False)
    with pytest.raises(ServiceError, match="no Cloud Identity yet"):
        services.entitlement_create(customer=customer, offer=OfferFactory().pk, seats=2, actor=support)


def test_delete_refused_while_entitlements_live(supervisor):
    entitlement = EntitlementFactory()
    with pytest.raises(ServiceError, match="still has 1 entitlement"):
        services.customer_delete(customer=entitlement.customer, actor=supervisor)


def test_customer_update_sends_only_what_changed(support):
    customer = CustomerFactory()
    with pytest.raises(ServiceError, match="Nothing changed"):
        services.customer_update(
            customer=customer, values={"org_display_name": customer.org_display_name}, actor=support
        )
    row = services.customer_update(
        customer=customer, values={"org_display_name": "New Name", "locality": "Palo Alto"}, actor=support
    )
    assert row.payload["updateMask"] == "orgDisplayName,orgPostalAddress"
    assert row.payload["customer"]["orgDisplayName"] == "New Name"
    assert row.payload["customer"]["orgPostalAddress"]["locality"] == "Palo Alto"
    assert row.payload["customer"]["orgPostalAddress"]["postalCode"] == "94043"  # kept


NEW_CUSTOMER = {
    "org_display_name": "Example Org",
    "domain": "new-org.example",
    "region_code": "us",
    "postal_code": "10001",
    "address_lines": "1 Main St\nFloor 2",
    "contact_email": "boss@new-org.example",
}


def test_customer_create_body_and_checks(support):
    with pytest.raises(ServiceError, match="not in the customer's domain"):
        services.customer_create(
            values={**NEW_CUSTOMER, "contact_email": "boss@other.example"}, actor=support
        )
    with pytest.raises(ServiceError, match="not a domain name"):
        services.customer_create(values={**NEW_CUSTOMER, "domain": "not a domain"}, actor=support)
    existing = CustomerFactory()
    with pytest.raises(ServiceError, match="already our customer"):
        services.customer_create(
            values={**NEW_CUSTOMER, "domain": existing.domain.upper(), "contact_email": ""}, actor=support
        )
    row = services.customer_create(values=NEW_CUSTOMER, actor=support)
    assert row.kind == "channel.customer.create"
    assert row.target_id == "accounts/C0test/customers?domain=new-org.example"
    body = row.payload["customer"]
    assert body["domain"] == "new-org.example" and body["orgDisplayName"] == "Example Org"
    assert body["orgPostalAddress"] == {
        "regionCode": "US",
        "postalCode": "10001",
        "addressLines": ["1 Main St", "Floor 2"],
    }
    assert body["primaryContactInfo"] == {"email": "boss@new-org.example"}


def test_provision_cloud_identity_checks(support):
    with pytest.raises(ServiceError, match="already has a Cloud Identity"):
        services.customer_provision_cloud_identity(
            customer=CustomerFactory(),
            admin_email="a@x.example",
            given_name="A",
            family_name="B",
            actor=support,
        )
    customer = CustomerFactory(cloud_identity=False, domain="fresh.example")
    with pytest.raises(ServiceError, match="must be in the customer's domain"):
        services.customer_provision_cloud_identity(
            customer=customer, admin_email="a@x.example", given_name="A", family_name="B", actor=support
        )
    row = services.customer_provision_cloud_identity(
        customer=customer,
        admin_email="admin@fresh.example",
        given_name="Ann",
        family_name="Lee",
        actor=support,
    )
    assert row.payload["user"] == {"email": "admin@fresh.example", "givenName": "Ann", "familyName": "Lee"}
    assert row.payload["cloudIdentityInfo"]["alternateEmail"] == "ops@elsewhere.example"


@pytest.mark.parametrize(
    "state, to, ok",
    [
        ("INVITED", "ACTIVE", False),
        ("INVITED", "SUSPENDED", False),
        ("INVITED", "REVOKED", True),
        ("ACTIVE", "SUSPENDED", True),
        ("SUSPENDED", "ACTIVE", True),
        ("REVOKED", "ACTIVE", False),
        ("ACTIVE", "ACTIVE", False),
    ],
)
def test_partner_link_transitions(supervisor, state, to, ok):
    link = PartnerLinkFactory(state=state)
    if ok:
        services.channel_partner_link_change_state(link=link, link_state=to, actor=supervisor)
    else:
        with pytest.raises(ServiceError):
            services.channel_partner_link_change_state(link=link, link_state=to, actor=supervisor)
