"""The inventory back office through the Django test client: resource lists filter and search
(by IP address and metadata value too), the resource page shows every type's details in words,
connections both ways (dangling ones too), its neighbourhood and metrics as inline SVG, all
upstream text escaped; the readonly role views, anonymous users are sent to log in, mirrors
stay read-only and metric mappings are edited by supervisors."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from inventory.models import (
    MetricMapping,
    MetricSample,
    Resource,
    ResourceAddress,
    ResourceConnection,
    ResourceMetadata,
)

from . import factories as f

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _changelist(model) -> str:
    return reverse(f"admin:inventory_{model._meta.model_name}_changelist")


def _page(resource) -> str:
    return reverse("admin:inventory_resource_change", args=[resource.pk])


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _listed(html: str, resource) -> bool:
    return _page(resource) in html


@pytest.fixture
def server():
    source = f.InventorySourceFactory(name="alpha")
    return f.ResourceFactory(source=source, upstream_id="srv-1", name="web-1")


def test_the_list_filters_by_type_source_state_and_live_or_gone(as_role, server):
    client = as_role("readonly")
    other = f.InventorySourceFactory(name="beta")
    volume = f.ResourceFactory(source=other, type="volume", upstream_id="vol-1", name="disk-1", region="Asia")
    gone = f.ResourceFactory(
        source=server.source, upstream_id="srv-old", gone_at=f.BASE_TIME, gone_reason="deleted"
    )
    url = _changelist(Resource)
    html = _html(client.get(url))
    assert _listed(html, server) and _listed(html, volume) and not _listed(html, gone)  # live only by default
    html = _html(client.get(url, {"gone": "only"}))
    assert _listed(html, gone) and not _listed(html, server)
    html = _html(client.get(url, {"type": "volume"}))
    assert _listed(html, volume) and not _listed(html, server)
    html = _html(client.get(url, {"source": other.pk}))
    assert _listed(html, volume) and not _listed(html, server)
    html = _html(client.get(url, {"state": "running"}))
    assert _listed(html, server) and not _listed(html, volume)
    html = _html(client.get(url, {"region": "Asia"}))
    assert _listed(html, volume) and not _listed(html, server)
    html = _html(client.get(url, {"account": "account-1"}))
    assert _listed(html, volume) and _listed(html, server)


@pytest.mark.parametrize(
    "term,found",
    [("10.1.2.3", True), ("10.1.2", True), ("10.9.9.9", False), ("blue-team", True), ("blue", False)],
)
def test_search_by_ip_address_and_metadata_value(as_role, server, term, found):
    client = as_role("readonly")
    other = f.ResourceFactory(source=server.source, upstream_id="srv-2", name="db-1")
    f.ResourceAddressFactory(resource=server, ip_address="10.1.2.3")
    f.ResourceMetadataFactory(resource=server, key="team", value="blue-team")
    html = _html(client.get(_changelist(Resource), {"q": term}))
    assert _listed(html, server) is found
    assert not _listed(html, other)


def test_search_by_name_upstream_id_and_key(as_role, server):
    client = as_role("readonly")
    other = f.ResourceFactory(source=server.source, upstream_id="srv-2", name="db-1")
    for term in ("web", "srv-1", server.pk):
        html = _html(client.get(_changelist(Resource), {"q": term}))
        assert _listed(html, server) and not _listed(html, other), term


# The words each type's details must show (labels and units in words).
WORDS = {
    "appliance": ["Kind", "firewall"],
    "network": ["No details for this type."],
    "server": [
        "CPU cores",
        "CPU speed",
        "2.5 GHz",
        "Memory",
        "8 GiB",
        "100 GiB",
        "Ubuntu 16.04 LTS",
        "Virtual",
    ],
    "volume": ["Encrypted", "Yes", "IOPS", "3,000", "50 GiB", "eu-west-1a"],
    "service_offering": ["Kind", "database"],
    "compute_pool": ["10 GHz", "64 GiB", "931.32 GiB", "pool-tag-1"],
    "saas_user": ["Disk quota", "9.31 GiB", "user@example.com", "Active"],
    "colo_space": ["Power allocation", "4 kW", "Hall 2 / Row B", "ACME"],
    "circuit": ["Carrier", "NTT", "End A", "Paris DC1", "London DC2"],
}


@pytest.mark.parametrize("type_", sorted(WORDS))
def test_the_resource_page_shows_every_types_details_in_words(as_role, type_):
    resource = f.ResourceFactory(type=type_)
    html = _html(as_role("readonly").get(_page(resource)))
    for words in WORDS[type_]:
        assert words in html, (type_, words)
    # Locations level by level, the portal linked (http), first and last seen.
    for words in (
        "Site",
        "DC Paris 1 (loc-1)",
        "City",
        "Paris",
        "Country",
        "France (FR)",
        "Region",
        "Europe",
    ):
        assert words in html, words
    assert f'href="https://portal.example.com/{type_}/' in html
    assert "First seen" in html and "Last seen" in html


def test_connections_both_ways_with_dangling_ones_and_the_neighbourhood(as_role, server):
    disk = f.ResourceFactory(source=server.source, type="volume", upstream_id="vol-1", name="disk-1")
    net = f.ResourceFactory(source=server.source, type="network", upstream_id="net-1", name="lan-1")
    f.ResourceConnectionFactory(resource=server, to=disk, kind="volume")
    f.ResourceConnectionFactory(
        resource=server, target_type="volume", kind="volume", target_upstream_id="vol-ghost"
    )
    f.ResourceConnectionFactory(resource=net, to=server, kind="server")  # in: lan-1 -> web-1
    html = _html(as_role("readonly").get(_page(server)))
    assert f'href="{_page(disk)}"' in html and "disk-1" in html  # out, mirrored: linked
    assert "vol-ghost" in html and "(not listed by the source)" in html  # out, dangling
    assert (
        f'href="{reverse("admin:inventory_resource_change", args=[Resource.key(server.source_id, "volume", "vol-ghost")])}"'
        not in html
    )
    assert f'href="{_page(net)}"' in html and "lan-1" in html  # in
    svg = re.search(r'<svg class="ch-hood".*?</svg>', html, re.S).group(0)
    assert svg.count("<circle") == 4  # the centre and three neighbours
    assert "ch-dangling" in svg and f'href="{_page(disk)}"' in svg
    assert "<script" not in svg.lower()
    # And from the volume's side, the connection comes in.
    html = _html(as_role("supervisor").get(_page(disk)))
    assert f'href="{_page(server)}"' in html and "In: resources connected to this one" in html


def test_a_big_neighbourhood_is_capped_with_a_count_of_the_rest(as_role, server):
    for i in range(30):
        f.ResourceConnectionFactory(
            resource=server, target_type="volume", kind="volume", target_upstream_id=f"v{i}"
        )
    html = _html(as_role("readonly").get(_page(server)))
    svg = re.search(r'<svg class="ch-hood".*?</svg>', html, re.S).group(0)
    assert svg.count("<circle") == 25 and "+6 more" in svg


def test_upstream_text_is_escaped_everywhere_on_the_page(as_role):
    resource = f.ResourceFactory(
        name=SCRIPT,
        type="circuit",
        details={"type_id": SCRIPT, "carrier": SCRIPT},
        native_portal_link="javascript:alert(1)",
        locations=[{"city": {"name": SCRIPT}}],
    )
    f.ResourceMetadataFactory(resource=resource, namespace=SCRIPT, key=SCRIPT, value=SCRIPT)
    f.ResourceConnectionFactory(resource=resource, to=f.ResourceFactory(source=resource.source, name=SCRIPT))
    f.ResourceAddressFactory(resource=resource, description=SCRIPT)
    f.MetricSampleFactory(resource=resource, metric=SCRIPT, unit=SCRIPT)
    client = as_role("readonly")
    html = _html(client.get(_page(resource)))
    assert SCRIPT not in html and ESCAPED in html
    assert 'href="javascript:' not in html  # shown as text, not linked
    svg = re.search(r'<svg class="ch-hood".*?</svg>', html, re.S).group(0)
    assert "&lt;script&gt;" in svg and "<script" not in svg
    assert SCRIPT not in _html(client.get(_changelist(Resource)))


def test_the_metrics_chart(as_role, server):
    for i in range(10):
        f.MetricSampleFactory(
            resource=server, metric="cpu", time=f.BASE_TIME + timedelta(minutes=10 * i), value=float(i)
        )
    f.MetricSampleFactory(
        resource=server, metric="cpu", time=f.BASE_TIME - timedelta(days=3), value=999.0
    )  # older than 24 h
    html = _html(as_role("readonly").get(_page(server)))
    chart = re.search(r'<svg class="ch-chart"[^>]*><polyline points="([^"]+)"/></svg>', html)
    assert chart is not None
    assert len(chart.group(1).split()) == 10  # the last 24 h of samples
    assert '<span class="ch-latest">9</span> percent' in html
    assert "10 samples, 0 to 9 percent" in html


def test_the_child_and_metric_lists_render_and_search(as_role, server):
    client = as_role("readonly")
    address = f.ResourceAddressFactory(resource=server, ip_address="10.7.7.7")
    meta = f.ResourceMetadataFactory(resource=server, key="owner", value="ops")
    connection = f.ResourceConnectionFactory(resource=server, target_upstream_id="vol-x")
    f.MetricSampleFactory(resource=server, metric="ram")
    f.MetricMappingFactory(key="raw.cpu")
    for model, term, shown in (
        (ResourceAddress, "10.7.7.7", address.ip_address),
        (ResourceMetadata, "owner", meta.key),
        (ResourceConnection, connection.target_key, "vol-x"),
        (MetricSample, "ram", "ram"),
        (MetricMapping, "raw.cpu", "raw.cpu"),
    ):
        html = _html(client.get(_changelist(model), {"q": term}))
        assert shown in html, model
        assert _html(client.get(_changelist(model), {"q": "nothing-like-it"})).count(_page(server)) == 0


def test_anonymous_is_sent_to_log_in_and_a_staff_user_without_a_role_is_refused(client, as_role, server):
    r = client.get(_page(server))
    assert r.status_code == 302 and "/login/" in r["Location"]
    assert as_role(None).get(_page(server)).status_code == 403


def test_mirrors_are_read_only_even_for_supervisors(as_role, server):
    client = as_role("supervisor")
    html = _html(client.get(_page(server)))
    assert 'name="_save"' not in html
    assert client.get(reverse("admin:inventory_resource_add")).status_code == 403
    assert (
        client.post(reverse("admin:inventory_resource_delete", args=[server.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert Resource.objects.filter(pk=server.pk).exists()


def test_metric_mappings_are_edited_by_supervisors_only(as_role):
    mapping = f.MetricMappingFactory(key="raw.ram", name="ram")
    url = reverse("admin:inventory_metricmapping_change", args=[mapping.pk])
    data = {
        "key": "raw.ram",
        "name": "memory",
        "unit": "GiB",
        "specialisation": "",
        "conversion_expr": "value / 1024",
    }
    readonly = as_role("readonly")
    assert readonly.post(url, data).status_code == 403
    mapping.refresh_from_db()
    assert mapping.name == "ram"
    supervisor = as_role("supervisor")
    r = supervisor.post(url, data)
    assert r.status_code == 302, r.content[:300]
    mapping.refresh_from_db()
    assert mapping.name == "memory" and mapping.conversion_expr == "value / 1024"
