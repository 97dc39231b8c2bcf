"""The mirror row an action leaves is the row a sync writes: after each action, the stream that
reads its object finds nothing to rewrite (against the sandbox over real HTTP). And the
write-back's own rules: a file keeps the records stream's markers and leaves out the detail's
signed links; records keep their exact Decimal values."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from channelhub.actions.sender import send_action
from channelhub.models import ActionStatus, SyncRunStatus
from channelhub.sync.engine import run_stream
from channelhub.sync.upsert import canonical_json, digest
from tests.usage.factories import UsageFileFactory, UsageRecordFactory
from usage import mappers, services
from usage.models import BillingRequest, RecurringAsset, UsageChunk, UsageFile, UsageRecord
from usage.services import writeback

pytestmark = pytest.mark.django_db(transaction=True)

ORDER = (
    "connect.listings",
    "connect.usage-files",
    "connect.usage-records",
    "connect.usage-chunks",
    "connect.subscription-assets",
    "connect.billing-requests",
)


def run(name: str):
    result = run_stream(name)
    assert result.status == SyncRunStatus.SUCCEEDED, result.error
    return result


def control(sandbox, method: str, what: str, body=None):
    response = requests.request(method, f"{sandbox.url}/_sandbox/{what}", json=body, timeout=30)
    response.raise_for_status()


@pytest.fixture
def synced(connect_settings, settings):
    """The sandbox mirrored by the streams themselves."""
    settings.ACTION_RETRY_BACKOFF = 0
    control(connect_settings, "POST", "usage", {"processing_seconds": 0})
    for name in ORDER:
        run(name)
    return connect_settings


@pytest.fixture
def supervisor(db):
    u = get_user_model().objects.create_user(username="supervisor-m", password="x" * 12, is_staff=True)
    u.groups.add(Group.objects.get(name="supervisor"))
    return get_user_model().objects.get(pk=u.pk)


def sent(action):
    done = send_action(action.pk)
    assert done is not None and done.status == ActionStatus.SUCCEEDED, done and done.last_error
    return done


def row(model, pk) -> dict:
    """Every column of a mirrored row but the sync time."""
    values = model.objects.filter(pk=pk).values().get()
    values.pop("synced_at")
    return values


# --- against the sandbox: the stream finds nothing to rewrite ------------------------------------


def test_a_file_action_leaves_the_row_the_files_stream_writes(synced, supervisor):
    pending = UsageFile.objects.filter(status="pending", records_valid__gt=0).order_by("pk").first()
    assert pending is not None and pending.records_pulled_for, "the sandbox seeds pending files with records"
    markers = (pending.records_pulled_for, pending.records_pulled_upload)
    sent(services.usage_file_accept(usage_file=pending, note="fine", actor=supervisor))
    after = UsageFile.objects.get(pk=pending.pk)
    assert (after.status, after.acceptance_note) == ("accepted", "fine")
    assert (after.records_pulled_for, after.records_pulled_upload) == markers  # the records stream's
    assert "processed_file_uri" not in after.payload and "usage_file_uri" not in after.payload
    written = row(UsageFile, pending.pk)
    files = run("connect.usage-files")
    assert files.updated == 0 and files.created == 0  # the write-back's row and digest are the sync's
    assert row(UsageFile, pending.pk) == written
    # the file moved (accepted): its records are pulled once more, for the new state
    assert run("connect.usage-records").fetched == after.records_valid + after.records_invalid


def test_record_closes_leave_the_rows_the_records_stream_writes(synced, supervisor):
    accepted = next(
        f
        for f in UsageFile.objects.filter(status="accepted").order_by("pk")
        if f.usage_records.filter(status="approved").count() >= 3
    )
    one, *two = accepted.usage_records.filter(status="approved").order_by("pk")[:3]
    usage_before = {r.pk: (r.usage, r.amount) for r in (one, *two)}
    sent(services.usage_record_close(record=one, billing_id="INV-1", note="March", actor=supervisor))
    bulk = sent(
        services.usage_file_close_records(
            usage_file=accepted, billing_id="INV-{record}", record_ids=[r.pk for r in two], actor=supervisor
        )
    )
    assert "records" not in bulk.response  # the records went into the mirror, not the response
    assert [r["closed"] for r in bulk.response["results"]] == [True, True]
    closed = UsageRecord.objects.filter(pk__in=usage_before).order_by("pk")
    assert [r.status for r in closed] == ["closed"] * 3
    assert {r.pk: (r.usage, r.amount) for r in closed} == usage_before  # exact, Decimal
    assert all(isinstance(r.usage, Decimal) for r in closed)
    assert UsageRecord.objects.get(pk=two[0].pk).external_billing_id == f"INV-{two[0].pk}"
    written = {pk: row(UsageRecord, pk) for pk in usage_before}
    run("connect.usage-files")  # the file's closed counter moved upstream: its records are due
    records = run("connect.usage-records")
    assert records.fetched >= 3 and (records.created, records.updated) == (0, 0)
    assert {pk: row(UsageRecord, pk) for pk in usage_before} == written


def test_a_chunk_close_leaves_the_row_the_chunks_stream_writes(synced, supervisor):
    chunk = UsageChunk.objects.filter(status="ready").order_by("pk").first()
    assert chunk is not None
    sent(services.usage_chunk_close(chunk=chunk, billing_id="HUB-INV-9", actor=supervisor))
    assert UsageChunk.objects.get(pk=chunk.pk).status == "closed"
    chunks = run("connect.usage-chunks")
    assert (chunks.created, chunks.updated) == (0, 0)


def test_billing_request_actions_leave_the_rows_the_billing_stream_writes(synced, supervisor):
    asset = RecurringAsset.objects.filter(status="active").order_by("pk").first()
    start, end = datetime(2032, 1, 1, tzinfo=UTC), datetime(2032, 2, 1, tzinfo=UTC)
    created = sent(
        services.billing_request_create(
            asset=asset, type="vendor", period_from=start, period_to=end, actor=supervisor
        )
    )
    made = BillingRequest.objects.get(pk=created.response["id"])
    assert (made.asset_id, made.period_from) == (asset.pk, start)
    sent(
        services.billing_request_update_attributes(
            billing_request=made, attributes={"vendor": {"invoice": "INV-2032-01"}}, actor=supervisor
        )
    )
    assert BillingRequest.objects.get(pk=made.pk).attributes["vendor"] == {"invoice": "INV-2032-01"}
    requests_run = run("connect.billing-requests")
    assert requests_run.fetched >= 1 and (requests_run.created, requests_run.updated) == (0, 0)


# --- the write-back's own rules -------------------------------------------------------------


def test_a_file_write_back_keeps_the_markers_and_drops_the_links(db):
    usage_file = UsageFileFactory(
        status="pending", records_pulled_for="d" * 32, records_pulled_upload="2024-03-01T10:00:00+00:00"
    )
    detail = {
        **usage_file.payload,
        "status": "accepted",
        "acceptance_note": "ok",
        "usage_file_uri": "https://example.com/signed?x=1",
        "processed_file_uri": "https://example.com/signed?x=2",
        "_report": {"id": 7},
    }
    written = writeback.write_file(detail)
    assert (written.status, written.acceptance_note) == ("accepted", "ok")
    assert (written.records_pulled_for, written.records_pulled_upload) == (
        "d" * 32,
        "2024-03-01T10:00:00+00:00",
    )
    listed = {k: v for k, v in detail.items() if not k.endswith("_file_uri") and k != "_report"}
    assert written.payload == listed and written.payload_hash == digest(canonical_json(listed))
    # every typed column is the mapper's
    for name, value in mappers.map_usage_file(listed).items():
        assert getattr(written, name) == value, name


def test_a_record_write_back_is_the_mapper_row_and_keeps_decimals_exact(db):
    record = UsageRecordFactory(record_status="approved", usage="12345678.12345678")
    closed = writeback.stored(
        {
            **record.payload,
            "status": "closed",
            "usage": Decimal("12345678.12345678"),
            "amount": Decimal("0.10"),
            "external_billing_id": "INV-3",
            "closed_at": "2024-03-05T10:00:00+00:00",
        }
    )
    assert closed["usage"] == "12345678.12345678"  # stored form: exact text, JSON-safe
    written = writeback.write_record(closed)
    assert (written.status, written.external_billing_id) == ("closed", "INV-3")
    # The payload keeps Connect's digits and maps back to them; the column holds them on
    # PostgreSQL (SQLite's NUMERIC affinity keeps 15 significant digits, so only those here).
    assert written.payload["usage"] == "12345678.12345678"
    assert mappers.map_usage_record(written.payload)["usage"] == Decimal("12345678.12345678")
    assert abs(written.usage - Decimal("12345678.12345678")) < Decimal("0.0000001")
    assert written.amount == Decimal("0.10") and isinstance(written.amount, Decimal)
    assert written.payload_hash == digest(canonical_json(closed))
    assert writeback.write_records([{"status": "closed"}, closed]) == 1  # one without an id is skipped
