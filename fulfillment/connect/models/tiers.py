"""Tier configurations (`TC-…`) and their requests (`TCR-…`): a reseller's setup per product."""

from typing import ClassVar

from django.db import models

from channelhub.models import MirroredModel
from channelhub.models.fields import mirror_fk, ref, string, when
from fulfillment.connect.choices import (
    ConnectionType,
    TierConfigRequestStatus,
    TierConfigRequestType,
    TierConfigStatus,
    TierLevel,
)

from .catalog import Hub, Marketplace, Product, TierAccount


class TierConfig(MirroredModel):
    """A tier config (`TC-…`, `/tier/configs`): a tier-1/tier-2 reseller's configuration of a product.

    Mirrored so staff handling a TCR can see the current configuration and its params.
    """

    name = string()
    status = string(16, choices=TierConfigStatus.choices, db_index=True)
    tier_level = models.PositiveSmallIntegerField(choices=TierLevel.choices, null=True, blank=True)
    account = mirror_fk(TierAccount, "tier_configs")
    account_name = string()
    account_external_id = string(db_index=True)
    product = mirror_fk(Product, "tier_configs")
    product_name = string()
    marketplace = mirror_fk(Marketplace, "tier_configs")
    marketplace_name = string()
    connection_id = ref()
    connection_type = string(16, choices=ConnectionType.choices, db_index=True)
    hub = mirror_fk(Hub, "tier_configs")
    hub_name = string()
    provider_id = ref()
    provider_name = string()
    vendor_id = ref()
    vendor_name = string()
    contract_id = ref(db_index=True)
    contract_name = string()
    open_request_id = ref(db_index=True, help_text="The TCR currently open on this configuration")
    template_id = ref()
    template_name = string()
    template_html = models.TextField(blank=True, default="", editable=False)
    params = models.JSONField(default=list, blank=True)
    created = when(db_index=True)
    updated = when(db_index=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created"]
        verbose_name = "tier config"
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["product", "status"], name="tc_product_status")
        ]


class TierConfigRequest(MirroredModel):
    """A tier config request (`TCR-…`, `/tier/config-requests`): setup/update of a reseller's config.

    The second staff queue beside fulfillment requests. Its configuration's account,
    product and tier level are copied onto the row so the queue filters without joins.
    """

    type = string(16, choices=TierConfigRequestType.choices, db_index=True)
    status = string(16, choices=TierConfigRequestStatus.choices)
    environment = string(16, choices=ConnectionType.choices, db_index=True)

    configuration = mirror_fk(TierConfig, "requests")
    parent_configuration_id = ref()
    tier_level = models.PositiveSmallIntegerField(choices=TierLevel.choices, null=True, blank=True)
    account = mirror_fk(TierAccount, "tier_config_requests")
    account_name = string()
    account_external_id = string(db_index=True)
    account_external_uid = string(db_index=True)
    product = mirror_fk(Product, "tier_config_requests")
    product_name = string()
    marketplace = mirror_fk(Marketplace, "tier_config_requests")
    marketplace_name = string()
    connection_type = string(16, choices=ConnectionType.choices, db_index=True)
    hub = mirror_fk(Hub, "tier_config_requests")
    hub_name = string()
    contract_id = ref(db_index=True)
    contract_name = string()

    assignee_id = ref()
    assignee_name = string()
    assignee_email = string(254)

    notes = models.TextField(blank=True, default="")
    reason = models.TextField(blank=True, default="")
    effective_date = when()
    previous_request_id = ref()
    template_id = ref()
    template_name = string()
    template_html = models.TextField(blank=True, default="", editable=False)

    params = models.JSONField(default=list, blank=True)
    tiers = models.JSONField(default=dict, blank=True)
    configuration_params = models.JSONField(default=list, blank=True)

    created = when(db_index=True)
    updated = when(db_index=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created"]
        verbose_name = "tier config request"
        permissions: ClassVar[list[tuple[str, str]]] = [
            ("act_tierconfigrequest", "Can act on tier config requests (approve, inquire, fail, ...)")
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["status", "created"], name="tcr_status_created"),
            models.Index(fields=["product", "status"], name="tcr_product_status"),
            models.Index(fields=["assignee_id", "status"], name="tcr_assignee_status"),
            models.Index(fields=["assignee_email", "status"], name="tcr_assignee_email_status"),
            models.Index(fields=["assignee_name", "assignee_id"], name="tcr_assignee_label"),
            models.Index(fields=["tier_level"], name="tcr_tier_level"),
        ]

    @property
    def is_open(self) -> bool:
        """Whether the request is still open (`TierConfigRequestStatus.OPEN_STATES`)."""
        return self.status in TierConfigRequestStatus.OPEN_STATES
