"""Staff actions from the back office, through the Django test client.

Each action form POSTs to an admin view that calls the service: the outcome is an
`UpstreamAction` (queued: nothing is sent in these tests, on_commit callbacks do not run),
or the service's refusal shown on the page with the user's input kept. Forms and buttons
follow the role and the status; the services refuse what a hidden button would have done.
Bulk actions, the outbox and audit admin, the queues, and escaping of hostile text.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from channelhub.models import ActionStatus, AuditEvent, UpstreamAction
from fulfillment.connect import services
from fulfillment.models import FulfillmentRequest
from tests.fulfillment.connect.factories import (
    ConversationFactory,
    FulfillmentRequestFactory,
    TemplateFactory,
    TierConfigRequestFactory,
    load_fixture,
)

PRODUCT = "PRD-276-377-545"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
XSS_MARKDOWN = f"Hello {SCRIPT}\n\n{IMG}\n\n[click](javascript:alert(1))"
PR = "fulfillment.fulfillmentrequest"


def _user(name: str, group: str | None, email: str = ""):
    user = get_user_model().objects.create_user(name, email or f"{name}@example.com", "pw", is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def support(db):
    return _user("sue", "support", email="mserrat@odin.com")


@pytest.fixture
def supervisor(db):
    return _user("sam", "supervisor")


@pytest.fixture
def readonly(db):
    return _user("rita", "readonly")


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def world(db):
    """Two fulfillment templates and one inquire template of the request's product, a pending request."""
    approve_tl = TemplateFactory(product_id=PRODUCT, title="Welcome", body="Your **account** is ready")
    other_tl = TemplateFactory(product_id=PRODUCT, title="Hostile", body=XSS_MARKDOWN)
    inquire_tl = TemplateFactory(product_id=PRODUCT, title="Please fix", type="inquire")
    request = FulfillmentRequestFactory(product_id=PRODUCT)
    return {"template": approve_tl, "hostile": other_tl, "inquire": inquire_tl, "request": request}


def _change(obj) -> str:
    return reverse(f"admin:fulfillment_{obj._meta.model_name}_change", args=[obj.pk])


def _act(obj, action: str) -> str:
    return reverse(f"admin:fulfillment_{obj._meta.model_name}_act", args=[obj.pk, action])


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def _only_action() -> UpstreamAction:
    actions = list(UpstreamAction.objects.all())
    assert len(actions) == 1, actions
    return actions[0]


def _assert_no_xss(html: str) -> None:
    """No live script, event handler or javascript: link (escaped text of them is fine)."""
    assert SCRIPT not in html
    assert not re.search(r"<img\b[^>]*\bonerror", html, re.IGNORECASE)
    assert not re.search(r"<[a-z]+\b[^>]*\son(error|load|click|mouseover)\s*=", html, re.IGNORECASE)
    assert not re.search(r"<a\b[^>]*\bhref\s*=\s*[\"']?\s*javascript:", html, re.IGNORECASE)


def _param_ids(obj) -> list[str]:
    return [p["id"] for p in obj.params]


# --- each form calls through to its service -------------------------------------------------


def test_approve_with_template_queues_the_action_and_redirects_back(world, support, as_user):
    client = as_user(support)
    request = world["request"]
    response = client.post(_act(request, "approve"), {"approve-template_id": world["template"].pk})
    assert response.status_code == 302
    assert response["Location"] == _change(request) + "#ch-progress"
    action = _only_action()
    assert (action.kind, action.target_id, action.status) == ("connect.request.approve", request.pk, "queued")
    assert action.payload == {"template_id": world["template"].pk}
    assert action.actor == support
    page = client.get(response["Location"])
    assert any(m.startswith("Approve queued for " + request.pk) for m in _messages(page))
    html = _html(page)
    # the progress block shows it queued, and the forms wait for it to finish
    assert "ch-action-queued" in html and 'id="ch-form-approve"' not in html
    assert 'data-open="1"' in html


def test_approve_with_activation_tile(world, support, as_user):
    response = as_user(support).post(
        _act(world["request"], "approve"), {"approve-activation_tile": "# Ready\n\nLog in at portal"}
    )
    assert response.status_code == 302
    assert _only_action().payload == {"activation_tile": "# Ready\n\nLog in at portal"}


