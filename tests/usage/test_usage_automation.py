"""The shipped usage processor (`usage.acceptance_band`) against the sandbox, over HTTP.

The test plays the vendor in the sandbox (creates, uploads and submits files; the provider
accepts last period's) and channelhub the provider: the sync brings the files and their records
in, the processor decides, the outbox sends. Amounts are chosen per test, so the band's
arithmetic is checked against known totals.
"""

from __future__ import annotations

import io
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
import requests
from django.urls import reverse
from openpyxl import Workbook

from channelhub.actions.sender import send_due
from channelhub.automation.runner import run_due
from channelhub.automation.selectors import dry_run_summary
from channelhub.automation.services import processor_enable
from channelhub.models import ActionStatus, AuditEvent, AutomationTask, TaskStatus, UpstreamAction
from channelhub.services import ServiceError
from channelhub.sync.engine import run_stream
from usage import services
from usage.automation.views import UsageFileView
from usage.models import AcceptanceBand, UsageFile

pytestmark = pytest.mark.django_db

BAND = "usage.acceptance_band"
HEADERS = {"Authorization": "ApiKey SU-000-000-000:sandbox"}
COLUMNS = (
    "record_id", "record_note", "item_search_criteria", "item_search_value", "asset_search_criteria",
    "asset_search_value", "start_time_utc", "end_time_utc", "category_id", "quantity", "amount", "tier",
)  # fmt: skip
PREVIOUS, CURRENT, LATER = (2025, 6), (2025, 7), (2025, 9)  # after every seeded asset was created


# --- the sandbox, as the vendor and over HTTP -----------------------------------------------


def api(sandbox, method: str, path: str, **kwargs):
    response = requests.request(method, f"{sandbox.connect_url}{path}", headers=HEADERS, timeout=30, **kwargs)
    assert response.status_code < 400, (path, response.status_code, response.text)
    return response.json() if response.content else None


def month(year: int, number: int) -> dict:
    start = date(year, number, 1)
    end = date(year + (number == 12), number % 12 + 1, 1) - timedelta(days=1)
    return {"from": start.isoformat(), "to": end.isoformat()}


