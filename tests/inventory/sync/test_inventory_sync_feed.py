"""Passes through the sandbox's CMP feed (issue 13, "Tests and figures"): the first pass equals
the feed, churn arrives, what vanished is gone and what came back is live, failures mark
nothing, faults converge, two sources with the same upstream ids stay apart."""

from __future__ import annotations

import pytest
import requests
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channelhub.models import GoneReason, SyncRunStatus
from inventory.models import Resource, ResourceAddress, ResourceConnection, ResourceMetadata, SourceStatus

from .helpers import feed, feed_keys, http_source, knobs, live_keys, run_pass, sandbox_source

pytestmark = pytest.mark.django_db


@pytest.fixture
def cmp(sandbox, settings):
    settings.UPSTREAM_BACKOFF = 0.01
    settings.UPSTREAM_TIMEOUT = 5
    return sandbox


def _children_of_feed(items: list[dict]) -> tuple[int, int, int]:
    metadata = sum(len(values) for item in items for values in item.get("metadata", {}).values())
    addresses = sum(
        1
        for item in items
        for entry in item.get("details", {}).get(item["type"], {}).get("ip_addresses", []) or []
        if entry
    )
    connections = len(
        {
            (item["id"], kind, t["id"])
            for item in items
            for kind, ts in item.get("connections", {}).items()
            for t in ts
        }
    )
    return metadata, addresses, connections


@pytest.mark.parametrize("make", [sandbox_source, http_source], ids=["connector", "http"])
def test_the_first_pass_equals_the_feed(cmp, make):
    source = make(cmp)
    run = run_pass(source)
    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    items = feed(cmp)
    assert live_keys(source) == feed_keys(items)
    assert run.created == len(items) and source.status == SourceStatus.OK
    assert {r["type"] for r in items} >= {"server", "volume", "network", "appliance", "circuit", "saas_user"}
    for item in items:
        row = Resource.objects.get(source=source, type=item["type"], upstream_id=item["id"])
        assert row.name == (item["base"]["name"] or "")
        assert "last_seen_at" not in row.payload["base"]
        details = item.get("details", {}).get(item["type"], {})
        if item["type"] == "server":
            assert (row.cpu_cores, row.ram_b, row.state) == (
                details["cpu_cores"],
                details["ram_b"],
                details["state"],
            )
        if item["type"] == "volume":
            assert (row.size_b, row.encrypted) == (details["size_b"], details["encrypted"])
    metadata, addresses, connections = _children_of_feed(items)
    rows = Resource.objects.filter(source=source)
    assert ResourceMetadata.objects.filter(resource__in=rows).count() == metadata
    assert ResourceAddress.objects.filter(resource__in=rows).count() == addresses
    assert ResourceConnection.objects.filter(resource__in=rows).count() == connections


def _snapshot(source):
    rows = Resource.objects.filter(source=source)
    return (
        sorted(rows.values_list("pk", "synced_at", "last_seen_at", "gone_at", "payload_hash")),
        sorted(ResourceMetadata.objects.filter(resource__in=rows).values_list("pk", "synced_at")),
        sorted(ResourceAddress.objects.filter(resource__in=rows).values_list("pk", "synced_at")),
        sorted(ResourceConnection.objects.filter(resource__in=rows).values_list("pk", "synced_at")),
    )


def test_a_pass_where_nothing_changed_writes_no_resource_row(cmp):
    source = sandbox_source(cmp)
    first = run_pass(source)
    before = _snapshot(source)
    with CaptureQueriesContext(connection) as queries:
        second = run_pass(source)
    assert second.status == SyncRunStatus.SUCCEEDED
    assert (second.created, second.updated, second.unchanged) == (0, 0, first.created)
    inserts = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "DELETE")) and '"inventory_resource' in q["sql"]
    ]
    assert inserts == []  # neither the resources nor their child rows
    assert _snapshot(source) == before  # and no UPDATE touched one


