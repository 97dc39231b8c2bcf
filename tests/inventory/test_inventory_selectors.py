"""The resource page's reads (inventory.selectors) and words (inventory.display): bounded
connections both ways, the neighbourhood's layout, metric series, units in words, safe links."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inventory import display, selectors

from . import factories as f

pytestmark = pytest.mark.django_db


def test_connections_out_say_which_targets_are_mirrored_and_stop_at_the_limit():
    server = f.ResourceFactory(upstream_id="srv")
    disk = f.ResourceFactory(source=server.source, type="volume", upstream_id="d1", name="disk")
    f.ResourceConnectionFactory(resource=server, to=disk)
    for i in range(4):
        f.ResourceConnectionFactory(resource=server, target_type="volume", target_upstream_id=f"x{i}")
    out = selectors.connections_out(resource=server, limit=3)
    assert len(out["rows"]) == 3 and out["more"] is True
    full = selectors.connections_out(resource=server)
    mirrored = [r for r in full["rows"] if r["target"]]
    assert [r["target"]["name"] for r in mirrored] == ["disk"] and full["more"] is False
    into = selectors.connections_in(resource=disk)
    assert [r["key"] for r in into["rows"]] == [server.pk] and into["more"] is False


def test_neighbourhood_places_each_neighbour_once_and_counts_the_rest(django_assert_max_num_queries):
    server = f.ResourceFactory(upstream_id="srv")
    disk = f.ResourceFactory(source=server.source, type="volume", upstream_id="d1")
    f.ResourceConnectionFactory(resource=server, to=disk, kind="volume")
    f.ResourceConnectionFactory(resource=disk, to=server, kind="server")  # both ways: one node
    f.ResourceConnectionFactory(resource=server, to=server, kind="server")  # a self-loop: not a neighbour
    for i in range(30):
        f.ResourceConnectionFactory(
            resource=server, target_type="network", kind="network", target_upstream_id=f"n{i}"
        )
    with django_assert_max_num_queries(3):
        hood = selectors.neighbourhood(resource=server, cap=24)
    assert len(hood["nodes"]) == 24 and hood["total"] == 31 and hood["more"] == 7
    node = next(n for n in hood["nodes"] if n["key"] == disk.pk)
    assert node["out"] and node["in"] and node["mirrored"]
    for n in hood["nodes"]:
        assert 0 <= n["x"] <= hood["size"] and 0 <= n["y"] <= hood["size"]


def test_metrics_series_is_the_last_day_of_each_metric_capped():
    r = f.ResourceFactory()
    t = f.BASE_TIME
    for i in range(5):
        f.MetricSampleFactory(resource=r, metric="cpu", time=t + timedelta(hours=i), value=float(i))
    f.MetricSampleFactory(resource=r, metric="cpu", time=t - timedelta(days=2), value=100.0)
    f.MetricSampleFactory(resource=r, metric="ram", time=t, value=None, unit="GiB")
    series = {s["metric"]: s for s in selectors.metrics_series(resource=r, samples=4)}
    assert series["cpu"]["count"] == 4 and series["cpu"]["latest"] == "4" and series["cpu"]["low"] == "1"
    assert series["ram"]["points"] == "" and series["ram"]["unit"] == "GiB"
    assert len(selectors.metrics_series(resource=r, metrics=1)) == 1


def test_resource_detail_reads_everything_the_page_shows():
    r = f.ResourceFactory(type="volume")
    f.ResourceMetadataFactory(resource=r, namespace="default", key="owner", value="ops")
    f.ResourceMetadataFactory(resource=r, namespace="provider_metadata", key="tags", value={"env": "prod"})
    detail = selectors.resource_detail(resource=r)
    assert detail["type_words"] == "Volume"
    assert ("Size", "50 GiB") in detail["detail_rows"] and ("Encrypted", "Yes") in detail["detail_rows"]
    assert detail["metadata"] == [
        ("default", [("owner", "ops")]),
        ("provider_metadata", [("tags", '{"env": "prod"}')]),
    ]
    assert detail["portal_link"].startswith("https://portal.example.com/")
    assert detail["seen_at"] == r.source.last_complete_at


@pytest.mark.parametrize(
    "value,words",
    [
        (8589934592, "8 GiB"),
        (53687091200, "50 GiB"),
        (1000000000000, "931.32 GiB"),
        (512, "512 B"),
        (2**41, "2 TiB"),
    ],
)
def test_bytes_in_words(value, words):
    assert display.bytes_words(value) == words


def test_other_units_and_unknown_values_in_words():
    assert display.hz_words(2500000000) == "2.5 GHz" and display.hz_words(800000000) == "800 MHz"
    assert display.watts_words(4000) == "4 kW" and display.watts_words(350) == "350 W"
    assert display.value_words(None) == "—" and display.value_words(True, "yesno") == "Yes"
    assert display.bytes_words("lots") == "lots"  # upstream drift: shown as given
    assert display.detail_rows({"new_key": 3}) == [("New key", "3")]


@pytest.mark.parametrize(
    "url,safe",
    [
        ("https://portal.example.com/x", True),
        ("http://portal.example.com/x", True),
        ("javascript:alert(1)", False),
        ("data:text/html,x", False),
        (" https://portal.example.com/x", False),
        ("https:///nohost", False),
        ("//portal.example.com/x", False),
    ],
)
def test_only_http_links_are_linked(url, safe):
    assert (display.safe_link(url) == url) is safe


def test_locations_in_words_level_by_level_and_a_legacy_region():
    rows = display.location_rows([f.PARIS, {"id": "region-1"}])
    assert rows[0][:2] == [("Site", "DC Paris 1 (loc-1)"), ("City", "Paris")]
    assert ("Owned by", "provider") in rows[0]
    assert rows[1] == [("Region", "region-1")]
