"""The Google Cloud Channel mirror (channel-api.md §3).

Every row is keyed by the upstream resource `name` (`accounts/A/customers/C/entitlements/E`),
which is what every Channel call takes, with the raw JSON in `payload` and the columns staff
filter, sort or read at a glance typed and indexed beside it. Channel's int64 values travel as
strings; the mappers turn seat counts into integers here.

Channel lists some collections only whole (customers, entitlements per customer, offers,
partner links): the sync reconciles them, and a row no longer listed upstream gets `gone_at`
and a `gone_reason` instead of being deleted, so history and audit keep their target.
"""

from typing import ClassVar

from django.db import models

from channelhub.models import MirroredModel, ReconciledMirror
from channelhub.models.fields import mirror_fk, string, when
from fulfillment.channel.choices import (
    ChangeType,
    CustomerType,
    LinkState,
    OperatorType,
    PaymentPlan,
    PaymentType,
    ProvisioningState,
)

NAME_LENGTH = 255


class ChannelMirror(ReconciledMirror):
    """Base of the Channel models: a resource name as key; reconcile sets gone_at/gone_reason."""

    id = models.CharField(primary_key=True, max_length=NAME_LENGTH, help_text="The upstream resource name")

    class Meta:
        abstract = True


class ChannelProduct(ChannelMirror):
    """A Channel product (`products/{p}`): Google Workspace, Google Cloud, Chrome, ..."""

    display_name = string(db_index=True)
    description = models.TextField(blank=True, default="")

    class Meta:
        ordering: ClassVar[list[str]] = ["display_name"]
        verbose_name = "Channel product"

    def __str__(self):
        return self.display_name or self.id


class Sku(ChannelMirror):
    """A SKU of a product (`products/{p}/skus/{s}`): what an offer sells."""

    product = mirror_fk(ChannelProduct, "skus")
    display_name = string(db_index=True)
    description = models.TextField(blank=True, default="")

    class Meta:
        ordering: ClassVar[list[str]] = ["product_id", "display_name"]
        verbose_name = "SKU"

    def __str__(self):
        return self.display_name or self.id


class Offer(ChannelMirror):
    """An offer of our account (`accounts/{a}/offers/{o}`): a SKU with a plan and prices.

    `parameter_definitions` is what an entitlement's parameters are validated against
    (num_units / max_units with their min and max) before a change is queued.
    """

    sku = mirror_fk(Sku, "offers")
    product = mirror_fk(ChannelProduct, "offers")
    display_name = string(db_index=True, help_text="The SKU's marketing name")
    product_name = string()
    payment_plan = string(32, choices=PaymentPlan.choices, db_index=True)
    payment_type = string(32, choices=PaymentType.choices)
    payment_cycle = string(32, help_text="e.g. 1 YEAR")
    trial_period = string(32)
    parameter_definitions = models.JSONField(default=list, blank=True)
    prices = models.JSONField(default=list, blank=True, help_text="priceByResources")
    deal_code = string(64)
    start_time = when()
    end_time = when()

    class Meta:
        ordering: ClassVar[list[str]] = ["display_name", "payment_plan"]

    def __str__(self):
        plan = self.get_payment_plan_display() if self.payment_plan else ""
        return f"{self.display_name} ({plan})" if self.display_name else self.id


