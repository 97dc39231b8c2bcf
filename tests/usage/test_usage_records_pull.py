"""Pulling a file's records fast (bench/usage_pull.py): the sandbox answers the keyset page from
one index range; the stream reads one page ahead, yet requests no page more than before and
surfaces the reader's errors; the mapper's short ways give what the general coercions give."""

import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests

from channelhub.models import SyncRunStatus
from channelhub.sandbox import rql as sandbox_rql
from channelhub.sync.coerce import parse_time
from channelhub.sync.engine import run_stream
from tests.channelhub.sync.helpers import control, sandbox_log
from tests.usage.sandbox.usage_workbooks import (
    BOTH,
    active_asset,
    create_file,
    good_rows,
    set_delay,
    upload,
    workbook,
)
from usage import mappers
from usage.models import UsageFile, UsageRecord


def _ready_file(sandbox, n: int) -> str:
    set_delay(sandbox, 0)
    asset = active_asset(sandbox)
    doc = create_file(sandbox, asset)
    assert upload(sandbox, doc["id"], workbook(good_rows(sandbox, asset, n))).status_code == 201
    requests.get(
        f"{sandbox.connect_url}/usage/files/{doc['id']}", headers=BOTH, timeout=30
    ).raise_for_status()
    return doc["id"]


def test_the_keyset_page_is_one_index_range_without_a_sort(sandbox):
    query = sandbox_rql.parse("and(eq(usagefile.id,UF-1),gt(id,UR-1))&ordering(id)&limit=1000")
    with sandbox.app.store.session() as session:
        plan = " ".join(session.explain("usage_records", query))
    assert "ix_usage_records_usagefile_id_ident" in plan, plan
    assert "TEMP B-TREE" not in plan and "json_extract" not in plan, plan  # no sort, no parse of docs


def test_keyset_pages_list_a_files_records_once_in_id_order(sandbox):
    file_id = _ready_file(sandbox, 7)
    seen, after = [], ""
    while True:
        filters = (
            f"and(eq(usagefile.id,{file_id}),gt(id,{after}))" if after else f"eq(usagefile.id,{file_id})"
        )
        page = requests.get(
            f"{sandbox.connect_url}/usage/records?{filters}&ordering(id)&limit=3", headers=BOTH, timeout=30
        ).json()
        seen += [r["id"] for r in page]
        if len(page) < 3:
            break
        after = page[-1]["id"]
    assert len(seen) == 7 and seen == sorted(seen) and len(set(seen)) == 7
    assert (
        requests.get(
            f"{sandbox.connect_url}/usage/records?eq(usagefile.id,{file_id})&ordering(-id)&limit=7",
            headers=BOTH,
            timeout=30,
        ).json()[0]["id"]
        == seen[-1]
    )


@pytest.mark.django_db(transaction=True)
def test_reading_ahead_requests_no_page_more(connect_settings):
    file_id = _ready_file(connect_settings, 5)
    assert run_stream("connect.usage-files").status == SyncRunStatus.SUCCEEDED
    others = UsageFile.objects.exclude(pk=file_id)
    from usage.streams.records import file_state  # noqa: PLC0415 - imports models: inside the test

    for usage_file in others:  # only the new file is due
        UsageFile.objects.filter(pk=usage_file.pk).update(records_pulled_for=file_state(usage_file)[0])
    control(connect_settings, "DELETE", "log")
    result = run_stream("connect.usage-records", page_size=2)
    assert result.status == SyncRunStatus.SUCCEEDED, result.error
    assert (result.created, result.pages) == (5, 3)
    reads = [e for e in sandbox_log(connect_settings) if "/usage/records" in str(e)]
    assert len(reads) == 3  # 2 + 2 + 1: the short page ends the file, nothing is read after it
    assert UsageRecord.objects.filter(usage_file_id=file_id).count() == 5


@pytest.mark.django_db(transaction=True)
def test_an_error_of_the_page_read_ahead_fails_the_run_and_leaves_no_thread(connect_settings, settings):
    assert run_stream("connect.usage-files").status == SyncRunStatus.SUCCEEDED
    settings.UPSTREAM_MAX_RETRIES = 0
    control(connect_settings, "POST", "faults", {"next": ["503"], "path": "/usage/records"})
    failed = run_stream("connect.usage-records", page_size=2)
    control(connect_settings, "DELETE", "faults")
    assert failed.status == SyncRunStatus.FAILED and "503" in failed.error
    assert (failed.pages, UsageRecord.objects.count()) == (0, 0)
    assert not [t for t in threading.enumerate() if t.name.startswith("usage-records")]


@pytest.mark.parametrize(
    "value",
    [
        "2024-05-16T07:00:00+00:00",
        "2024-05-16T07:00:00Z",
        "2024-05-16T07:00:00z",
        "2024-05-16T07:00:00.123456789Z",
        "2024-05-16T07:00:00.5+02:00",
        " 2024-05-16T07:00:00+00:00 ",
        "2024-05-16 07:00:00",
        "2024-05-16",
        "16/05/2024",
        "",
        None,
        17,
    ],
)
def test_record_time_is_parse_time(value):
    assert mappers.record_time(value) == parse_time(value)
    if mappers.record_time(value) is not None:
        assert mappers.record_time(value).tzinfo is not None


@pytest.mark.parametrize(
    "value",
    [Decimal("12345678.12345678"), Decimal("NaN"), Decimal("Infinity"), "1.5", 2, 0.1, None, True, ""],
)
def test_record_number_is_as_decimal(value):
    got, want = mappers.record_number(value), mappers.as_decimal(value)
    assert (got, type(got)) == (want, type(want)) or (got is None and want is None)


def test_a_record_maps_the_same_with_an_int_tier_or_another():
    base = {"id": "UR-1", "tier": 3, "start_date": "2024-05-16T07:00:00+00:00", "usage": Decimal("1.5")}
    assert mappers.map_usage_record(base)["tier"] == 3
    assert mappers.map_usage_record({**base, "tier": "3"})["tier"] == 3
    assert mappers.map_usage_record({**base, "tier": True})["tier"] is None
    assert mappers.map_usage_record({**base, "tier": 40000})["tier"] is None
    assert mappers.map_usage_record(base)["start_date"] == datetime(2024, 5, 16, 7, tzinfo=UTC)
