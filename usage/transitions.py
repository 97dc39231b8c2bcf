"""The usage app's staff actions, each declared once: which action, on what, from which status
to which, who may, and the form, service, executor and template that carry it out.

From the usage file machine (usage-automation-inventory.md A2, Connect's workflow t-1…t-12):
the vendor creates and uploads (draft → uploading; the system then moves it to processing and
ready or invalid), re-uploads (draft, invalid, ready, rejected → uploading), submits (ready →
pending) and deletes (draft, invalid, ready → deleted); the provider accepts or rejects a
pending file, closes an accepted one once every record has its billing id, reprocesses,
closes records (approved → closed) one by one or many at once, and closes chunks (ready →
closed). Billing requests have no status: any of them takes new attributes.

Kinds are `connect.<target>.<verb>` (the system check's rule allows no hyphen).
Permissions: usage.act_usagefile (vendor's actions, accept, reject), usage.bill_usagefile
(close, close records, reprocess, chunks), usage.act_billingrequest.
"""

from __future__ import annotations

from channelhub.actions.specs import ActionSpec, transition_table

from . import forms, services
from .choices import UsageChunkStatus as CS
from .choices import UsageFileStatus as FS
from .choices import UsageRecordStatus as RS
from .executors import (
    BillingRequestAttributesExecutor,
    BillingRequestCreateExecutor,
    BulkCloseRecordsExecutor,
    ChunkCloseExecutor,
    RecordCloseExecutor,
    ReportCreateExecutor,
    ReportReuploadExecutor,
    UsageFileExecutor,
)
from .models import BillingRequest, UsageChunk, UsageFile, UsageRecord
from .services.files import every_record_billed

FORMS = "admin/usage/actions"
ACT = "usage.act_usagefile"
BILL = "usage.bill_usagefile"


def _file(verb, label, perm, sources, target, form, service, executor=UsageFileExecutor, **extra):
    return ActionSpec(
        kind=f"connect.usage_file.{verb}",
        model=UsageFile,
        what="Usage file",
        label=label,
        perm=perm,
        from_states=tuple(sources) if sources is not None else None,
        to_state=target,
        form=form,
        service=service,
        executor=executor,
        template=f"{FORMS}/_{verb}.html",
        **extra,
    )


USAGE_FILE_ACTIONS = (
    # vendor
    _file(
        "create",
        "Create and upload",
        ACT,
        None,
        FS.UPLOADING,
        forms.NoInputForm,
        services.report_send,
        ReportCreateExecutor,
        creates=True,
    ),
    _file(
        "upload",
        "Upload again",
        ACT,
        (FS.DRAFT, FS.INVALID, FS.READY, FS.REJECTED),
        FS.UPLOADING,
        forms.ReuploadForm,
        services.usage_file_reupload,
        ReportReuploadExecutor,
    ),
    _file("submit", "Submit", ACT, (FS.READY,), FS.PENDING, forms.NoInputForm, services.usage_file_submit),
    _file(
        "delete",
        "Delete",
        ACT,
        (FS.DRAFT, FS.INVALID, FS.READY),
        FS.DELETED,
        forms.ConfirmForm,
        services.usage_file_delete,
    ),
    # provider
    _file("accept", "Accept", ACT, (FS.PENDING,), FS.ACCEPTED, forms.AcceptForm, services.usage_file_accept),
    _file("reject", "Reject", ACT, (FS.PENDING,), FS.REJECTED, forms.RejectForm, services.usage_file_reject),
    _file(
        "close",
        "Close",
        BILL,
        (FS.ACCEPTED,),
        FS.CLOSED,
        forms.NoInputForm,
        services.usage_file_close,
        checks=(every_record_billed,),
    ),
    _file(
        "reprocess",
        "Reprocess",
        BILL,
        (FS.ACCEPTED,),
        None,
        forms.NoInputForm,
        services.usage_file_reprocess,
    ),
    _file(
        "close_records",
        "Close records",
        BILL,
        (FS.ACCEPTED,),
        None,
        forms.CloseRecordsForm,
        services.usage_file_close_records,
        BulkCloseRecordsExecutor,
    ),
)

USAGE_RECORD_ACTIONS = (
    ActionSpec(
        kind="connect.usage_record.close",
        model=UsageRecord,
        what="Usage record",
        label="Close with billing id",
        perm=BILL,
        from_states=(RS.APPROVED,),
        to_state=RS.CLOSED,
        form=forms.BillingIdForm,
        service=services.usage_record_close,
        executor=RecordCloseExecutor,
        template=f"{FORMS}/_record_close.html",
    ),
)

USAGE_CHUNK_ACTIONS = (
    ActionSpec(
        kind="connect.usage_chunk.close",
        model=UsageChunk,
        what="Usage chunk",
        label="Close with billing id",
        perm=BILL,
        from_states=(CS.READY,),
        to_state=CS.CLOSED,
        form=forms.BillingIdForm,
        service=services.usage_chunk_close,
        executor=ChunkCloseExecutor,
        template=f"{FORMS}/_chunk_close.html",
    ),
)

BILLING_REQUEST_ACTIONS = (
    ActionSpec(
        kind="connect.billing_request.create",
        model=BillingRequest,
        what="Billing request",
        label="Create billing request",
        perm="usage.act_billingrequest",
        form=forms.BillingRequestCreateForm,
        service=services.billing_request_create,
        executor=BillingRequestCreateExecutor,
        template=f"{FORMS}/_billing_request_create.html",
        creates=True,
    ),
    ActionSpec(
        kind="connect.billing_request.update_attributes",
        model=BillingRequest,
        what="Billing request",
        label="Update attributes",
        perm="usage.act_billingrequest",
        form=forms.BillingRequestAttributesForm,
        service=services.billing_request_update_attributes,
        executor=BillingRequestAttributesExecutor,
        template=f"{FORMS}/_update_attributes.html",
    ),
)

ACTIONS = USAGE_FILE_ACTIONS + USAGE_RECORD_ACTIONS + USAGE_CHUNK_ACTIONS + BILLING_REQUEST_ACTIONS

# action -> (statuses it is allowed from, status it leads to or None): what the specs say.
USAGE_FILE_TRANSITIONS = transition_table(USAGE_FILE_ACTIONS)
USAGE_RECORD_TRANSITIONS = transition_table(USAGE_RECORD_ACTIONS)
USAGE_CHUNK_TRANSITIONS = transition_table(USAGE_CHUNK_ACTIONS)
