"""The inventory app's part of the dashboard: sources failing or held, and the Inventory group
of the admin's navigation. Registered by `registration`."""

from channelhub.dashboard import AGE_BANDS, AGE_BANDS_OR_NEVER, BacklogRow, BacklogWidget, NavGroup
from inventory.models import InventorySource, SourceStatus

_SOURCES = "admin:inventory_inventorysource_changelist"
_FAILING = (
    SourceStatus.FAILED,
    SourceStatus.INVALID_CREDENTIALS,
    SourceStatus.INSUFFICIENT_PERMISSION,
    SourceStatus.NO_BILLING_REPORT,
)

WIDGETS = (
    BacklogWidget(
        key="inventory-sources",
        title="Inventory sources",
        perm="inventory.view_inventorysource",
        rows=(
            BacklogRow(
                "inventory.sources.failing",
                "Failing (since the last success)",
                lambda: InventorySource.objects.filter(status__in=_FAILING),
                _SOURCES,
                "status__in=" + ",".join(_FAILING),
                field="last_success_at",
                bands=AGE_BANDS_OR_NEVER,
            ),
            BacklogRow(
                "inventory.sources.held",
                "Held for a supervisor (since held)",
                lambda: InventorySource.objects.filter(status=SourceStatus.HELD),
                _SOURCES,
                f"status__exact={SourceStatus.HELD}",
                field="held_at",
                bands=AGE_BANDS,
            ),
        ),
    ),
)

NAV_GROUPS = (
    NavGroup(
        "Inventory",
        order=40,
        models=(
            "inventory.inventorysource",
            "inventory.resource",
            "inventory.metricmapping",
            "inventory.metricsample",
        ),
        apps=("inventory",),
    ),
)