def test_inquire_with_two_parameter_errors_and_a_template(world, support, as_user):
    request = world["request"]
    first, second = _param_ids(request)[:2]
    response = as_user(support).post(
        _act(request, "inquire"),
        {
            f"inquire-error__{first}": "Not a valid domain",
            f"inquire-error__{second}": "Too short",
            "inquire-template_id": world["inquire"].pk,
        },
    )
    assert response.status_code == 302
    action = _only_action()
    assert action.kind == "connect.request.inquire"
    assert action.payload == {
        "param_errors": {first: "Not a valid domain", second: "Too short"},
        "template_id": world["inquire"].pk,
    }


def test_fail_pend_assign_unassign_update_and_note(world, support, as_user):
    client = as_user(support)
    request = world["request"]

    def act(obj, action, data, kind, payload):
        response = client.post(_act(obj, action), data)
        assert response.status_code == 302, _messages(client.get(_change(obj)))
        action_row = UpstreamAction.objects.get(kind=kind, target_id=obj.pk)
        assert action_row.payload == payload
        # finish it so the next action on the same object is allowed
        UpstreamAction.objects.filter(pk=action_row.pk).update(status=ActionStatus.SUCCEEDED)

    assert (
        client.post(_act(request, "fail"), {"fail-reason": "Out of stock"}).status_code == 200
    )  # unconfirmed
    assert not UpstreamAction.objects.exists()
    act(
        request,
        "fail",
        {"fail-reason": "Out of stock", "fail-confirm": "on"},
        "connect.request.fail",
        {"reason": "Out of stock"},
    )
    act(
        request,
        "assign",
        {"assign-assignee": "someone@example.com"},
        "connect.request.assign",
        {"email": "someone@example.com"},
    )
    act(request, "unassign", {}, "connect.request.unassign", {})
    text_param = next(p for p in request.params if p["type"] == "text" and not p["secret"])
    untouched = {
        f"update_params-value__{p['id']}": p["value"]
        for p in request.params
        if p["type"] in ("text", "email", "domain", "subdomain", "url", "choice", "dropdown")
        and p["id"] != text_param["id"]
    }
    act(
        request,
        "update_params",
        {**untouched, f"update_params-value__{text_param['id']}": "new value"},
        "connect.request.update_params",
        {"params": [{"id": text_param["id"], "value": "new value"}]},
    )
    act(
        request,
        "add_note",
        {"add_note-text": "Called the customer"},
        "connect.request.add_note",
        {"text": "Called the customer"},
    )
    inquiring = FulfillmentRequestFactory(status="inquiring")
    act(inquiring, "pend", {}, "connect.request.pend", {})


def test_tier_config_request_actions(db, support, as_user):
    client = as_user(support)
    tcr = TierConfigRequestFactory(status="pending")
    tl = TemplateFactory(product_id=tcr.product_id, scope="tier1", title="Tier welcome")
    html = _html(client.get(_change(tcr)))
    assert 'id="ch-form-approve"' in html and "Tier welcome" in html
    assert 'id="ch-form-add_note"' not in html  # Connect has no notes on TCRs
    param = _param_ids(tcr)[0]
    response = client.post(_act(tcr, "inquire"), {f"inquire-error__{param}": "Unknown reseller id"})
    assert response.status_code == 302
    action = _only_action()
    assert action.kind == "connect.tcr.inquire"
    assert action.payload == {"param_errors": {param: "Unknown reseller id"}}
    action.delete()
    assert client.post(_act(tcr, "approve"), {"approve-template_id": tl.pk}).status_code == 302
    assert _only_action().payload == {"template": {"id": tl.pk}}


# --- refusals ---------------------------------------------------------------------------------


def test_refusal_shows_the_service_message_and_keeps_the_input(world, support, as_user):
    client = as_user(support)
    request = world["request"]
    services.request_approve(request=request, template_id=world["template"].pk, actor=support)
    response = client.post(
        _act(request, "fail"), {"fail-reason": "My carefully written reason", "fail-confirm": "on"}
    )
    html = _html(response)
    [message] = _messages(response)
    assert "is still queued; wait for it to finish" in message
    assert message in html.replace("&#x27;", "'")
    assert "My carefully written reason</textarea>" in html
    assert UpstreamAction.objects.count() == 1


