"""The request page reads in the order work is done (issue 15): who the customer is and the
allowed actions first, then the parameters, items, conversation, audit trail and raw payload.
Positions are read from the page's HTML (the browser tests check the forms themselves)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fulfillment.models import FulfillmentRequest
from tests.fulfillment.connect.factories import (
    ConversationFactory,
    ConversationMessageFactory,
    FulfillmentRequestFactory,
    TierAccountFactory,
)

SECTIONS = (
    'id="ch-customer"',
    'id="ch-actions"',
    'id="ch-params"',
    'id="ch-items"',
    'id="ch-conversation"',
    'id="ch-audit"',
    "Upstream JSON as last synced",
)


def _page(client, request: FulfillmentRequest) -> str:
    response = client.get(reverse("admin:fulfillment_fulfillmentrequest_change", args=[request.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _position(page: str, marker: str) -> int:
    assert page.count(marker) >= 1, f"{marker} is not on the page"
    return page.index(marker)


@pytest.mark.django_db
def test_the_sections_come_in_the_order_work_is_done(client, support):
    request = FulfillmentRequestFactory(status="pending")
    ConversationMessageFactory(conversation_id=ConversationFactory(instance_id=request.pk).pk, text="Hi")
    client.force_login(support)
    page = _page(client, request)
    positions = [_position(page, marker) for marker in SECTIONS]
    assert positions == sorted(positions), dict(zip(SECTIONS, positions, strict=True))


@pytest.mark.django_db
def test_the_customer_card_and_every_action_form_come_before_the_parameters(client, support):
    request = FulfillmentRequestFactory(status="pending")  # assigned: unassign is offered too
    client.force_login(support)
    page = _page(client, request)
    params = _position(page, 'id="ch-params"')
    summary = _position(page, 'id="ch-summary"')
    forms = [
        'id="ch-form-assign-me"',
        'id="ch-form-assign"',
        'id="ch-form-unassign"',
        'id="ch-actions-params"',  # inquire and parameter values: the card that points to them
        'id="ch-form-approve"',
        'id="ch-form-fail"',
    ]
    for marker in ("Request " + request.pk, 'id="ch-customer"', *forms):
        assert _position(page, marker) < params, f"{marker} comes after the parameters"
    assert summary < _position(page, 'id="ch-customer"') < _position(page, 'id="ch-actions"')
    # the inquire form itself sits with the parameters it is about; the card links to it
    assert params < _position(page, 'id="ch-form-inquire"')
    assert 'href="#ch-form-inquire"' in page[:params]
    # the long sections: progress and audit after the conversation, the raw payload last
    assert _position(page, 'id="ch-conversation"') < _position(page, 'id="ch-progress"')
    assert _position(page, 'id="ch-audit"') < _position(page, "Upstream JSON as last synced")


@pytest.mark.django_db
def test_the_customer_card_says_who_the_customer_is(client, support):
    account = TierAccountFactory(account_id="TA-1111-2222-3333", name="Abbott and Sons")
    request = FulfillmentRequestFactory(status="pending")
    customer = request.tiers["customer"]
    FulfillmentRequest.objects.filter(pk=request.pk).update(
        tiers={**request.tiers, "customer": {**customer, "id": account.pk}}
    )
    client.force_login(support)
    page = _page(client, FulfillmentRequest.objects.get(pk=request.pk))
    card = page[_position(page, 'id="ch-customer"') : _position(page, 'id="ch-actions"')]
    assert f"Customer: {customer['name']}" in card
    assert customer["external_id"] and customer["external_id"] in card
    contact = customer["contact_info"]
    assert f"{contact['first_name']} {contact['last_name']}" in card
    assert f'href="mailto:{contact["email"]}"' in card
    # the account is mirrored: the card links to its page (which lists its requests)
    assert f'href="{reverse("admin:fulfillment_tieraccount_change", args=[account.pk])}"' in card


@pytest.mark.django_db
def test_a_request_without_a_customer_tier_says_so(client, support):
    request = FulfillmentRequestFactory(status="pending")
    FulfillmentRequest.objects.filter(pk=request.pk).update(tiers={})
    client.force_login(support)
    page = _page(client, FulfillmentRequest.objects.get(pk=request.pk))
    assert "The request names no customer tier account." in page


@pytest.mark.django_db
def test_the_last_action_is_named_beside_the_forms(client, support):
    from fulfillment.connect import services  # noqa: PLC0415 - only this test queues an action

    request = FulfillmentRequestFactory(status="pending")
    services.request_add_note(request=request, text="Called", actor=support)
    client.force_login(support)
    page = _page(client, request)
    note = _position(page, 'id="ch-actions-wait"')
    assert _position(page, 'id="ch-actions"') < note < _position(page, 'id="ch-params"')
    assert 'href="#ch-progress"' in page[note : note + 400]
