"""The inventory back office in a real browser (issue 13): a readonly user finds a server by its IP
address, opens it, sees its neighbourhood and metrics drawn and walks to a neighbour through the
picture, with no script from upstream text running; a supervisor confirms a held pass from the
source's page, which support cannot."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from inventory.models import InventorySource, Resource
from tests.browser.test_admin_pages import PAYLOAD, assert_no_script_ran
from tests.inventory import factories as f
from tests.inventory.sync.helpers import file_source, resource, run_pass, write_feed


def test_find_a_server_by_ip_open_it_and_walk_its_neighbourhood(page, login, make_staff):
    source = f.InventorySourceFactory(name="alpha")
    server = f.ResourceFactory(source=source, upstream_id="srv-1", name="web-1")
    disk = f.ResourceFactory(source=source, type="volume", upstream_id="vol-1", name="disk-1")
    f.ResourceFactory(source=source, upstream_id="srv-2", name="web-2")  # not at that address
    f.ResourceAddressFactory(resource=server, ip_address="10.7.7.7", description=PAYLOAD)
    f.ResourceMetadataFactory(resource=server, namespace="tags", key="owner", value=PAYLOAD)
    f.ResourceConnectionFactory(resource=server, to=disk, kind="volume")
    now = timezone.now()
    for i in range(6):
        f.MetricSampleFactory(resource=server, metric="cpu", time=now - timedelta(minutes=10 * i), value=i)
    login(page, make_staff(roles=("readonly",)))

    page.goto("/admin/inventory/resource/")
    page.fill("#searchbar", "10.7.7.7")
    page.press("#searchbar", "Enter")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    rows.first.locator("a", has_text="web-1").click()

    page.wait_for_url("**/admin/inventory/resource/**/change/")
    expect(page.locator("svg.ch-hood")).to_be_visible()
    expect(page.locator("svg.ch-chart")).to_be_visible()
    expect(page.get_by_text(PAYLOAD).first).to_be_visible()  # the metadata value, as text
    assert_no_script_ran(page)

    page.locator("svg.ch-hood a", has_text="disk-1").first.click()
    expect(page.get_by_text("In: resources connected to this one")).to_be_visible()
    expect(page.locator("svg.ch-hood a", has_text="web-1").first).to_be_visible()


def test_a_supervisor_confirms_a_held_pass_and_support_sees_no_button(page, login, make_staff, tmp_path):
    path = tmp_path / "feed.json"
    write_feed(path, [resource(n) for n in range(4)])
    source = file_source(path, name="held-feed")
    run_pass(source)
    write_feed(path, [])  # a broken credential answering an empty list
    run_pass(source)
    assert source.is_held

    login(page, make_staff(roles=("support",), username="support"))
    page.goto(f"/admin/inventory/inventorysource/{source.pk}/change/")
    expect(page.get_by_text("Held: 4 of 4 live resources would vanish").first).to_be_visible()
    expect(page.get_by_role("button", name="Confirm: mark them gone")).to_have_count(0)

    page.context.clear_cookies()
    login(page, make_staff(roles=("supervisor",), username="supervisor"))
    page.goto(f"/admin/inventory/inventorysource/{source.pk}/change/")
    page.get_by_role("button", name="Confirm: mark them gone").click()
    expect(page.get_by_text("The held pass was applied.")).to_be_visible()
    source = InventorySource.objects.get(pk=source.pk)
    assert not source.is_held
    assert Resource.objects.filter(source=source, gone_at__isnull=False).count() == 4
