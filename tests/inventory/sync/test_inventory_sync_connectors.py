"""Real connector modules written with nflex-connector-utils (every resource type, and the
library's full example) through a pass into the mirror and out of the read API (issue 13)."""

from __future__ import annotations

import pytest

from channelhub.models import SyncRunStatus
from inventory.models import InventorySource, Resource, ResourceConnection, ResourceMetadata, SourceKind

from .helpers import run_pass

pytestmark = pytest.mark.django_db

TYPES = {
    "appliance",
    "network",
    "server",
    "volume",
    "service_offering",
    "compute_pool",
    "saas_user",
    "colo_space",
    "circuit",
}


def _source(module: str, name: str) -> InventorySource:
    return InventorySource.objects.create(name=name, kind=SourceKind.CONNECTOR, parameters={"module": module})


@pytest.mark.parametrize(
    ("module", "types"),
    [
        ("tests.inventory.connectors.modules.all_types", TYPES),
        ("tests.inventory.connectors.modules.library_example", {"appliance", "network", "server", "volume"}),
    ],
    ids=["all-types", "library-example"],
)
def test_a_library_connector_round_trips_through_the_mirror_and_the_api(module, types, api):
    source = _source(module, module.rsplit(".", 1)[1].replace("_", "-"))
    run = run_pass(source)
    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    rows = Resource.objects.filter(source=source)
    assert types <= set(rows.values_list("type", flat=True))
    body = api.get(f"/api/v1/inventory/resources?eq(source,{source.name})&limit=100").json()
    served = {(r["type"], r["upstream_id"]) for r in body}
    assert served == set(rows.values_list("type", "upstream_id"))
    for item in body:
        row = rows.get(type=item["type"], upstream_id=item["upstream_id"])
        assert item["name"] == row.name and item["details"] == row.details
        assert item["metadata"] == row.payload.get("metadata", {})
    assert ResourceMetadata.objects.filter(resource__in=rows).exists()
    assert ResourceConnection.objects.filter(resource__in=rows).exists()
    again = run_pass(source)  # serialize() stamps last_seen_at anew: still unchanged
    assert (again.created, again.updated) == (0, 0)


def test_a_connector_that_hangs_or_crashes_fails_the_pass_and_marks_nothing(tmp_path):
    from .helpers import file_source, resource, write_feed  # noqa: PLC0415 - only here

    path = tmp_path / "feed.json"
    write_feed(path, [resource(n) for n in range(3)])
    source = file_source(path)
    run_pass(source)
    source.time_limit = 2
    for how in ("hang", "crash"):
        source.parameters["parameters"] = {"path": str(path), how: True}
        source.save()
        run = run_pass(source)
        assert run.status == SyncRunStatus.FAILED
        assert source.status == "failed" and source.last_error, how
        assert Resource.objects.filter(source=source, gone_at__isnull=True).count() == 3