def test_churn_arrives_vanished_resources_are_gone_and_counted(cmp):
    source = sandbox_source(cmp)
    run_pass(source)
    first_pass_at = source.last_complete_at
    before = feed_keys(feed(cmp))
    knobs(
        cmp,
        vanish={"account": "acc-1", "count": 3},
        appear={"account": "acc-1", "count": 2},
        change={"account": "acc-1", "count": 2},
    )
    after_items = feed(cmp)
    after = feed_keys(after_items)
    run = run_pass(source)
    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    assert live_keys(source) == after
    vanished = before - after
    assert len(vanished) == 3 and len(after - before) == 2
    for type_, uid in vanished:
        row = Resource.objects.get(source=source, type=type_, upstream_id=uid)
        assert row.gone_at is not None and row.gone_reason == GoneReason.DELETED
        assert row.last_seen_at == first_pass_at  # last seen by the pass before it vanished
    assert run.created == 2 and run.updated >= 2
    assert source.last_counts["gone"] == 3


def test_two_sources_with_the_same_upstream_ids_stay_apart(cmp):
    one, two = sandbox_source(cmp, "one", "acc-1"), sandbox_source(cmp, "two", "acc-2")
    run_pass(one), run_pass(two)
    shared = live_keys(one) & live_keys(two)
    assert shared, "the feed's accounts share ids"
    type_, uid = sorted(shared)[0]
    a = Resource.objects.get(source=one, type=type_, upstream_id=uid)
    b = Resource.objects.get(source=two, type=type_, upstream_id=uid)
    assert a.pk != b.pk and a.payload != b.payload
    knobs(cmp, vanish={"account": "acc-1", "count": 2})
    run_pass(one), run_pass(two)
    assert Resource.objects.filter(source=two, gone_at__isnull=False).count() == 0
    assert Resource.objects.filter(source=one, gone_at__isnull=False).count() == 2
    assert live_keys(two) == feed_keys(feed(cmp, "acc-2"))


@pytest.mark.parametrize(
    ("token", "status", "words"),
    [
        ("wrong-token", SourceStatus.INVALID_CREDENTIALS, "Invalid credentials"),
        ("sandbox-cmp-limited", SourceStatus.INSUFFICIENT_PERMISSION, "Insufficient permission"),
    ],
)
@pytest.mark.parametrize("make", [sandbox_source, http_source], ids=["connector", "http"])
def test_refused_credentials_become_the_status_and_mark_nothing(cmp, make, token, status, words):
    source = make(cmp)
    run_pass(source)
    live = len(live_keys(source))
    params = source.parameters
    if "token" in params.get("credentials", {}):
        params["credentials"]["token"] = token
    else:
        params["credentials"]["auth_value"] = f"Bearer {token}"
    source.parameters = params
    source.save()
    run = run_pass(source)
    assert run.status == SyncRunStatus.FAILED
    assert source.status == status and words.lower() in source.last_error.lower()
    assert len(live_keys(source)) == live
    assert token not in run.error and token not in source.last_error and token not in source.last_traceback


def test_faults_converge_to_the_feed_exactly(cmp):
    source = http_source(cmp, per_page=10)
    requests.post(
        f"{cmp.url}/_sandbox/faults",
        json={"rate": 0.3, "kinds": ["500", "503", "429", "reset"], "path": "^/cmp/", "retry_after": 0},
        timeout=10,
    ).raise_for_status()
    knobs(cmp, vanish={"account": "acc-1", "count": 2})
    for _ in range(5):
        if run_pass(source).status == SyncRunStatus.SUCCEEDED:
            break
    requests.delete(f"{cmp.url}/_sandbox/faults", timeout=10).raise_for_status()
    run_pass(source)
    assert live_keys(source) == feed_keys(feed(cmp))
    connector = sandbox_source(cmp, "conn")
    requests.post(
        f"{cmp.url}/_sandbox/faults",
        json={"next": ["500"], "path": "^/cmp/api/accounts/acc-1/resources"},
        timeout=10,
    ).raise_for_status()
    failed = run_pass(connector)
    assert (
        failed.status == SyncRunStatus.FAILED and "500" in connector.last_error
    )  # the demo connector does not retry
    assert Resource.objects.filter(source=connector).count() == 0
    assert run_pass(connector).status == SyncRunStatus.SUCCEEDED
    assert live_keys(connector) == feed_keys(feed(cmp))


def test_the_feed_failing_as_garbage_is_a_failed_pass(cmp):
    source = http_source(cmp)
    source.parameters["url"] = f"{cmp.cmp_url}/accounts"  # a list, but of accounts: no base
    source.save()
    run = run_pass(source)
    source.refresh_from_db()
    assert run.status == SyncRunStatus.FAILED
    assert source.status == SourceStatus.FAILED and "not a resource" in source.last_error