def test_empty_reason_is_refused_by_the_service(world, support, as_user):
    response = as_user(support).post(
        _act(world["request"], "fail"), {"fail-reason": "   ", "fail-confirm": "on"}
    )
    assert _messages(response) == ["A reason is required."]
    assert not UpstreamAction.objects.exists()


def test_readonly_post_is_refused_by_the_service(world, readonly, as_user):
    client = as_user(readonly)
    html = _html(client.get(_change(world["request"])))
    assert not _forms(html) and '<form method="post"' not in html
    assert "can view this fulfillment request but not act" in html
    response = client.post(_act(world["request"], "approve"), {"approve-template_id": world["template"].pk})
    [message] = _messages(response)
    assert message.startswith("You are not allowed to approve requests")
    assert not UpstreamAction.objects.exists()


def test_action_views_want_post_and_a_known_action(world, support, as_user):
    client = as_user(support)
    assert client.get(_act(world["request"], "approve")).status_code == 405
    assert client.post(_act(world["request"], "explode"), {}).status_code == 404


def test_csrf_is_checked(world, support):
    client = Client(enforce_csrf_checks=True)
    client.force_login(support)
    response = client.post(_act(world["request"], "approve"), {"approve-template_id": world["template"].pk})
    assert response.status_code == 403
    assert not UpstreamAction.objects.exists()


# --- which forms show ---------------------------------------------------------------------------

PENDING_FORMS = {"approve", "inquire", "fail", "update_params", "assign", "unassign", "add_note"}


def _forms(html: str) -> set[str]:
    return set(re.findall(r'id="ch-form-([a-z_]+)"', html))


@pytest.mark.parametrize(
    "status, expected",
    [
        ("pending", PENDING_FORMS),
        ("inquiring", {"pend", "update_params", "assign", "unassign", "add_note"}),
        ("approved", {"add_note"}),
    ],
)
def test_forms_follow_the_status(db, support, as_user, status, expected):
    request = FulfillmentRequestFactory(status=status)
    assert _forms(_html(as_user(support).get(_change(request)))) == expected


def test_unassigned_request_offers_no_unassign(db, support, as_user):
    request = FulfillmentRequestFactory(assignee=None)
    assert "unassign" not in _forms(_html(as_user(support).get(_change(request))))


def test_migration_request_shows_a_banner_and_no_forms(db, support, as_user):
    params = load_fixture("fulfillment_request.json")["asset"]["params"]
    params.append({"id": "migration_info", "type": "text", "value": '{"old": "1"}', "title": "Migration"})
    request = FulfillmentRequestFactory(params=params)
    assert request.is_migration
    html = _html(as_user(support).get(_change(request)))
    assert "Migration request" in html and not _forms(html)


def test_retry_and_cancel_buttons_by_role(world, support, supervisor, readonly, as_user):
    request = world["request"]
    action = services.request_approve(request=request, template_id=world["template"].pk, actor=support)
    UpstreamAction.objects.filter(pk=action.pk).update(
        status=ActionStatus.FAILED,
        attempts=1,
        last_error="Request is not in pending status.",
        error_code="REQ_003",
        finished_at=timezone.now(),
    )
    for user, buttons in ((readonly, False), (support, False), (supervisor, True)):
        html = _html(as_user(user).get(_change(request)))
        assert "Request is not in pending status." in html and "REQ_003" in html
        assert ("Retry</button>" in html) is buttons
        assert ("Cancel</button>" in html) is buttons
        assert 'data-open="0"' in html


# --- retry / cancel -----------------------------------------------------------------------------


@pytest.fixture
def failed_action(world, support):
    action = services.request_approve(
        request=world["request"], template_id=world["template"].pk, actor=support
    )
    UpstreamAction.objects.filter(pk=action.pk).update(
        status=ActionStatus.FAILED, attempts=3, last_error="Boom", finished_at=timezone.now()
    )
    return action


