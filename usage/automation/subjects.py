"""Usage files as an automation subject: one event type (the extension framework's
`usage_file_request_processing`, whatever the file's status), the view, and each usage
decision made the same staff service a person's click calls, as the given actor."""

from __future__ import annotations

from channelhub.automation import contract as c
from channelhub.automation.subjects import Subject

from .. import services
from ..models import UsageFile
from .views import UsageFileView

# connect-eaas-core's EventType for usage files (connect-cli issue #184 names its statuses).
USAGE_FILE_EVENT = "usage_file_request_processing"


def _file_services():
    return {
        c.SUBMIT: lambda row, d, actor: services.usage_file_submit(usage_file=row, actor=actor),
        c.ACCEPT: lambda row, d, actor: services.usage_file_accept(
            usage_file=row, note=d.data.get("note", ""), actor=actor
        ),
        c.REJECT: lambda row, d, actor: services.usage_file_reject(
            usage_file=row, note=d.data.get("note", ""), actor=actor
        ),
        c.CLOSE: lambda row, d, actor: services.usage_file_close(usage_file=row, actor=actor),
    }


USAGE_FILES = Subject(
    model=UsageFile,
    event_types=(USAGE_FILE_EVENT,),
    event_type=lambda row: USAGE_FILE_EVENT,
    view=UsageFileView,
    product_of=lambda row: row.product_id or "",
    apply=_file_services(),
)
