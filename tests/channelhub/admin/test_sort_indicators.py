"""The sorted column's header tells the order the rows are shown in.

Django's changelist marks the sorted header (the arrow, `sorted ascending|descending`) from the
admin's `ordering` or the model's Meta ordering, not from `get_ordering(request)`; the queues
that list the oldest first (`?queue=pending`, ...) showed the newest-first arrow over rows that
came oldest first. The kit's changelist marks what `get_ordering(request)` returns; a column
the user clicks (`o=`) still wins; an admin with no ordering of its own keeps its model's.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from tests.fulfillment.connect.factories import FulfillmentRequestFactory, TierConfigRequestFactory
from tests.usage.factories.files import ListingFactory, UsageFileFactory
from tests.usage.factories.reports import UsageReportFactory
from usage.models import UsageReport

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
# Created out of their time order, so the rows' order comes from the ordering, not the inserts.
OFFSETS_HOURS = (2, 0, 1)


def _fulfillment_requests():
    return [
        FulfillmentRequestFactory(status="pending", created=T0 + timedelta(hours=h)) for h in OFFSETS_HOURS
    ]


def _tier_config_requests():
    return [
        TierConfigRequestFactory(status="pending", created=T0 + timedelta(hours=h)) for h in OFFSETS_HOURS
    ]


def _usage_files():
    return [UsageFileFactory(status="pending", created_at=T0 + timedelta(hours=h)) for h in OFFSETS_HOURS]


def _usage_reports():
    rows = [UsageReportFactory() for _ in OFFSETS_HOURS]
    for row, h in zip(rows, OFFSETS_HOURS, strict=True):  # created_at is auto_now_add
        UsageReport.objects.filter(pk=row.pk).update(created_at=T0 + timedelta(hours=h))
        row.refresh_from_db()
    return rows


# (changelist, rows in the queue, the oldest-first queue, the column of the creation time, its field)
QUEUES = [
    pytest.param(
        "fulfillment_fulfillmentrequest", _fulfillment_requests, "pending", "created", id="requests"
    ),
    pytest.param("fulfillment_tierconfigrequest", _tier_config_requests, "pending", "created", id="tcrs"),
    pytest.param("usage_usagefile", _usage_files, "pending", "created", id="usage-files"),
    pytest.param("usage_usagereport", _usage_reports, "valid", "created_at", id="usage-reports"),
]


@pytest.fixture
def superuser_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "pw"))
    return client


def header_classes(html: str, column: str) -> set[str]:
    """The classes of the list's header cell of `column` (Django's `column-<name>` class)."""
    match = re.search(rf'<th scope="col" class="([^"]*\bcolumn-{re.escape(column)}(?=[\s"])[^"]*)"', html)
    assert match, f"no header of column {column!r}"
    return set(match.group(1).split())


def _get(client, changelist: str, **params):
    response = client.get(reverse(f"admin:{changelist}_changelist"), params)
    assert response.status_code == 200
    return response


def _by_time(rows, field: str, *, newest_first: bool):
    return [r.pk for r in sorted(rows, key=lambda r: getattr(r, field), reverse=newest_first)]


@pytest.mark.django_db
@pytest.mark.parametrize(("changelist", "make", "queue", "column"), QUEUES)
def test_an_oldest_first_queue_marks_its_time_column_ascending(
    superuser_client, changelist, make, queue, column
):
    rows = make()
    response = _get(superuser_client, changelist, queue=queue)
    shown = [r.pk for r in response.context["cl"].result_list]
    assert shown == _by_time(rows, column, newest_first=False)
    classes = header_classes(response.content.decode(), column)
    assert {"sorted", "ascending"} <= classes
    assert "descending" not in classes


@pytest.mark.django_db
@pytest.mark.parametrize(("changelist", "make", "queue", "column"), QUEUES)
def test_the_default_list_marks_its_time_column_descending(superuser_client, changelist, make, queue, column):
    rows = make()
    response = _get(superuser_client, changelist)
    shown = [r.pk for r in response.context["cl"].result_list]
    assert shown == _by_time(rows, column, newest_first=True)
    classes = header_classes(response.content.decode(), column)
    assert {"sorted", "descending"} <= classes
    assert "ascending" not in classes


@pytest.mark.django_db
@pytest.mark.parametrize(("changelist", "make", "queue", "column"), QUEUES)
def test_a_clicked_column_wins_over_the_queues_order(superuser_client, changelist, make, queue, column):
    rows = make()
    index = _get(superuser_client, changelist).context["cl"].list_display.index(column)
    response = _get(superuser_client, changelist, queue=queue, o=f"-{index}")
    shown = [r.pk for r in response.context["cl"].result_list]
    assert shown == _by_time(rows, column, newest_first=True)
    classes = header_classes(response.content.decode(), column)
    assert {"sorted", "descending"} <= classes


@pytest.mark.django_db
def test_an_admin_without_an_ordering_of_its_own_marks_the_models(superuser_client):
    """Listings have no `ordering` on their admin: the model's Meta ordering is marked."""
    ListingFactory()
    response = _get(superuser_client, "usage_listing")
    assert {"sorted", "ascending"} <= header_classes(response.content.decode(), "product_id")
