"""The queues staff work from fit a 1280 px screen: no sideways scroll in the lists, with a
row of realistic length in each (issue 15, "Queue tables fit a 1280 px screen")."""

from __future__ import annotations

import pytest

from tests.fulfillment.channel.factories import EntitlementFactory
from tests.fulfillment.connect.factories import FulfillmentRequestFactory, TierConfigRequestFactory
from tests.inventory.factories import ResourceFactory
from tests.usage.factories import UsageFileFactory

from .test_dashboard import _no_horizontal_scroll

QUEUES = [
    ("/admin/fulfillment/fulfillmentrequest/", FulfillmentRequestFactory),
    ("/admin/fulfillment/tierconfigrequest/", TierConfigRequestFactory),
    ("/admin/fulfillment/entitlement/", EntitlementFactory),
    ("/admin/fulfillment/customer/", None),
    ("/admin/usage/usagefile/", UsageFileFactory),
    ("/admin/inventory/resource/", ResourceFactory),
    ("/admin/channelhub/upstreamaction/", None),
]


@pytest.mark.parametrize(("url", "factory"), QUEUES, ids=[u.split("/")[3] for u, _ in QUEUES])
def test_the_queue_fits_1280_px(page, login, make_staff, url, factory):
    if factory is not None:
        factory.create_batch(3)
    login(page, make_staff(roles=("supervisor",), username="fit"))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(url)
    assert page.locator("#result_list, .paginator").count()  # the list rendered
    _no_horizontal_scroll(page)