def _retry(action):
    return reverse("admin:channelhub_upstreamaction_retry", args=[action.pk])


def _cancel(action):
    return reverse("admin:channelhub_upstreamaction_cancel", args=[action.pk])


def test_retry_is_for_supervisors(world, failed_action, support, supervisor, as_user):
    back = _change(world["request"])
    response = as_user(support).post(_retry(failed_action), {"next": back}, follow=True)
    assert any("not allowed to retry" in m for m in _messages(response))
    failed_action.refresh_from_db()
    assert failed_action.status == ActionStatus.FAILED
    response = as_user(supervisor).post(_retry(failed_action), {"next": back})
    assert response.status_code == 302 and response["Location"] == back + "#ch-progress"
    failed_action.refresh_from_db()
    assert failed_action.status == ActionStatus.QUEUED
    assert AuditEvent.objects.filter(action="connect.request.approve.retried", actor=supervisor).exists()


def test_cancel_is_for_supervisors_and_next_must_be_local(world, failed_action, support, supervisor, as_user):
    as_user(support).post(_cancel(failed_action), {"next": "/"})
    failed_action.refresh_from_db()
    assert failed_action.status == ActionStatus.FAILED
    response = as_user(supervisor).post(_cancel(failed_action), {"next": "https://evil.example.com/"})
    assert response["Location"].startswith(
        reverse("admin:channelhub_upstreamaction_change", args=[failed_action.pk])
    )
    failed_action.refresh_from_db()
    assert failed_action.status == ActionStatus.CANCELLED


def test_outbox_admin_actions_retry_and_cancel(world, failed_action, supervisor, support, as_user):
    changelist = reverse("admin:channelhub_upstreamaction_changelist")
    html = _html(as_user(support).get(changelist))
    assert "retry_selected" not in html  # support has no retry/cancel admin actions
    client = as_user(supervisor)
    html = _html(client.get(changelist))
    assert "retry_selected" in html and world["request"].pk in html and "Boom" in html
    client.post(changelist, {"action": "retry_selected", "_selected_action": [failed_action.pk]})
    failed_action.refresh_from_db()
    assert failed_action.status == ActionStatus.QUEUED
    client.post(changelist, {"action": "cancel_selected", "_selected_action": [failed_action.pk]})
    failed_action.refresh_from_db()
    assert failed_action.status == ActionStatus.CANCELLED


def test_outbox_and_audit_changelists_search_and_detail(world, failed_action, readonly, as_user):
    client = as_user(readonly)
    actions = reverse("admin:channelhub_upstreamaction_changelist")
    assert world["request"].pk in _html(client.get(actions, {"q": world["request"].pk}))
    assert world["request"].pk not in _html(client.get(actions, {"q": "PR-0000-0000-0000-001"}))
    assert "Boom" in _html(
        client.get(actions, {"status__exact": "failed", "kind": "connect.request.approve"})
    )
    _html(client.get(reverse("admin:channelhub_upstreamaction_change", args=[failed_action.pk])))
    events = reverse("admin:channelhub_auditevent_changelist")
    html = _html(client.get(events, {"q": failed_action.correlation_id}))
    assert "connect.request.approve.queued" in html
    event = AuditEvent.objects.first()
    _html(client.get(reverse("admin:channelhub_auditevent_change", args=[event.pk])))


# --- progress and audit on the page -------------------------------------------------------------


def test_progress_endpoint_and_audit_trail(world, support, as_user):
    client = as_user(support)
    request = world["request"]
    progress = reverse("admin:fulfillment_fulfillmentrequest_progress", args=[request.pk])
    assert client.get(progress).json() == {"open": False, "latest": None}
    action = services.request_fail(request=request, reason=f"Bad {SCRIPT}", actor=support)
    data = client.get(progress).json()
    assert data["open"] is True and data["latest"]["id"] == action.pk
    html = _html(client.get(_change(request)))
    assert "connect.request.fail.queued" in html
    assert "Bad &lt;script&gt;alert(1)&lt;/script&gt;" in html  # the audit message, escaped
    assert "&quot;status&quot;: &quot;pending&quot;" in html  # before, as escaped JSON
    _assert_no_xss(html)


