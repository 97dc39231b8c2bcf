"""The big Connect tables: assets (subscriptions) and their fulfillment requests.

Every column support staff filter or sort on is typed and indexed; display names sit beside
ids so a changelist of 100,000 rows needs no join. Items, params and tiers are JSON in the
shape the admin renders (see `fulfillment.connect.mappers`); the raw payload is kept as well.
"""

from typing import ClassVar

from django.db import models

from channelhub.models import MirroredModel
from channelhub.models.fields import mirror_fk, ref, string, when
from fulfillment.connect.choices import AssetStatus, ConnectionType, RequestStatus, RequestType

from .catalog import Hub, Marketplace, Product, TierAccount


class Asset(MirroredModel):
    """A Connect asset (`AS-…`, `/assets`): one customer's subscription to one product.

    Mirrored so staff can see what a customer has (items, params, tiers) and every request
    that changed it. Its status is driven by those requests; it has no actions of its own.
    """

    status = string(16, choices=AssetStatus.choices)
    external_id = string(db_index=True)
    external_uid = string(db_index=True)
    external_name = string()

    product = mirror_fk(Product, "assets")
    product_name = string()
    marketplace = mirror_fk(Marketplace, "assets")
    marketplace_name = string()
    connection_id = ref()
    connection_type = string(16, choices=ConnectionType.choices, db_index=True)
    hub = mirror_fk(Hub, "assets")
    hub_name = string()
    provider_id = ref()
    provider_name = string()
    vendor_id = ref()
    vendor_name = string()
    contract_id = ref(db_index=True)
    contract_name = string()

    customer = mirror_fk(TierAccount, "customer_assets")
    customer_name = string()
    customer_external_id = string(db_index=True)
    tier1 = mirror_fk(TierAccount, "tier1_assets")
    tier1_name = string()
    tier2 = mirror_fk(TierAccount, "tier2_assets")
    tier2_name = string()

    items = models.JSONField(default=list, blank=True)
    params = models.JSONField(default=list, blank=True)
    tiers = models.JSONField(default=dict, blank=True)
    configuration_params = models.JSONField(default=list, blank=True)

    created = when(db_index=True)
    updated = when(db_index=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["status", "created"], name="as_status_created"),
            models.Index(fields=["product", "status"], name="as_product_status"),
        ]


class FulfillmentRequest(MirroredModel):
    """A Connect fulfillment request (`PR-…`, `/requests`): a purchase/change/... of an asset.

    The main queue of the back office: staff approve, inquire or fail pending requests.
    The request carries a full copy of its asset (items with old/new quantities, params with
    their value errors, tiers), mapped here so the detail page needs no other row.
    """

    type = string(16, choices=RequestType.choices, db_index=True)
    status = string(16, choices=RequestStatus.choices)
    # The id backwards, so a search by its tail ("1238-001", what a caller reads out) is a
    # prefix an index serves (`channelhub.api.lookups`); the mapper fills it.
    id_reversed = string(64, db_index=True, editable=False)

    asset = mirror_fk(Asset, "requests")
    asset_status = string(16)
    asset_external_id = string(db_index=True)
    asset_external_uid = string(db_index=True)

    product = mirror_fk(Product, "requests")
    product_name = string()  # pr_product_name, and pr_product_name_ci for its start in any case
    marketplace = mirror_fk(Marketplace, "requests")
    marketplace_name = string()
    connection_id = ref()
    connection_type = string(16, choices=ConnectionType.choices, db_index=True)
    hub = mirror_fk(Hub, "requests")
    hub_name = string()
    provider_id = ref()
    provider_name = string()
    vendor_id = ref()
    vendor_name = string()
    contract_id = ref(db_index=True)
    contract_name = string()

    customer = mirror_fk(TierAccount, "customer_requests")
    # Searched by its start in any case: the case-insensitive index pr_customer_name_ci
    # (migration 0010: COLLATE NOCASE on SQLite, UPPER() text_pattern_ops on PostgreSQL).
    customer_name = string()
    customer_external_id = string(db_index=True)
    tier1 = mirror_fk(TierAccount, "tier1_requests")
    tier1_name = string()
    tier2 = mirror_fk(TierAccount, "tier2_requests")
    tier2_name = string()

    assignee_id = ref(help_text="Connect user (UR-…); empty when unassigned")
    assignee_name = string()
    assignee_email = string(254)

    note = models.TextField(blank=True, default="")
    reason = models.TextField(blank=True, default="")
    answered = models.BooleanField(null=True, blank=True)
    effective_date = when()
    previous_request_id = ref()
    activation_key = models.TextField(blank=True, default="")
    template = mirror_fk("fulfillment.Template", "requests")
    template_name = string()
    template_message = models.TextField(blank=True, default="")
    activation_html = models.TextField(
        blank=True, default="", editable=False, help_text="Rendered template message / activation tile"
    )

    items = models.JSONField(default=list, blank=True)
    params = models.JSONField(default=list, blank=True)
    tiers = models.JSONField(default=dict, blank=True)
    configuration_params = models.JSONField(default=list, blank=True)

    # The SDK's `needs_migration`: the asset carries a `migration_info` parameter. Such
    # requests are migrated by a separate process: flagged, out of the default queues, and
    # refused by the action services.
    is_migration = models.BooleanField(default=False, db_index=True)

    created = when(db_index=True)
    updated = when(db_index=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created"]
        verbose_name = "fulfillment request"
        permissions: ClassVar[list[tuple[str, str]]] = [
            ("act_fulfillmentrequest", "Can act on fulfillment requests (approve, inquire, fail, ...)")
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["status", "created"], name="pr_status_created"),
            models.Index(fields=["product", "status"], name="pr_product_status"),
            models.Index(fields=["assignee_id", "status"], name="pr_assignee_status"),
            # "Assigned to me": staff map to Connect assignees by email.
            models.Index(fields=["assignee_email", "status"], name="pr_assignee_email_status"),
            # The assignee filter lists DISTINCT (name, id): an index-only walk with this.
            models.Index(fields=["assignee_name", "assignee_id"], name="pr_assignee_label"),
            # The rest of the legacy SDK's request filters (seed 000) and Connect's own names
            # for the connection: every filter reads an index.
            models.Index(fields=["asset_status"], name="pr_asset_status"),
            models.Index(fields=["product_name"], name="pr_product_name"),
            models.Index(fields=["connection_id"], name="pr_connection"),
            models.Index(fields=["hub_name"], name="pr_hub_name"),
            models.Index(fields=["provider_id"], name="pr_provider"),
            models.Index(fields=["provider_name"], name="pr_provider_name"),
            models.Index(fields=["vendor_id"], name="pr_vendor"),
            models.Index(fields=["vendor_name"], name="pr_vendor_name"),
            # The dashboard's backlog, index-only: a queue by age band (the migration flag and
            # the product read from the index, not the row), and one product's rows past its target.
            models.Index(fields=["status", "created", "is_migration", "product"], name="pr_dash_age"),
            models.Index(fields=["product", "status", "created", "is_migration"], name="pr_dash_product_age"),
        ]

    @property
    def is_open(self) -> bool:
        """Whether the request is still open (`RequestStatus.OPEN_STATES`)."""
        return self.status in RequestStatus.OPEN_STATES
