"""An empty queue says why (issue 15): "assigned to me" by the user's email (with a link to
where it is set), the other queues by the mirror's last sync, a filtered list by the filters to
clear. The request and tier config request queues here, and the usage file queue (whose
sentence is a message: it has no changelist template of its own)."""

from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from channelhub.models import StreamState
from tests.fulfillment.connect.factories import FulfillmentRequestFactory, TierConfigRequestFactory
from tests.usage.factories import UsageFileFactory

REQUESTS = reverse("admin:fulfillment_fulfillmentrequest_changelist")
TCRS = reverse("admin:fulfillment_tierconfigrequest_changelist")
FILES = reverse("admin:usage_usagefile_changelist")
SYNCED = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


def _staff(username: str, email: str = "", *extra_perms: str):
    """A staff user who may view the mirrors (and whatever `extra_perms` add), with `email`."""
    user = get_user_model().objects.create_user(username, email, "pw-long-enough-123", is_staff=True)
    perms = Permission.objects.filter(
        content_type__app_label__in=("fulfillment", "usage", "channelhub"), codename__startswith="view_"
    )
    user.user_permissions.set(perms)
    for perm in extra_perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


def _sentence(client, url, params=None) -> str:
    """The page's empty-queue sentence, as text; "" when the page has none."""
    response = client.get(url, params or {})
    assert response.status_code == 200
    page = response.content.decode()
    found = re.search(r'<p class="ch-empty-queue" id="ch-empty-queue" role="status">(.*?)</p>', page, re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", "", found.group(1))) if found else ""


def _link(client, url, params, css_class) -> str:
    page = client.get(url, params).content.decode()
    found = re.search(rf'<a href="([^"]*)" class="{css_class}">', page)
    assert found, f"no link .{css_class} on the page"
    return html_lib.unescape(found.group(1))


def _synced(stream: str) -> str:
    StreamState.objects.create(stream=stream, last_success_at=SYNCED)
    return f"{timezone.localtime(SYNCED):%Y-%m-%d %H:%M %Z}"


@pytest.mark.django_db
def test_an_empty_pending_queue_says_when_the_mirror_was_synced(client):
    FulfillmentRequestFactory(status="approved")  # not pending: the queue is empty
    when = _synced("connect.requests")
    client.force_login(_staff("vic", "vic@example.com"))
    assert _sentence(client, REQUESTS, {"queue": "pending"}) == (
        f"No pending requests right now; the mirror was last synced {when} (stream connect.requests)."
    )
    page = client.get(REQUESTS, {"queue": "pending"}).content.decode()
    assert 'class="paginator"' not in page  # no bare "0 fulfillment requests" beside it
    assert _sentence(client, REQUESTS, {"queue": "inquiring"}).startswith("No inquiring requests right now")


@pytest.mark.django_db
def test_a_never_synced_mirror_says_so(client):
    client.force_login(_staff("vic", "vic@example.com"))
    assert _sentence(client, REQUESTS, {"queue": "open"}) == (
        "No open requests right now; the mirror has not been synced yet (stream connect.requests)."
    )
    assert _sentence(client, REQUESTS) == (
        "No requests in the mirror right now; the mirror has not been synced yet (stream connect.requests)."
    )


@pytest.mark.django_db
def test_a_queue_with_rows_has_no_sentence(client):
    FulfillmentRequestFactory(status="pending")
    client.force_login(_staff("vic", "vic@example.com"))
    assert _sentence(client, REQUESTS, {"queue": "pending"}) == ""
    page = client.get(REQUESTS, {"queue": "pending"}).content.decode()
    assert 'id="result_list"' in page and 'class="paginator"' in page


@pytest.mark.django_db
def test_assigned_to_me_with_an_email_names_it(client):
    FulfillmentRequestFactory(assignee={"id": "UR-1", "name": "Other", "email": "other@example.com"})
    client.force_login(_staff("sue", "sue@example.com"))
    sentence = _sentence(client, REQUESTS, {"queue": "mine"})
    assert sentence.startswith(
        "Assigned to me lists requests whose Connect assignee has your email (sue@example.com): none is open now"
    )
    # Without the permission to change users: the link goes to the user's own account page.
    assert _link(client, REQUESTS, {"queue": "mine"}, "ch-account-link") == reverse("admin:password_change")


@pytest.mark.django_db
def test_assigned_to_me_without_an_email_says_to_ask_for_one(client):
    FulfillmentRequestFactory(assignee={"id": "UR-1", "name": "Nobody", "email": ""})
    client.force_login(_staff("noemail"))
    assert _sentence(client, REQUESTS, {"queue": "mine"}) == (
        "Assigned to me lists requests whose Connect assignee has your email, and you have no email in "
        "channelhub: ask an administrator to set it."
    )
    assert _link(client, REQUESTS, {"queue": "mine"}, "ch-account-link") == reverse("admin:password_change")
    # Even with a filter on: no filter would bring a row back without an email.
    assert "you have no email" in _sentence(client, REQUESTS, {"queue": "mine", "status__exact": "pending"})


@pytest.mark.django_db
def test_who_may_change_users_is_sent_to_the_user_page(client):
    user = _staff("admin-noemail", "", "auth.change_user")
    client.force_login(user)
    target = _link(client, REQUESTS, {"queue": "mine"}, "ch-account-link")
    assert target == reverse("admin:auth_user_change", args=[user.pk])
    assert client.get(target).status_code == 200  # the page it links to opens for them


@pytest.mark.django_db
def test_a_filtered_empty_queue_names_the_filters_and_links_to_the_queue_without_them(client):
    pending = FulfillmentRequestFactory(status="pending")
    client.force_login(_staff("vic", "vic@example.com"))
    params = {"queue": "pending", "type__exact": "cancel", "q": "PR-9999"}
    assert (
        _sentence(client, REQUESTS, params) == "Nothing matches search “PR-9999”, type: Cancel; clear them."
    )
    target = _link(client, REQUESTS, params, "ch-clear-filters")
    assert target == "?queue=pending"
    page = client.get(REQUESTS + target).content.decode()
    assert pending.pk in page and 'id="ch-empty-queue"' not in page  # the queue itself has the row


@pytest.mark.django_db
def test_a_filtered_list_without_a_queue_links_to_the_whole_list(client):
    FulfillmentRequestFactory(status="pending", type="purchase")
    client.force_login(_staff("vic", "vic@example.com"))
    assert (
        _sentence(client, REQUESTS, {"status__exact": "failed"})
        == "Nothing matches status: Failed; clear them."
    )
    assert _link(client, REQUESTS, {"status__exact": "failed"}, "ch-clear-filters") == "?"


@pytest.mark.django_db
def test_tier_config_request_queues_say_why(client):
    TierConfigRequestFactory(status="approved")
    when = _synced("connect.tier_config_requests")
    client.force_login(_staff("noemail"))
    assert _sentence(client, TCRS, {"queue": "pending"}) == (
        f"No pending tier config requests right now; the mirror was last synced {when} "
        "(stream connect.tier_config_requests)."
    )
    assert _sentence(client, TCRS, {"queue": "mine"}).startswith(
        "Assigned to me lists tier config requests whose Connect assignee has your email, and you have no email"
    )
    assert _sentence(client, TCRS, {"queue": "closed", "tier_level__exact": "2"}).startswith(
        "Nothing matches"
    )


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.mark.django_db
def test_usage_file_queues_say_why(client):
    UsageFileFactory(status="ready")
    when = _synced("connect.usage-files")
    client.force_login(_staff("vic", "vic@example.com"))
    [message] = _messages(client.get(FILES, {"queue": "rejected"}))
    assert message == (
        f"No rejected usage files right now; the mirror was last synced {when} (stream connect.usage-files)."
    )
    [message] = _messages(client.get(FILES, {"queue": "to_submit", "schema__exact": "tr"}))
    assert message.startswith("Nothing matches schema: ") and 'href="?queue=to_submit"' in message
    assert _messages(client.get(FILES, {"queue": "to_submit"})) == []  # it lists the file