def workbook(base: dict, period: dict, amounts) -> bytes:
    """The template's `records` sheet: one record per amount, of the base record's item and asset
    (quantity and amount alike, so the total is the same whichever the schema counts)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "records"
    sheet.append(COLUMNS)
    start = date.fromisoformat(period["from"])
    for n, amount in enumerate(amounts, start=1):
        day = start + timedelta(days=n)
        sheet.append(
            [
                f"r-{n}", "", "item.mpn", base["item"]["mpn"], "asset.id", base["asset"]["id"],
                f"{day} 00:00:00", f"{day} 10:00:00", None, str(amount), str(amount), 0,
            ]
        )  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def vendor_file(
    sandbox, base: dict, when: tuple[int, int], amounts, *, accept: bool = False, submit: bool = True
) -> str:
    """A file of the base record's contract and product for month `when`, uploaded with these
    amounts and submitted (pending; left ready when not `submit`); accepted by the provider too
    when `accept`. Its id."""
    period = month(*when)
    doc = api(
        sandbox,
        "POST",
        "/usage/files",
        json={
            "name": f"test {period['from'][:7]}",
            "period": period,
            "product": {"id": base["product_id"]},
            "contract": {"id": base["contract_id"]},
            "external_id": f"test {period['from']} {time.monotonic_ns()}",
        },
    )
    api(
        sandbox,
        "POST",
        f"/usage/files/{doc['id']}/upload",
        files={"usage_file": ("u.xlsx", workbook(base, period, amounts))},
    )
    deadline = time.monotonic() + 10
    while (status := api(sandbox, "GET", f"/usage/files/{doc['id']}")["status"]) != "ready":
        assert status in ("uploading", "uploaded", "processing") and time.monotonic() < deadline, status
        time.sleep(0.05)
    if not submit:
        return doc["id"]
    api(sandbox, "POST", f"/usage/files/{doc['id']}/submit", json={})
    if accept:
        api(sandbox, "POST", f"/usage/files/{doc['id']}/accept", json={"acceptance_note": "fine"})
    return doc["id"]


def sync() -> None:
    for name in ("connect.usage-files", "connect.usage-records"):
        run = run_stream(name)
        assert run.status == "succeeded", (name, run.error)


def drain() -> None:
    for _ in range(10):
        send_due()
        if not UpstreamAction.objects.filter(status__in=ActionStatus.OPEN_STATES).exists():
            return
    raise AssertionError("actions still open after draining")


def tasks_of(file_id: str):
    return AutomationTask.objects.filter(processor=BAND, target_id=file_id)


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def usage_world(connect_settings, settings):
    """The seeded usage files mirrored; uploads processed by the next read; retries immediate."""
    settings.ACTION_RETRY_BACKOFF = 0
    settings.AUTOMATION_RETRY_SECONDS = 0
    knobs = requests.post(
        f"{connect_settings.url}/_sandbox/usage", json={"processing_seconds": 0}, timeout=30
    )
    knobs.raise_for_status()
    sync()
    return connect_settings


@pytest.fixture
def base(usage_world) -> dict:
    """A seeded record whose asset is still active (so any later month is valid for it), of a
    product whose schema needs no categories; with its file's contract."""
    for usage_file in api(usage_world, "GET", "/usage/files?in(status,(pending,accepted,closed))&limit=100"):
        if usage_file["schema"] == "cr":
            continue
        for record in api(usage_world, "GET", f"/usage/records?eq(usage_file,{usage_file['id']})&limit=20"):
            asset = api(usage_world, "GET", f"/assets/{record['asset']['id']}")
            if asset["status"] in ("active", "suspended"):
                return {**record, "contract_id": usage_file["contract"]["id"], "schema": usage_file["schema"]}
    raise AssertionError("no seeded usage record of a still active asset")


@pytest.fixture
def supervisor(staff_user):
    return staff_user("sam", "supervisor")


@pytest.fixture
def support(staff_user):
    return staff_user("sue", "support")


def band_of(base: dict, lower="-20", upper="20") -> AcceptanceBand:
    band = AcceptanceBand(
        product_id=base["product_id"], lower_percent=Decimal(lower), upper_percent=Decimal(upper)
    )
    band.full_clean()
    band.save()
    return band


# --- the decisions --------------------------------------------------------------------------


def test_a_file_within_the_band_is_accepted_upstream_and_says_who_decided(usage_world, base, supervisor):
    band_of(base)
    processor_enable(name=BAND, actor=supervisor, product_id=base["product_id"])
    vendor_file(usage_world, base, PREVIOUS, ["600", "400"], accept=True)
    current = vendor_file(usage_world, base, CURRENT, ["700.50", "399.50"])
    sync()  # the sync brings the pending file in: note_changes queues its task in the same commit
    assert tasks_of(current).get().status == TaskStatus.DUE
    view = UsageFileView(UsageFile.objects.get(pk=current))
    assert (view.total, view.records_read, view.period.start) == (Decimal("1100"), True, date(*CURRENT, 1))
    done = {t.target_id: t for t in run_due(limit=1000)}
    assert done[current].status == TaskStatus.DECIDED
    drain()
    answer = api(usage_world, "GET", f"/usage/files/{current}")
    assert answer["status"] == "accepted"
    assert answer["acceptance_note"] == (
        "Accepted automatically: total 1,100.00 is within ±20% of 2025-06's 1,000.00."
    )
    event = AuditEvent.objects.get(target_id=current, action="connect.usage_file.accept.queued")
    assert event.actor_name == "channelhub-system"
    assert event.message.startswith(
        "Decided by processor usage.acceptance_band 1.0: Total 1,100.00 is 10% above last period's 1,000.00; "
        "band is ±20%"
    )
    assert UsageFile.objects.get(pk=current).status == "accepted"