# --- hostile text -------------------------------------------------------------------------------


def test_hostile_template_bodies_param_values_and_errors_come_out_escaped(db, support, supervisor, as_user):
    TemplateFactory(product_id=PRODUCT, title=f"T {SCRIPT}", body=XSS_MARKDOWN)
    params = load_fixture("fulfillment_request.json")["asset"]["params"]
    for param in params:
        if param["type"] == "text":
            param["value"] = IMG
            param["value_error"] = f"Bad {SCRIPT}"
    request = FulfillmentRequestFactory(product_id=PRODUCT, params=params, customer_name=SCRIPT)
    ConversationFactory(instance_id=request.pk)
    client = as_user(support)
    html = _html(client.get(_change(request)))
    assert "Hello &lt;script&gt;" in html  # the template preview: sanitised markdown
    assert "&lt;img src=x onerror=alert(1)&gt;</textarea>" in html  # the value, editable, as text
    _assert_no_xss(html)
    # a refusal re-renders hostile input as text too
    response = client.post(_act(request, "assign"), {"assign-assignee": ""})
    _assert_no_xss(_html(response))
    response = client.post(_act(request, "add_note"), {"add_note-text": "x" * 10001 + SCRIPT})
    html = _html(response)
    assert "too long" in " ".join(_messages(response))
    _assert_no_xss(html)
    action = services.request_fail(request=request, reason="r", actor=support)
    UpstreamAction.objects.filter(pk=action.pk).update(
        status=ActionStatus.FAILED, last_error=f"Upstream says {SCRIPT}", error_code=f"<b>{IMG}</b>"
    )
    for url in (_change(request), reverse("admin:channelhub_upstreamaction_changelist")):
        html = _html(as_user(supervisor).get(url))
        assert "Upstream says &lt;script&gt;" in html
        _assert_no_xss(html)


# --- bulk actions -------------------------------------------------------------------------------

CHANGELIST = "admin:fulfillment_fulfillmentrequest_changelist"


def _bulk(client, action, ids, **data):
    payload = {"action": action, "_selected_action": ids, "index": 0, "select_across": 0, **data}
    return client.post(reverse(CHANGELIST), payload)


def test_bulk_approve_confirms_then_approves_each_request(world, support, as_user):
    client = as_user(support)
    other = FulfillmentRequestFactory(product_id=PRODUCT)
    ids = [world["request"].pk, other.pk]
    page = _html(_bulk(client, "bulk_approve", ids))
    assert "Approve these 2 requests of product" in page and world["template"].pk in page
    _assert_no_xss(page)
    assert not UpstreamAction.objects.exists()
    response = _bulk(client, "bulk_approve", ids, confirm="yes", template_id=world["template"].pk)
    assert response.status_code == 302
    actions = UpstreamAction.objects.filter(kind="connect.request.approve")
    assert sorted(actions.values_list("target_id", flat=True)) == sorted(ids)
    assert {a.payload["template_id"] for a in actions} == {world["template"].pk}
    messages = _messages(client.get(response["Location"]))
    assert any(m.startswith("Approve queued for 2 request(s)") for m in messages)


def test_bulk_approve_refuses_mixed_products(world, support, as_user):
    client = as_user(support)
    other = FulfillmentRequestFactory(product_id="PRD-999-999-999")
    response = _bulk(client, "bulk_approve", [world["request"].pk, other.pk])
    assert response.status_code == 302
    [message] = _messages(client.get(response["Location"]))
    assert "one product" in message and "PRD-999-999-999" in message and PRODUCT in message
    assert not UpstreamAction.objects.exists()


def test_bulk_fail_reports_refusals_without_stopping_the_others(world, support, as_user):
    client = as_user(support)
    busy = FulfillmentRequestFactory()
    services.request_assign(request=busy, assignee="UR-1", actor=support)
    approved = FulfillmentRequestFactory(status="approved")
    ids = [world["request"].pk, busy.pk, approved.pk]
    page = _html(_bulk(client, "bulk_fail", ids))
    assert "Fail these 3 requests" in page
    response = _bulk(client, "bulk_fail", ids, confirm="yes", reason="Discontinued")
    messages = _messages(client.get(response["Location"]))
    assert f"Fail queued for 1 request(s): {world['request'].pk}." in messages
    assert any(m.startswith(f"{busy.pk} refused:") and "still queued" in m for m in messages)
    assert any(m.startswith(f"{approved.pk} refused:") and "is approved" in m for m in messages)
    assert UpstreamAction.objects.get(kind="connect.request.fail").payload == {"reason": "Discontinued"}


