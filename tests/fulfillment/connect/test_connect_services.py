"""The staff action services: every action, every refusal, and the role x action matrix.

No upstream here: services only check and record (the outbox tests send)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group

from channelhub.models import ActionStatus, AuditEvent, UpstreamAction
from channelhub.services import ServiceError
from fulfillment.connect import services
from fulfillment.connect.mappers import map_request
from tests.fulfillment.connect.factories import (
    FulfillmentRequestFactory,
    TemplateFactory,
    TierConfigRequestFactory,
)

pytestmark = pytest.mark.django_db

PRODUCT = "PRD-276-377-545"


def user(role: str | None, name: str | None = None):
    u = get_user_model().objects.create_user(username=name or f"u-{role}", password="x" * 12, is_staff=True)
    if role:
        u.groups.add(Group.objects.get(name=role))
    return get_user_model().objects.get(pk=u.pk)


@pytest.fixture
def support():
    return user("support")


@pytest.fixture
def template():
    return TemplateFactory(product_id=PRODUCT, scope="asset", type="fulfillment")


def first_param(request) -> str:
    return request.params[0]["id"]


# --- role x action -----------------------------------------------------------------------

REQUEST_CALLS = {
    "approve": lambda r, t, a: services.request_approve(request=r, template_id=t.pk, actor=a),
    "inquire": lambda r, t, a: services.request_inquire(
        request=r, param_errors={first_param(r): "bad"}, actor=a
    ),
    "fail": lambda r, t, a: services.request_fail(request=r, reason="no", actor=a),
    "update_params": lambda r, t, a: services.request_update_params(
        request=r, values={first_param(r): "v"}, actor=a
    ),
    "assign": lambda r, t, a: services.request_assign(request=r, assignee="x@example.com", actor=a),
    "unassign": lambda r, t, a: services.request_unassign(request=r, actor=a),
    "add_note": lambda r, t, a: services.request_add_note(request=r, text="hello", actor=a),
}
TCR_CALLS = {
    "approve": lambda r, a: services.tier_config_request_approve(tier_config_request=r, actor=a),
    "inquire": lambda r, a: services.tier_config_request_inquire(
        tier_config_request=r, param_errors={r.params[0]["id"]: "bad"}, actor=a
    ),
    "fail": lambda r, a: services.tier_config_request_fail(tier_config_request=r, reason="no", actor=a),
    "update_params": lambda r, a: services.tier_config_request_update_params(
        tier_config_request=r, values={r.params[0]["id"]: "v"}, actor=a
    ),
    "assign": lambda r, a: services.tier_config_request_assign(
        tier_config_request=r, assignee="UR-1", actor=a
    ),
}
ROLES = {"readonly": False, "support": True, "supervisor": True, None: False}


@pytest.mark.parametrize("role, allowed", ROLES.items())
@pytest.mark.parametrize("action", REQUEST_CALLS)
def test_request_permission_matrix(role, allowed, action, template):
    request = FulfillmentRequestFactory(status="pending")
    actor = user(role)
    if allowed:
        result = REQUEST_CALLS[action](request, template, actor)
        assert result.kind == f"connect.request.{action}" and result.status == ActionStatus.QUEUED
    else:
        with pytest.raises(ServiceError, match="not allowed") as exc:
            REQUEST_CALLS[action](request, template, actor)
        assert exc.value.code == "permission"
        assert not UpstreamAction.objects.exists()


@pytest.mark.parametrize("role, allowed", ROLES.items())
@pytest.mark.parametrize("action", TCR_CALLS)
def test_tier_config_request_permission_matrix(role, allowed, action):
    tcr = TierConfigRequestFactory(status="pending")
    actor = user(role)
    if allowed:
        assert TCR_CALLS[action](tcr, actor).kind == f"connect.tcr.{action}"
    else:
        with pytest.raises(ServiceError, match="not allowed"):
            TCR_CALLS[action](tcr, actor)


def test_anonymous_and_inactive_users_are_refused(template):
    request = FulfillmentRequestFactory(status="pending")
    with pytest.raises(ServiceError, match="logged in"):
        services.request_fail(request=request, reason="x", actor=AnonymousUser())
    inactive = user("support", "gone")
    inactive.is_active = False
    inactive.save()
    with pytest.raises(ServiceError, match="logged in"):
        services.request_fail(request=request, reason="x", actor=inactive)


# --- what each action records -------------------------------------------------------------


def test_approve_with_template_records_payload_and_audit(support, template):
    request = FulfillmentRequestFactory(status="pending")
    action = services.request_approve(request=request, template_id=template.pk, actor=support)
    assert action.payload == {"template_id": template.pk}
    assert (action.target_type, action.target_id, action.actor) == (
        "fulfillment.fulfillmentrequest",
        request.pk,
        support,
    )
    event = AuditEvent.objects.get()
    assert event.action == "connect.request.approve.queued" and event.before["status"] == "pending"
    assert event.actor_name == support.username and event.correlation_id == action.correlation_id


def test_approve_with_activation_tile(support):
    request = FulfillmentRequestFactory(status="pending")
    action = services.request_approve(request=request, activation_tile="  **Welcome**  ", actor=support)
    assert action.payload == {"activation_tile": "**Welcome**"}


def test_inquire_payload_keeps_only_real_messages(support):
    request = FulfillmentRequestFactory(status="pending")
    a, b = request.params[0]["id"], request.params[1]["id"]
    action = services.request_inquire(request=request, param_errors={a: " wrong ", b: "  "}, actor=support)
    assert action.payload == {"param_errors": {a: "wrong"}}


def test_update_params_sends_values_only(support):
    request = FulfillmentRequestFactory(status="inquiring")
    pid = first_param(request)
    action = services.request_update_params(request=request, values={pid: 5}, actor=support)
    assert action.payload == {"params": [{"id": pid, "value": "5"}]}


def test_assign_by_id_or_email(support):
    request = FulfillmentRequestFactory(status="pending")
    assert services.request_assign(request=request, assignee="UR-1", actor=support).payload == {"id": "UR-1"}
    UpstreamAction.objects.update(status=ActionStatus.SUCCEEDED)
    assert services.request_assign(request=request, assignee="a@b.c", actor=support).payload == {
        "email": "a@b.c"
    }


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status, call, message",
    [
        ("approved", lambda r, t, a: services.request_approve(request=r, template_id=t.pk, actor=a), "only possible when it is pending"),
        ("inquiring", lambda r, t, a: services.request_approve(request=r, template_id=t.pk, actor=a), "is inquiring"),
        ("failed", lambda r, t, a: services.request_fail(request=r, reason="x", actor=a), "'fail' is only possible"),
        ("pending", lambda r, t, a: services.request_pend(request=r, actor=a), "only possible when it is inquiring"),
        ("approved", lambda r, t, a: services.request_update_params(request=r, values={first_param(r): "v"}, actor=a), "update params"),
        ("revoked", lambda r, t, a: services.request_assign(request=r, assignee="x@y.z", actor=a), "'assign'"),
    ],
)  # fmt: skip
def test_invalid_transitions_are_refused(support, template, status, call, message):
    request = FulfillmentRequestFactory(status=status)
    with pytest.raises(ServiceError, match=message) as exc:
        call(request, template, support)
    assert exc.value.code == "transition"
    assert not UpstreamAction.objects.exists() and not AuditEvent.objects.exists()


def test_the_mirrored_state_is_reread_not_the_callers_copy(support, template):
    request = FulfillmentRequestFactory(status="pending")
    stale = type(request).objects.get(pk=request.pk)
    type(request).objects.filter(pk=request.pk).update(status="approved")
    with pytest.raises(ServiceError, match="is approved"):
        services.request_approve(request=stale, template_id=template.pk, actor=support)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "Choose a fulfillment template or write an activation tile"),
        ({"template_id": "TL-X", "activation_tile": "x"}, "one of the two"),
        ({"template_id": "TL-NOPE"}, "not known"),
        ({"activation_tile": "   "}, "Choose a fulfillment template"),
    ],
)
def test_approve_needs_exactly_one_known_template_or_tile(support, kwargs, message):
    request = FulfillmentRequestFactory(status="pending")
    with pytest.raises(ServiceError, match=message):
        services.request_approve(request=request, actor=support, **kwargs)


def test_approve_refuses_a_template_of_another_product_or_kind(support):
    request = FulfillmentRequestFactory(status="pending")
    other = TemplateFactory(product_id="PRD-999-999-999")
    with pytest.raises(ServiceError, match="belongs to product PRD-999-999-999"):
        services.request_approve(request=request, template_id=other.pk, actor=support)
    inquire = TemplateFactory(product_id=PRODUCT, type="inquire")
    with pytest.raises(ServiceError, match="inquire template; a fulfillment template"):
        services.request_approve(request=request, template_id=inquire.pk, actor=support)
    tier = TemplateFactory(product_id=PRODUCT, scope="tier1")
    with pytest.raises(ServiceError, match="tier1 fulfillment template"):
        services.request_approve(request=request, template_id=tier.pk, actor=support)


def test_fail_needs_a_reason(support):
    request = FulfillmentRequestFactory(status="pending")
    for reason in ("", "   ", None):
        with pytest.raises(ServiceError, match="A reason is required"):
            services.request_fail(request=request, reason=reason, actor=support)


def test_inquire_refuses_unknown_params_and_empty_messages(support):
    request = FulfillmentRequestFactory(status="pending")
    with pytest.raises(ServiceError, match="has no parameter nope; its parameters are"):
        services.request_inquire(request=request, param_errors={"nope": "bad"}, actor=support)
    with pytest.raises(ServiceError, match="at least one parameter"):
        services.request_inquire(request=request, param_errors={first_param(request): " "}, actor=support)


def test_update_params_refuses_params_that_do_not_exist(support):
    request = FulfillmentRequestFactory(status="pending")
    with pytest.raises(ServiceError, match="has no parameter ghost"):
        services.request_update_params(request=request, values={"ghost": "v"}, actor=support)


def test_unassign_needs_an_assignee(support):
    request = FulfillmentRequestFactory(status="pending", assignee="")
    with pytest.raises(ServiceError, match="not assigned"):
        services.request_unassign(request=request, actor=support)


def test_note_must_have_text(support):
    request = FulfillmentRequestFactory(status="approved")
    with pytest.raises(ServiceError, match="The note is required"):
        services.request_add_note(request=request, text=" ", actor=support)
    assert (
        services.request_add_note(request=request, text="ok", actor=support).kind
        == "connect.request.add_note"
    )


def test_migration_requests_are_refused(support, template):
    request = FulfillmentRequestFactory(status="pending")
    payload = request.payload
    payload["asset"]["params"].append({"id": "migration_info", "value": '{"old": "123"}', "type": "text"})
    type(request).objects.filter(pk=request.pk).update(payload=payload, **map_request(payload))
    request.refresh_from_db()
    assert request.is_migration
    with pytest.raises(ServiceError, match="is a migration") as exc:
        services.request_approve(request=request, template_id=template.pk, actor=support)
    assert exc.value.code == "migration"


def test_a_second_action_waits_for_the_first(support):
    request = FulfillmentRequestFactory(status="pending")
    services.request_fail(request=request, reason="first", actor=support)
    with pytest.raises(ServiceError, match=r"Fail of .* asked by u-support .* is still queued") as exc:
        services.request_assign(request=request, assignee="a@b.c", actor=support)
    assert exc.value.code == "busy"
    # once it finished, the object is free again
    UpstreamAction.objects.update(status=ActionStatus.FAILED)
    services.request_assign(request=request, assignee="a@b.c", actor=support)


def test_tcr_refusals(support):
    tcr = TierConfigRequestFactory(status="approved")
    with pytest.raises(ServiceError, match="only possible when it is pending"):
        services.tier_config_request_approve(tier_config_request=tcr, actor=support)
    pending = TierConfigRequestFactory(status="pending")
    with pytest.raises(ServiceError, match="no parameter ghost"):
        services.tier_config_request_inquire(
            tier_config_request=pending, param_errors={"ghost": "x"}, actor=support
        )
    with pytest.raises(ServiceError, match="A reason is required"):
        services.tier_config_request_fail(tier_config_request=pending, reason="", actor=support)
    with pytest.raises(ServiceError, match="not known"):
        services.tier_config_request_approve(
            tier_config_request=pending, template_id="TL-NOPE", actor=support
        )