def test_a_file_outside_the_band_is_left_with_the_reason_and_asked_again_only_when_it_changes(
    usage_world, base, supervisor
):
    band_of(base)
    vendor_file(usage_world, base, PREVIOUS, ["1000"], accept=True)
    current = vendor_file(usage_world, base, CURRENT, ["1000", "450"])
    sync()
    processor_enable(name=BAND, actor=supervisor, product_id=base["product_id"])
    run_due(limit=1000)
    task = tasks_of(current).get()
    assert task.status == TaskStatus.SKIPPED
    assert task.reason == (
        "Total 1,450.00 is 45% above last period's 1,000.00; band is ±20%. Left for a person."
    )
    assert not UpstreamAction.objects.filter(target_id=current).exists()
    assert api(usage_world, "GET", f"/usage/files/{current}")["status"] == "pending"
    sync()  # nothing changed upstream: nobody asked again
    assert tasks_of(current).count() == 1
    api(usage_world, "PUT", f"/usage/files/{current}", json={"note": "see the attached contract"})
    sync()  # the file changed: asked again
    assert tasks_of(current).filter(status=TaskStatus.DUE).count() == 1


def test_a_band_below_and_an_uneven_band_are_told_in_words(usage_world, base, supervisor):
    band_of(base, lower="-10", upper="25")
    vendor_file(usage_world, base, PREVIOUS, ["800"], accept=True)
    current = vendor_file(usage_world, base, CURRENT, ["700"])
    sync()
    processor_enable(name=BAND, actor=supervisor, product_id=base["product_id"])
    run_due(limit=1000)
    assert tasks_of(current).get().reason == (
        "Total 700.00 is 12.5% below last period's 800.00; band is -10% to +25%. Left for a person."
    )


def test_without_a_previous_period_the_file_is_left_for_a_person(usage_world, base, supervisor):
    band_of(base)
    vendor_file(usage_world, base, PREVIOUS, ["1000"], accept=True)  # not the period before LATER
    current = vendor_file(usage_world, base, LATER, ["1000"])
    sync()
    processor_enable(name=BAND, actor=supervisor, product_id=base["product_id"])
    run_due(limit=1000)
    task = tasks_of(current).get()
    assert task.status == TaskStatus.SKIPPED
    assert task.reason.startswith("No previous period to compare:")
    assert f"for the period before {LATER[0]}-{LATER[1]:02d}" in task.reason
    assert not UpstreamAction.objects.filter(target_id=current).exists()


def test_records_not_read_yet_are_waited_for(usage_world, base, supervisor):
    band_of(base)
    vendor_file(usage_world, base, PREVIOUS, ["1000"], accept=True)
    current = vendor_file(usage_world, base, CURRENT, ["1000"])
    assert run_stream("connect.usage-files").status == "succeeded"  # the records stream has not run
    processor_enable(name=BAND, actor=supervisor, product_id=base["product_id"])
    run_due(limit=1000)
    task = tasks_of(current).get()
    assert task.status == TaskStatus.RESCHEDULED and "are not read yet" in task.reason
    assert not UpstreamAction.objects.exists()


def test_dry_run_writes_no_action(usage_world, base, supervisor):
    AcceptanceBand.objects.create(product_id="")  # every product's band, the defaults: ±20%
    vendor_file(usage_world, base, PREVIOUS, ["1000"], accept=True)
    current = vendor_file(usage_world, base, CURRENT, ["1000"])
    sync()
    processor_enable(name=BAND, actor=supervisor, product_id=base["product_id"], dry_run=True)
    run_due(limit=1000)
    task = tasks_of(current).get()
    assert (task.status, task.decision) == (TaskStatus.DRY_RUN, "accept")
    assert task.detail["note"].startswith("Accepted automatically: total 1,000.00")
    assert dry_run_summary(processor=BAND) == {"accept": 1}
    assert not UpstreamAction.objects.exists()
    assert api(usage_world, "GET", f"/usage/files/{current}")["status"] == "pending"


