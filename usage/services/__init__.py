"""The usage app's services: each staff action between its target's prepare and record.

Each is keyword-only (but `send_report(report, *, user)`), checks the actor's permission and
the transition against the mirrored state, then records an outbox action
(channelhub.actions) in one transaction. They raise `ServiceError` with a message a person
can act on."""

from channelhub.services import ServiceError

from .billing import billing_request_create, billing_request_update_attributes
from .files import (
    usage_file_accept,
    usage_file_close,
    usage_file_delete,
    usage_file_reject,
    usage_file_reprocess,
    usage_file_reupload,
    usage_file_submit,
)
from .records import usage_chunk_close, usage_file_close_records, usage_record_close
from .reports import report_send, send_report

__all__ = [
    "ServiceError",
    "billing_request_create",
    "billing_request_update_attributes",
    "report_send",
    "send_report",
    "usage_chunk_close",
    "usage_file_accept",
    "usage_file_close",
    "usage_file_close_records",
    "usage_file_delete",
    "usage_file_reject",
    "usage_file_reprocess",
    "usage_file_reupload",
    "usage_file_submit",
    "usage_record_close",
]
