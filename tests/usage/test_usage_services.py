"""The usage and billing action services: what each records, each refusal, and who may.

No upstream here: services only check and record (test_usage_actions*.py send over HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.checks import Error

from channelhub.actions.checks import check_specs
from channelhub.models import ActionStatus, AuditEvent, UpstreamAction
from channelhub.services import ServiceError
from tests.usage.factories import (
    BillingRequestFactory,
    RecurringAssetFactory,
    UsageChunkFactory,
    UsageFileFactory,
    UsageRecordFactory,
    UsageReportFactory,
    UsageReportRowFactory,
)
from usage import forms, services
from usage.choices import ReportStatus
from usage.transitions import ACTIONS, USAGE_FILE_TRANSITIONS

pytestmark = pytest.mark.django_db


def user(role: str | None, name: str | None = None):
    u = get_user_model().objects.create_user(username=name or f"u-{role}", password="x" * 12, is_staff=True)
    if role:
        u.groups.add(Group.objects.get(name=role))
    return get_user_model().objects.get(pk=u.pk)


@pytest.fixture
def support():
    return user("support")


@pytest.fixture
def supervisor():
    return user("supervisor")


def test_specs_pass_the_system_check():
    assert check_specs(ACTIONS) == []
    kinds = {spec.kind for spec in ACTIONS}
    assert "connect.usage_file.create" in kinds and "connect.usage_record.close" in kinds
    assert USAGE_FILE_TRANSITIONS["submit"] == (("ready",), "pending")
    assert USAGE_FILE_TRANSITIONS["upload"] == (("draft", "invalid", "ready", "rejected"), "uploading")


def test_a_hyphenated_kind_is_refused_by_the_check():
    from dataclasses import replace  # noqa: PLC0415 - only here

    wrong = replace(ACTIONS[2], kind="connect.usage-file.submit", _built={})
    errors = check_specs([wrong])
    assert any(isinstance(e, Error) and e.id == "channelhub.E010" for e in errors)


# --- who may -------------------------------------------------------------------------------

FILE_CALLS = {
    # (file status, call, permission it needs: "act" support's, "bill" supervisor's)
    "submit": ("ready", lambda f, a: services.usage_file_submit(usage_file=f, actor=a), "act"),
    "delete": ("draft", lambda f, a: services.usage_file_delete(usage_file=f, actor=a), "act"),
    "accept": ("pending", lambda f, a: services.usage_file_accept(usage_file=f, note="ok", actor=a), "act"),
    "reject": ("pending", lambda f, a: services.usage_file_reject(usage_file=f, note="no", actor=a), "act"),
    "close": ("accepted", lambda f, a: services.usage_file_close(usage_file=f, actor=a), "bill"),
    "reprocess": ("accepted", lambda f, a: services.usage_file_reprocess(usage_file=f, actor=a), "bill"),
}


@pytest.mark.parametrize("action", FILE_CALLS)
@pytest.mark.parametrize("role", ["readonly", "support", "supervisor", None])
def test_file_permission_matrix(action, role):
    status, call, perm = FILE_CALLS[action]
    usage_file = UsageFileFactory(status=status)
    actor = user(role)
    # supervisors hold every support grant as well as their own (channelhub.roles)
    allowed = role == "supervisor" or (role == "support" and perm == "act")
    if allowed:
        result = call(usage_file, actor)
        assert result.kind == f"connect.usage_file.{action}" and result.status == ActionStatus.QUEUED
    else:
        with pytest.raises(ServiceError, match="not allowed") as exc:
            call(usage_file, actor)
        assert exc.value.code == "permission"
        assert not UpstreamAction.objects.exists()


@pytest.mark.parametrize(
    "action, wrong_status",
    [
        ("submit", "draft"),
        ("delete", "pending"),
        ("accept", "ready"),
        ("reject", "accepted"),
        ("close", "pending"),
    ],
)
def test_file_transition_refused_against_the_mirror(action, wrong_status, supervisor):
    _, call, _ = FILE_CALLS[action]
    usage_file = UsageFileFactory(status=wrong_status)
    with pytest.raises(ServiceError, match=f"is {wrong_status}; '{action}' is only possible when") as exc:
        call(usage_file, supervisor)
    assert exc.value.code == "transition"
    assert not UpstreamAction.objects.exists()


def test_accept_and_reject_carry_their_notes_and_audit(support):
    usage_file = UsageFileFactory(status="pending")
    action = services.usage_file_accept(usage_file=usage_file, note="  all good ", actor=support)
    assert action.payload == {"acceptance_note": "all good"}
    event = AuditEvent.objects.get()
    assert event.action == "connect.usage_file.accept.queued" and event.before == {"status": "pending"}
    other = UsageFileFactory(status="pending")
    with pytest.raises(ServiceError, match="rejection note is required"):
        services.usage_file_reject(usage_file=other, note="   ", actor=support)
    assert services.usage_file_reject(usage_file=other, note="wrong item", actor=support).payload == {
        "rejection_note": "wrong item"
    }


def test_one_open_action_per_file(support):
    usage_file = UsageFileFactory(status="ready")
    services.usage_file_submit(usage_file=usage_file, actor=support)
    with pytest.raises(ServiceError, match="still queued") as exc:
        services.usage_file_delete(usage_file=usage_file, actor=support)
    assert exc.value.code == "busy"


def test_close_needs_every_record_billed(supervisor):
    usage_file = UsageFileFactory(status="accepted")
    UsageRecordFactory(usage_file=usage_file, record_status="closed", external_billing_id="INV-1")
    unbilled = UsageRecordFactory(usage_file=usage_file, record_status="approved")
    with pytest.raises(
        ServiceError, match=f"1 record\\(s\\) without an external billing id \\({unbilled.pk}\\)"
    ):
        services.usage_file_close(usage_file=usage_file, actor=supervisor)
    unbilled.status, unbilled.external_billing_id = "closed", "INV-2"
    unbilled.save()
    assert (
        services.usage_file_close(usage_file=usage_file, actor=supervisor).kind == "connect.usage_file.close"
    )


# --- reports: create + upload, re-upload ------------------------------------------------------


def test_send_report_queues_create_with_the_file_body(support):
    report = UsageReportFactory(rows=1)
    action = services.send_report(report, user=support)
    assert (action.kind, action.target_type, action.target_id) == (
        "connect.usage_file.create",
        "usage.usagefile",
        report.external_id,
    )
    body = action.payload["file"]
    assert action.payload["report_id"] == report.pk
    assert body["external_id"] == report.external_id and body["product"] == {"id": report.product_id}
    assert body["period"] == {"from": "2024-02-01", "to": "2024-02-29"}
    report.refresh_from_db()
    assert report.status == ReportStatus.SENDING
    with pytest.raises(ServiceError, match="only a report that is"):
        services.send_report(report, user=support)


def test_send_report_refuses_an_invalid_report_with_the_reason(support):
    report = UsageReportFactory(status=ReportStatus.INVALID, invalid_rows=1, rows=2)
    UsageReportRowFactory(report=report, row_number=5, errors=["no item MPN-9 on the product"])
    with pytest.raises(
        ServiceError, match="1 invalid row\\(s\\) \\(row 5: no item MPN-9 on the product\\)"
    ) as exc:
        services.send_report(report, user=support)
    assert exc.value.code == "invalid" and not UpstreamAction.objects.exists()


def test_send_report_refuses_readonly_and_an_existing_file(support):
    report = UsageReportFactory(rows=1)
    with pytest.raises(ServiceError, match="not allowed"):
        services.send_report(report, user=user("readonly"))
    UsageFileFactory(external_id=report.external_id, status="ready")
    with pytest.raises(ServiceError, match="re-upload") as exc:
        services.send_report(report, user=support)
    assert exc.value.code == "exists"


def test_reupload_checks_the_report_and_the_file(support):
    usage_file = UsageFileFactory(status="rejected")
    report = UsageReportFactory(status=ReportStatus.SENT, rows=1)
    action = services.usage_file_reupload(usage_file=usage_file, report=report, actor=support)
    assert (action.kind, action.payload) == ("connect.usage_file.upload", {"report_id": report.pk})
    other_product = UsageReportFactory(product_id="PRD-999-999-999", rows=1)
    with pytest.raises(ServiceError, match="is for product PRD-999-999-999"):
        services.usage_file_reupload(
            usage_file=UsageFileFactory(status="invalid"), report=other_product, actor=support
        )
    with pytest.raises(ServiceError, match="is pending; 'upload' is only possible"):
        services.usage_file_reupload(
            usage_file=UsageFileFactory(status="pending"), report=report, actor=support
        )


# --- records, bulk, chunks ------------------------------------------------------------------


def test_record_close_needs_an_approved_record_and_a_billing_id(supervisor, support):
    record = UsageRecordFactory(record_status="approved")
    with pytest.raises(ServiceError, match="not allowed"):
        services.usage_record_close(record=record, billing_id="INV-1", actor=support)
    with pytest.raises(ServiceError, match="billing id is required"):
        services.usage_record_close(record=record, billing_id=" ", actor=supervisor)
    action = services.usage_record_close(record=record, billing_id="INV-1", note="March", actor=supervisor)
    assert action.payload == {"external_billing_id": "INV-1", "external_billing_note": "March"}
    with pytest.raises(ServiceError, match="is valid; 'close' is only possible when it is approved"):
        services.usage_record_close(
            record=UsageRecordFactory(record_status="valid"), billing_id="X", actor=supervisor
        )


def test_bulk_close_by_list_and_by_all_approved(supervisor):
    usage_file = UsageFileFactory(status="accepted")
    a, b = (UsageRecordFactory(usage_file=usage_file, record_status="approved") for _ in range(2))
    UsageRecordFactory(usage_file=usage_file, record_status="closed", external_billing_id="old")
    action = services.usage_file_close_records(
        usage_file=usage_file, billing_id="INV-{n}-{record}", all_approved=True, actor=supervisor
    )
    assert action.kind == "connect.usage_file.close_records" and action.target_id == usage_file.pk
    assert [r["external_billing_id"] for r in action.payload["records"]] == [f"INV-1-{a.pk}", f"INV-2-{b.pk}"]
    action.status = ActionStatus.SUCCEEDED
    action.save()
    one = services.usage_file_close_records(
        usage_file=usage_file, billing_id="INV-9", record_ids=[b.pk, b.pk], actor=supervisor
    )
    assert one.payload["records"] == [
        {"id": b.pk, "external_billing_id": "INV-9", "external_billing_note": ""}
    ]


def test_bulk_close_refuses_records_not_approved_of_the_file(supervisor):
    usage_file = UsageFileFactory(status="accepted")
    elsewhere = UsageRecordFactory(record_status="approved")
    with pytest.raises(
        ServiceError, match=f"not approved records of usage file {usage_file.pk}: {elsewhere.pk}"
    ):
        services.usage_file_close_records(
            usage_file=usage_file, billing_id="X", record_ids=[elsewhere.pk], actor=supervisor
        )
    with pytest.raises(ServiceError, match="no approved record"):
        services.usage_file_close_records(
            usage_file=usage_file, billing_id="X", all_approved=True, actor=supervisor
        )


def test_chunk_close(supervisor):
    chunk = UsageChunkFactory(status="ready")
    action = services.usage_chunk_close(chunk=chunk, billing_id="HUB-INV-1", actor=supervisor)
    assert (action.kind, action.payload["external_billing_id"]) == ("connect.usage_chunk.close", "HUB-INV-1")
    with pytest.raises(ServiceError, match="is closed"):
        services.usage_chunk_close(chunk=UsageChunkFactory(status="closed"), billing_id="X", actor=supervisor)


# --- billing requests -----------------------------------------------------------------------

MARCH = datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC)


def test_billing_request_create(support):
    asset = RecurringAssetFactory()
    action = services.billing_request_create(
        asset=asset, type="vendor", period_from=MARCH[0], period_to=MARCH[1], actor=support
    )
    assert action.kind == "connect.billing_request.create" and action.target_id.startswith(asset.pk)
    assert action.payload["request"] == {
        "asset_id": asset.pk,
        "type": "vendor",
        "period_from": "2024-03-01T00:00:00+00:00",
        "period_to": "2024-04-01T00:00:00+00:00",
        "period_delta": "1",
        "period_uom": "monthly",
        "items": asset.items,
    }
    with pytest.raises(ServiceError, match="still queued"):
        services.billing_request_create(
            asset=asset, type="vendor", period_from=MARCH[0], period_to=MARCH[1], actor=support
        )


def test_billing_request_create_refusals(support):
    asset = RecurringAssetFactory()
    with pytest.raises(ServiceError, match="must end after it starts"):
        services.billing_request_create(
            asset=asset, type="vendor", period_from=MARCH[1], period_to=MARCH[0], actor=support
        )
    with pytest.raises(ServiceError, match="vendor or provider"):
        services.billing_request_create(
            asset=asset, type="x", period_from=MARCH[0], period_to=MARCH[1], actor=support
        )
    with pytest.raises(ServiceError, match="is terminated"):
        services.billing_request_create(
            asset=RecurringAssetFactory(status="terminated"),
            type="vendor",
            period_from=MARCH[0],
            period_to=MARCH[1],
            actor=support,
        )
    known = BillingRequestFactory(asset=asset, period_from=MARCH[0].date())
    with pytest.raises(ServiceError, match=f"{known.pk} already bills"):
        services.billing_request_create(
            asset=asset, type="vendor", period_from=known.period_from, period_to=MARCH[1], actor=support
        )
    with pytest.raises(ServiceError, match="not allowed"):
        services.billing_request_create(
            asset=asset, type="provider", period_from=MARCH[0], period_to=MARCH[1], actor=user("readonly")
        )


def test_billing_request_attributes(support):
    request = BillingRequestFactory()
    action = services.billing_request_update_attributes(
        billing_request=request, attributes={"vendor": {"invoice": "INV-7"}}, actor=support
    )
    assert action.payload == {"attributes": {"vendor": {"invoice": "INV-7"}}}
    with pytest.raises(ServiceError, match="an object per side"):
        services.billing_request_update_attributes(
            billing_request=BillingRequestFactory(), attributes={"customer": {}}, actor=support
        )


# --- forms ----------------------------------------------------------------------------------


def test_forms_turn_input_into_service_kwargs():
    usage_file = UsageFileFactory(status="accepted")
    form = forms.CloseRecordsForm(
        data={"close_records-billing_id": "INV-{n}", "close_records-record_ids": "UR-1, UR-2\nUR-3"},
        obj=usage_file,
        spec=next(s for s in ACTIONS if s.action == "close_records"),
    )
    assert form.is_valid(), form.errors
    assert form.service_kwargs() == {
        "billing_id": "INV-{n}",
        "note": "",
        "all_approved": False,
        "record_ids": ["UR-1", "UR-2", "UR-3"],
    }
    neither = forms.CloseRecordsForm(data={"billing_id": "X"})
    assert not neither.is_valid()
    reject = forms.RejectForm(data={"note": ""})
    assert not reject.is_valid() and "note" in reject.errors
    attrs = forms.BillingRequestAttributesForm(data={"provider": '{"amount": 10.50}'})
    assert attrs.is_valid(), attrs.errors
    assert attrs.service_kwargs() == {"attributes": {"provider": {"amount": "10.50"}}}
    assert not forms.BillingRequestAttributesForm(data={"vendor": "[1]"}).is_valid()