def test_a_person_and_the_processor_on_one_file_make_one_upstream_action(
    usage_world, base, supervisor, support
):
    band_of(base)
    vendor_file(usage_world, base, PREVIOUS, ["1000"], accept=True)
    first = vendor_file(usage_world, base, CURRENT, ["1000"])
    second = vendor_file(usage_world, base, CURRENT, ["1050"])
    sync()
    # a person acts first: the processor waits for the person's action instead of acting
    person = services.usage_file_reject(
        usage_file=UsageFile.objects.get(pk=first), note="wrong asset", actor=support
    )
    processor_enable(name=BAND, actor=supervisor, product_id=base["product_id"])
    done = {t.target_id: t for t in run_due(limit=1000)}
    assert done[first].status == TaskStatus.RESCHEDULED
    assert done[first].reason == "Waiting: reject by sue is still open."
    # the processor acted first: the person is refused
    assert done[second].status == TaskStatus.DECIDED
    with pytest.raises(ServiceError) as refused:
        services.usage_file_reject(
            usage_file=UsageFile.objects.get(pk=second), note="too late", actor=support
        )
    assert refused.value.code == "busy"
    drain()
    assert UpstreamAction.objects.filter(target_id=first).get() == person
    assert UpstreamAction.objects.filter(target_id=second).get().actor.username == "channelhub-system"
    assert api(usage_world, "GET", f"/usage/files/{first}")["status"] == "rejected"
    assert api(usage_world, "GET", f"/usage/files/{second}")["status"] == "accepted"
    log = requests.get(f"{usage_world.url}/_sandbox/log?limit=10000", timeout=30).json()
    for file_id in (first, second):
        answers = [e for e in log if e["method"] == "POST" and f"/usage/files/{file_id}/" in e["path"]]
        assert len([e for e in answers if e["path"].endswith(("/accept", "/reject"))]) == 1


# --- the band's admin -----------------------------------------------------------------------


def test_supervisors_edit_bands_with_an_audit_and_support_only_reads(as_role):
    url = reverse("admin:usage_acceptanceband_add")
    supervisor = as_role("supervisor")
    form = {
        "product_id": "PRD-1",
        "lower_percent": "-5",
        "upper_percent": "15",
        "acceptance_note": "ok {total}",
    }
    assert supervisor.post(url, form).status_code == 302
    band = AcceptanceBand.objects.get(product_id="PRD-1")
    assert (band.words(), str(band)) == ("-5% to +15%", "-5% to +15% for PRD-1")
    event = AuditEvent.objects.get(action="usage.acceptance_band.added")
    assert (event.actor_name, event.after["upper_percent"]) == ("user-supervisor", "15")
    wrong = supervisor.post(url, {**form, "product_id": "PRD-2", "acceptance_note": "ok {totl}"})
    assert wrong.status_code == 200 and "The note may name only" in wrong.content.decode()
    upside_down = supervisor.post(url, {**form, "product_id": "PRD-3", "lower_percent": "30"})
    assert "must not be above the upper bound" in upside_down.content.decode()
    assert list(AcceptanceBand.objects.values_list("product_id", flat=True)) == ["PRD-1"]

    support = as_role("support")
    listing = support.get(reverse("admin:usage_acceptanceband_changelist"))
    assert listing.status_code == 200 and "PRD-1" in listing.content.decode()
    assert support.get(url).status_code == 403
    change = reverse("admin:usage_acceptanceband_change", args=[band.pk])
    assert support.post(change, {**form, "upper_percent": "90"}).status_code == 403
    assert AcceptanceBand.objects.get(pk=band.pk).upper_percent == Decimal("15")
