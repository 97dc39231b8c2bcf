"""The usage app's part of the dashboard: files to submit and files waiting for the provider's
acceptance, and the Usage group of the admin's navigation. Registered by `registration`."""

from channelhub.dashboard import BacklogRow, BacklogWidget, NavGroup
from usage import selectors

_FILES = "admin:usage_usagefile_changelist"


def _files(queue: str):
    # Served by the (status, created) index.
    return lambda: selectors.usage_file_queue(queue=queue)


WIDGETS = (
    BacklogWidget(
        key="usage-files",
        title="Usage files",
        perm="usage.view_usagefile",
        rows=(
            BacklogRow(
                "usage.files.to_submit",
                "To submit (ready)",
                _files("to_submit"),
                _FILES,
                "queue=to_submit",
                product_field="product_id",
                product_param="product_id",
            ),
            BacklogRow(
                "usage.files.pending",
                "To be accepted by the provider (pending)",
                _files("pending"),
                _FILES,
                "queue=pending",
                product_field="product_id",
                product_param="product_id",
            ),
        ),
        help="Age is time since the file was created.",
    ),
)

NAV_GROUPS = (
    NavGroup(
        "Usage",
        order=30,
        models=(
            "usage.usagefile",
            "usage.usagereport",
            "usage.usageimport",
            "usage.billingrequest",
            "usage.recurringasset",
            "usage.usagerecord",
            "usage.usagechunk",
            "usage.listing",
        ),
        apps=("usage",),
    ),
)
