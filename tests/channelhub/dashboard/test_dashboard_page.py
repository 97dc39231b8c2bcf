"""The back office's first page as a whole: its query count pinned (with rows in every queue,
and with ten times as many), navigation by work, `/` leading there, and queue targets that
supervisors (only) edit."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from channelhub.models import QueueTarget
from tests.fulfillment.channel.factories import EntitlementFactory
from tests.fulfillment.connect.factories import FulfillmentRequestFactory, TierConfigRequestFactory
from tests.inventory.factories import InventorySourceFactory
from tests.usage.factories import UsageFileFactory

from .conftest import dashboard_html

# Session, user, permissions (2) = 4; each of the five backlog widgets 2 (its targets, one
# statement of bounded counts) = 10; actions 4 (counts, failed, stuck, chart); sync health 3
# (the inventory sources' streams, the stream states, the schedules); automation 2 (its
# bounded counts, the latest failed decisions).
PINNED_QUERIES = 23


def _rows(n: int) -> None:
    for _ in range(n):
        FulfillmentRequestFactory(status="pending")
        FulfillmentRequestFactory(status="inquiring")
        TierConfigRequestFactory(status="pending")
        UsageFileFactory(status="ready")
        EntitlementFactory(state="SUSPENDED", reasons=("PENDING_TOS_ACCEPTANCE",))
        InventorySourceFactory(status="failed")
    QueueTarget.objects.get_or_create(queue="connect.requests.pending", product_id="", minutes=60)
    QueueTarget.objects.get_or_create(queue="connect.requests.pending", product_id="PRD-1", minutes=60)


def _count_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        dashboard_html(client)
    return len(captured.captured_queries)


def test_the_dashboards_query_count_is_pinned_and_does_not_grow_with_the_rows(db, staff, client_of):
    client = client_of(staff("supervisor"))
    _rows(1)
    few = _count_queries(client)
    _rows(9)
    assert _count_queries(client) == few
    assert few == PINNED_QUERIES


def test_a_user_without_permissions_sees_no_widget(db, staff, client_of):
    page = dashboard_html(client_of(staff(None)))
    assert 'class="module ch-widget"' not in page


GROUPS = ["Connect", "Cloud Channel", "Usage", "Inventory", "Operations", "Administration"]


def _groups(page: str) -> list[str]:
    return re.findall(r'<caption><span class="section">([^<]+)</span></caption>', page)


def test_navigation_is_grouped_by_work_queues_first_and_administration_last(db, admin_client):
    page = dashboard_html(admin_client)
    assert _groups(page) == GROUPS
    connect = page.split('class="app-connect ')[1].split("</table>")[0]
    first = re.findall(r'<th scope="row" id="([a-z_]+-[a-z]+)">', connect)[:2]
    assert first == ["fulfillment-fulfillmentrequest", "fulfillment-tierconfigrequest"]
    admin_group = page.split('class="app-administration ')[1].split("</table>")[0]
    assert "auth-user" in admin_group and "axes-accessattempt" in admin_group
    operations = page.split('class="app-operations ')[1].split("</table>")[0]
    for model in ("channelhub-syncrun", "channelhub-streamstate", "django_q-schedule", "channelhub-apitoken"):
        assert model in operations


def test_the_sidebar_is_grouped_the_same_way(db, admin_client):
    page = admin_client.get(reverse("admin:fulfillment_fulfillmentrequest_changelist")).content.decode()
    sidebar = page.split('id="nav-sidebar"')[1].split("</nav>")[0]
    assert _groups(sidebar) == GROUPS
    assert 'aria-current="page"' in sidebar.split('class="app-connect ')[1]


def test_a_readonly_user_sees_only_the_groups_of_what_they_may_view(db, staff, client_of):
    groups = _groups(dashboard_html(client_of(staff("readonly"))))
    assert groups[:2] == ["Connect", "Cloud Channel"] and "Administration" not in groups


def test_the_root_leads_to_the_back_office_or_its_login(client, staff):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    follow = client.get(response["Location"])
    assert follow.status_code == 302 and "/admin/login/" in follow["Location"]


def test_the_index_keeps_the_queues_below_the_dashboard(db, staff, client_of):
    page = dashboard_html(client_of(staff("support")))
    assert page.index('id="ch-dashboard"') < page.index('id="ch-queues"') < page.index('class="app-connect ')


def test_supervisors_set_queue_targets_and_support_may_not(db, staff, client_of):
    add = reverse("admin:channelhub_queuetarget_add")
    assert client_of(staff("support")).get(add).status_code == 403
    boss = client_of(staff("supervisor"))
    page = boss.get(add).content.decode()
    assert 'value="connect.requests.pending"' in page and "channel.entitlements.trials_ending" not in page
    response = boss.post(
        add, {"queue": "usage.files.pending", "product_id": "", "minutes": "240", "note": ""}
    )
    assert response.status_code == 302
    assert QueueTarget.objects.get().minutes == 240
    refused = boss.post(add, {"queue": "not.a.queue", "product_id": "", "minutes": "5", "note": ""})
    assert refused.status_code == 200 and QueueTarget.objects.count() == 1