class ChannelPartnerLink(ChannelMirror):
    """A link to a reseller partner (`accounts/{a}/channelPartnerLinks/{id}`), distributors only."""

    reseller_cloud_identity_id = string(64, db_index=True)
    link_state = string(48, choices=LinkState.choices, db_index=True)
    public_id = string(64)
    invite_link_uri = string(500)
    partner_domain = string(db_index=True, help_text="From channelPartnerCloudIdentityInfo")
    create_time = when(db_index=True)
    update_time = when(db_index=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-create_time"]
        verbose_name = "channel partner link"
        permissions: ClassVar[list[tuple[str, str]]] = [
            ("act_channelpartnerlink", "Can change the state of channel partner links")
        ]

    def __str__(self):
        return self.partner_domain or self.id


class Customer(ChannelMirror):
    """A Channel customer (`accounts/{a}/customers/{c}`), or a partner's customer
    (`accounts/{a}/channelPartnerLinks/{p}/customers/{c}`, with `partner_link` set)."""

    account_id = string(64, db_index=True)
    partner_link = mirror_fk(ChannelPartnerLink, "customers")
    # Also searched by its start in any case: cust_org_name_ci (fulfillment migration 0010).
    org_display_name = string(db_index=True)
    domain = string(db_index=True)
    cloud_identity_id = string(64, db_index=True)
    channel_partner_id = string(64, db_index=True)
    correlation_id = string(db_index=True)
    customer_type = string(32, choices=CustomerType.choices)
    is_domain_verified = models.BooleanField(null=True, blank=True)
    primary_contact_name = string()
    primary_contact_email = string(db_index=True)
    alternate_email = string()
    region_code = string(8, db_index=True)
    postal_address = models.JSONField(default=dict, blank=True)
    language_code = string(16)
    create_time = when(db_index=True)
    update_time = when(db_index=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["org_display_name"]
        verbose_name = "Channel customer"
        permissions: ClassVar[list[tuple[str, str]]] = [
            ("act_customer", "Can create, update and provision Channel customers"),
            ("remove_customer", "Can delete Channel customers upstream"),
            ("transfer_customer", "Can transfer Channel customers' subscriptions in, and to Google"),
        ]

    def __str__(self):
        return self.org_display_name or self.domain or self.id

    @property
    def has_cloud_identity(self) -> bool:
        """Whether the customer has a Cloud Identity yet (`cloudIdentityId` is set once it is provisioned)."""
        return bool(self.cloud_identity_id)


class Entitlement(ChannelMirror):
    """A customer's entitlement (`…/customers/{c}/entitlements/{e}`): one subscription.

    Staff suspend, activate, cancel, change the offer, the seats or the renewal, and start
    paid service on these (through the outbox; each call is a long-running operation).
    """

    short_id = string(
        64, db_index=True, editable=False, help_text="The last segment of the name, as the list shows it"
    )
    customer = mirror_fk(Customer, "entitlements")
    customer_name = string(help_text="The customer's orgDisplayName, copied at sync")
    offer = mirror_fk(Offer, "entitlements")
    sku_id = string(NAME_LENGTH, db_index=True, help_text="provisionedService.skuId as products/p/skus/s")
    product_id = string(NAME_LENGTH, db_index=True)
    provisioning_state = string(48, choices=ProvisioningState.choices)
    suspension_reasons = models.JSONField(default=list, blank=True)
    payment_plan = string(32, choices=PaymentPlan.choices, db_index=True)
    payment_cycle = string(32)
    num_units = models.BigIntegerField(
        null=True, blank=True, db_index=True, help_text="Seats on a commitment plan"
    )
    max_units = models.BigIntegerField(
        null=True, blank=True, db_index=True, help_text="Seat cap on a flexible plan"
    )
    assigned_units = models.BigIntegerField(null=True, blank=True, help_text="Seats in use (output only)")
    parameters = models.JSONField(default=list, blank=True)
    commitment_start = when()
    commitment_end = when(db_index=True)
    renewal_enabled = models.BooleanField(null=True, blank=True)
    renewal_settings = models.JSONField(default=dict, blank=True)
    trial = models.BooleanField(default=False, db_index=True)
    trial_end = when(db_index=True)
    provisioning_id = string(64, db_index=True)
    purchase_order_id = string(80, db_index=True)
    billing_account = string()
    base_entitlement = string(NAME_LENGTH, help_text="associationInfo.baseEntitlement for an add-on")
    create_time = when(db_index=True)
    update_time = when(db_index=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-create_time"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["provisioning_state", "update_time"], name="ent_state_updated"),
            models.Index(fields=["customer", "provisioning_state"], name="ent_customer_state"),
        ]
        permissions: ClassVar[list[tuple[str, str]]] = [
            (
                "act_entitlement",
                "Can act on Channel entitlements (suspend, activate, seats, offer, renewal, ...)",
            ),
            ("cancel_entitlement", "Can cancel Channel entitlements upstream"),
        ]

    def __str__(self):
        return self.id.rsplit("/", 1)[-1] if self.id else ""

    @property
    def seats(self) -> int | None:
        """The editable seat count of the plan: num_units on commitment, max_units otherwise."""
        return self.num_units if self.num_units is not None else self.max_units


class EntitlementChange(MirroredModel):
    """One line of an entitlement's history (`…:listEntitlementChanges`).

    Changes have no name upstream; the key is a digest of (entitlement, createTime,
    changeType, operator), so a re-read of the same change lands on the same row.
    """

    entitlement = mirror_fk(Entitlement, "changes")
    customer = mirror_fk(Customer, "entitlement_changes")
    change_type = string(48, choices=ChangeType.choices, db_index=True)
    operator_type = string(48, choices=OperatorType.choices)
    operator = string(db_index=True)
    reason = string(64, help_text="The activation/cancellation/suspension reason, whichever is set")
    other_change_reason = models.TextField(blank=True, default="")
    offer_id = string(NAME_LENGTH)
    create_time = when(db_index=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-create_time"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["entitlement", "-create_time"], name="entchange_ent_created")
        ]

    def __str__(self):
        return (
            f"{self.change_type} {self.create_time:%Y-%m-%d %H:%M}" if self.create_time else self.change_type
        )