def test_bulk_fail_without_reason_refuses_each(world, support, as_user):
    client = as_user(support)
    response = _bulk(client, "bulk_fail", [world["request"].pk], confirm="yes", reason="")
    messages = _messages(client.get(response["Location"]))
    assert messages == [f"{world['request'].pk} refused: A reason is required."]


def test_bulk_assign(world, support, as_user):
    client = as_user(support)
    other = FulfillmentRequestFactory()
    ids = [world["request"].pk, other.pk]
    assert "Assign these 2 requests" in _html(_bulk(client, "bulk_assign", ids))
    _bulk(client, "bulk_assign", ids, confirm="yes", assignee="UR-123-456-789")
    actions = UpstreamAction.objects.filter(kind="connect.request.assign")
    assert actions.count() == 2 and {a.payload["id"] for a in actions} == {"UR-123-456-789"}


def test_bulk_actions_are_not_offered_to_readonly(world, readonly, as_user):
    html = _html(as_user(readonly).get(reverse(CHANGELIST)))
    assert "bulk_approve" not in html


# --- queues -------------------------------------------------------------------------------------


def test_queues(db, support, as_user):
    client = as_user(support)
    old = FulfillmentRequestFactory(status="pending")
    new = FulfillmentRequestFactory(status="pending", assignee=None)
    inquiring = FulfillmentRequestFactory(status="inquiring")
    params = load_fixture("fulfillment_request.json")["asset"]["params"]
    params.append({"id": "migration_info", "type": "text", "value": "x", "title": "Migration"})
    migration = FulfillmentRequestFactory(status="pending", params=params)
    assert FulfillmentRequest.objects.filter(is_migration=True).count() == 1

    def ids(**query):
        response = client.get(reverse(CHANGELIST), query)
        assert response.status_code == 200
        return [obj.pk for obj in response.context["cl"].result_list]

    assert ids(queue="pending") == [old.pk, new.pk]  # oldest first, no migration
    assert ids(queue="inquiring") == [inquiring.pk]
    assert ids(queue="mine") == [old.pk, inquiring.pk]  # support's email is the Connect assignee's
    assert migration.pk not in ids()
    assert ids(migration="only") == [migration.pk]
    assert migration.pk in ids(migration="include")
    html = _html(client.get(reverse("admin:index")))
    assert "?queue=pending" in html and "Requests assigned to me" in html


def test_tier_config_request_queue_oldest_first(db, support, as_user):
    first = TierConfigRequestFactory(status="pending")
    second = TierConfigRequestFactory(status="pending")
    TierConfigRequestFactory(status="approved")
    response = as_user(support).get(
        reverse("admin:fulfillment_tierconfigrequest_changelist"), {"queue": "pending"}
    )
    assert [o.pk for o in response.context["cl"].result_list] == [first.pk, second.pk]


def test_assign_to_me_is_one_click_for_a_user_with_an_email(world, support, as_user):
    client = as_user(support)
    request = world["request"]
    html = _html(client.get(_change(request)))
    me = re.search(r'<form[^>]*id="ch-form-assign-me".*?</form>', html, re.S).group(0)
    assert 'name="assign-assignee" value="mserrat@odin.com"' in me and "Assign to me" in me
    assert client.post(_act(request, "assign"), {"assign-assignee": "mserrat@odin.com"}).status_code == 302
    assert _only_action().payload == {"email": "mserrat@odin.com"}


def test_assign_to_me_says_why_it_needs_an_email(world, as_user):
    nobody = _user("noemail", "support")
    type(nobody).objects.filter(pk=nobody.pk).update(email="")
    html = _html(as_user(nobody).get(_change(world["request"])))
    assert 'id="ch-form-assign-me"' not in html and "needs your email to match your Connect user" in html
