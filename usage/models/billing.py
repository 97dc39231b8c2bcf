"""Connect billing: recurring assets (`/subscriptions/assets`) and billing requests
(`/subscriptions/requests`), which line up with the usage reported for the same asset."""

from typing import ClassVar

from django.db import models

from channelhub.models import MirroredModel
from channelhub.models.fields import mirror_fk, ref, string, when
from usage.choices import BillingRequestType, PeriodUnit, RecurringAssetStatus


class RecurringAsset(MirroredModel):
    """An asset with recurring billing: its billing period, next billing date, items, tiers."""

    status = string(16, choices=RecurringAssetStatus.choices, db_index=True)
    external_id = string(db_index=True)
    external_uid = string(db_index=True)
    product_id = ref(db_index=True)
    product_name = string()
    marketplace_id = ref(db_index=True)
    contract_id = ref(db_index=True)
    customer_id = ref(db_index=True)
    customer_name = string(db_index=True)
    environment = string(16, db_index=True)
    billing_period_uom = string(16, choices=PeriodUnit.choices)
    billing_period_delta = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    next_billing_date = when(db_index=True)
    anniversary = models.JSONField(default=dict, blank=True)
    items = models.JSONField(default=list, blank=True)
    created = when(db_index=True)
    updated = when(db_index=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created"]
        verbose_name = "recurring asset"


class BillingRequest(MirroredModel):
    """A billing request (`/subscriptions/requests`): a vendor's or provider's bill of an asset for a period."""

    type = string(16, choices=BillingRequestType.choices, db_index=True)
    asset = mirror_fk(RecurringAsset, "billing_requests")
    asset_external_uid = string(db_index=True)
    product_id = ref(db_index=True)
    period_from = when(db_index=True)
    period_to = when()
    period_delta = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    period_uom = string(16, choices=PeriodUnit.choices)
    items = models.JSONField(default=list, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    created = when(db_index=True)
    updated = when(db_index=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created"]
        verbose_name = "billing request"
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["asset", "period_from"], name="br_asset_period"),
        ]
        permissions: ClassVar[list[tuple[str, str]]] = [
            ("act_billingrequest", "Can create billing requests and update their attributes"),
        ]
