"""Connect usage: files (`UF-…`), their records (`UR-…`), the provider's chunks, and listings.

No foreign keys into the fulfillment app (domain apps are independent): products, contracts,
marketplaces, vendors, providers and assets are upstream ids with their names copied onto
the row, indexed where staff filter on them.
"""

from typing import ClassVar

from django.db import models

from channelhub.models import MirroredModel
from channelhub.models.fields import mirror_fk, ref, string, when
from usage.choices import (
    Environment,
    UsageChunkStatus,
    UsageFileStatus,
    UsageRecordStatus,
    UsageSchema,
)


class UsageFile(MirroredModel):
    """A usage file (`/usage/files`): one (contract, product, period) report of a vendor,
    accepted or rejected by its provider."""

    name = string()
    description = models.TextField(blank=True, default="")
    note = models.TextField(blank=True, default="")
    external_id = string(db_index=True)
    status = string(16, choices=UsageFileStatus.choices, db_index=True)
    sub_status = string(16)
    schema = string(2, choices=UsageSchema.choices, db_index=True)
    currency = string(20, db_index=True)
    environment = string(16, choices=Environment.choices, db_index=True)
    period_from = models.DateField(null=True, blank=True, db_index=True)
    period_to = models.DateField(null=True, blank=True)
    product_id = ref(db_index=True)
    product_name = string()
    contract_id = ref(db_index=True)
    contract_name = string()
    marketplace_id = ref(db_index=True)
    marketplace_name = string()
    vendor_id = ref(db_index=True)
    vendor_name = string()
    provider_id = ref(db_index=True)
    provider_name = string()
    acceptance_note = models.TextField(blank=True, default="")
    rejection_note = models.TextField(blank=True, default="")
    error_details = models.TextField(blank=True, default="", help_text="Why Connect found it invalid")
    stats = models.JSONField(default=dict, blank=True)
    records_valid = models.PositiveIntegerField(default=0)
    records_invalid = models.PositiveIntegerField(default=0)
    records_closed = models.PositiveIntegerField(default=0)
    created = when(db_index=True)
    created_by = string()
    uploaded_at = when()
    submitted_at = when()
    accepted_at = when()
    rejected_at = when()
    closed_at = when()
    deleted_at = when()
    # Set by the records stream: the file's state (status and counters) its records were last
    # pulled for, so records are pulled again only when the file changed.
    records_pulled_for = models.CharField(max_length=32, blank=True, default="", editable=False)
    # The upload (`events.uploaded.at`, as Connect wrote it) those records came from: when it
    # differs, the file was re-uploaded, its records were replaced upstream, and the next pull
    # replaces them here too (see usage/streams/records.py).
    records_pulled_upload = models.CharField(max_length=40, blank=True, default="", editable=False)
    # `/usage/files/{id}/categories` ([{id, name, description}]), read with the file's records.
    categories = models.JSONField(default=list, blank=True, editable=False)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created"]
        verbose_name = "usage file"
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["status", "created"], name="uf_status_created"),
            models.Index(fields=["product_id", "status"], name="uf_product_status"),
            models.Index(fields=["contract_id", "product_id", "period_from"], name="uf_contract_period"),
        ]
        permissions: ClassVar[list[tuple[str, str]]] = [
            ("act_usagefile", "Can report and answer usage files (create, upload, submit, accept, reject)"),
            ("bill_usagefile", "Can close usage files and records with billing ids, and reprocess"),
        ]

    def __str__(self):
        return f"{self.id} {self.name}".strip()


class UsageRecord(MirroredModel):
    """One usage record (`/usage/records`) of a file: an asset's use of an item in a time range."""

    usage_file = mirror_fk(UsageFile, "usage_records")
    status = string(16, choices=UsageRecordStatus.choices, db_index=True)
    product_id = ref(db_index=True)
    asset_id = ref(db_index=True)
    asset_external_id = string(db_index=True)
    item_id = ref(db_index=True)
    item_mpn = string(db_index=True)
    item_name = string()
    category_id = string(64)
    tier = models.PositiveSmallIntegerField(null=True, blank=True)
    # Connect sends JSON numbers; they are read as Decimal, never float (money and meters).
    usage = models.DecimalField(max_digits=24, decimal_places=8, null=True, blank=True)
    amount = models.DecimalField(max_digits=24, decimal_places=8, null=True, blank=True)
    start_date = when(db_index=True)
    end_date = when()
    external_billing_id = string(db_index=True)
    external_billing_note = models.TextField(blank=True, default="")
    closed_at = when()
    closed_by = string()

    class Meta:
        ordering: ClassVar[list[str]] = ["usage_file", "id"]
        verbose_name = "usage record"
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["usage_file", "status"], name="ur_file_status"),
            models.Index(fields=["asset_id", "start_date"], name="ur_asset_start"),
        ]


class UsageChunk(MirroredModel):
    """A provider's per-hub slice of a file (`/usage/chunks`), closed with a billing id."""

    usage_file = mirror_fk(UsageFile, "chunks")
    status = string(16, choices=UsageChunkStatus.choices, db_index=True)
    outdated = models.BooleanField(default=False)
    hub_id = ref(db_index=True)
    hub_name = string()
    marketplace_id = ref(db_index=True)
    provider_id = ref(db_index=True)
    external_id = string(db_index=True)
    schema = string(2, choices=UsageSchema.choices)
    currency = string(20)
    error_detail = models.TextField(blank=True, default="")
    stats = models.JSONField(default=dict, blank=True)
    created = when(db_index=True)
    closed_at = when()

    class Meta:
        ordering: ClassVar[list[str]] = ["-created"]
        verbose_name = "usage chunk"


class Listing(MirroredModel):
    """A product listed on a marketplace under a contract (`/listings`): where a vendor's
    usage files come from (the legacy SDK's `UsageAutomation` starts here)."""

    status = string(16, db_index=True)
    product_id = ref(db_index=True)
    product_name = string()
    contract_id = ref(db_index=True)
    contract_name = string()
    marketplace_id = ref(db_index=True)
    marketplace_name = string()
    vendor_id = ref(db_index=True)
    vendor_name = string()
    provider_id = ref(db_index=True)
    provider_name = string()
    usage_schema = string(
        2, choices=UsageSchema.choices, help_text="The product's ppu schema, if it reports usage"
    )
    currency = string(20)
    created = when(db_index=True)
    updated = when(db_index=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["product_id", "marketplace_id"]
        verbose_name = "listing"
