"""Cloud Channel enums (channel-api.md §3), exactly as they come over the wire.

Channel sends enum *names* in upper case. Columns use these as `choices` for display and
filtering, but nothing constrains the database: an enum value Google adds tomorrow is stored
as it came and shown raw. Named groups below are the only place that says which states mean
what; code asks the group, it never compares strings.
"""

from django.db import models


class ProvisioningState(models.TextChoices):
    """An entitlement's provisioning state: active or suspended (why: a `SuspensionReason`)."""

    UNSPECIFIED = "PROVISIONING_STATE_UNSPECIFIED", "Unspecified"
    ACTIVE = "ACTIVE", "Active"
    SUSPENDED = "SUSPENDED", "Suspended"


class SuspensionReason(models.TextChoices):
    """Why an entitlement is suspended; only REVOCABLE ones can be lifted with `activate`."""

    UNSPECIFIED = "SUSPENSION_REASON_UNSPECIFIED", "Unspecified"
    RESELLER_INITIATED = "RESELLER_INITIATED", "Suspended by us (the reseller)"
    TRIAL_ENDED = "TRIAL_ENDED", "The trial ended"
    RENEWAL_WITH_TYPE_CANCEL = "RENEWAL_WITH_TYPE_CANCEL", "Not renewed (renewal set to cancel)"
    PENDING_TOS_ACCEPTANCE = (
        "PENDING_TOS_ACCEPTANCE",
        "Waiting for the customer to accept the terms of service",
    )
    OTHER = "OTHER", "Other reason"


# Only a suspension we made ourselves can be lifted with `activate` (channel-api.md §9.5).
SuspensionReason.REVOCABLE = (SuspensionReason.RESELLER_INITIATED,)


class PaymentPlan(models.TextChoices):
    """How an offer or entitlement is paid: commitment, flexible, free, trial or offline."""

    UNSPECIFIED = "PAYMENT_PLAN_UNSPECIFIED", "Unspecified"
    COMMITMENT = "COMMITMENT", "Commitment"
    FLEXIBLE = "FLEXIBLE", "Flexible"
    FREE = "FREE", "Free"
    TRIAL = "TRIAL", "Trial"
    OFFLINE = "OFFLINE", "Offline"


class PaymentType(models.TextChoices):
    """Whether an offer is prepaid or postpaid."""

    UNSPECIFIED = "PAYMENT_TYPE_UNSPECIFIED", "Unspecified"
    PREPAY = "PREPAY", "Prepay"
    POSTPAY = "POSTPAY", "Postpay"


class PeriodType(models.TextChoices):
    """The unit of a Period (a payment cycle, a trial, a price phase): day, month or year."""

    UNSPECIFIED = "PERIOD_TYPE_UNSPECIFIED", "Unspecified"
    DAY = "DAY", "Day"
    MONTH = "MONTH", "Month"
    YEAR = "YEAR", "Year"


class CustomerType(models.TextChoices):
    """A customer's Cloud Identity type (`cloudIdentityInfo.customerType`): domain or team."""

    UNSPECIFIED = "CUSTOMER_TYPE_UNSPECIFIED", "Unspecified"
    DOMAIN = "DOMAIN", "Domain"
    TEAM = "TEAM", "Team"


class LinkState(models.TextChoices):
    """A channel partner link's state: invited, active, suspended or revoked."""

    UNSPECIFIED = "CHANNEL_PARTNER_LINK_STATE_UNSPECIFIED", "Unspecified"
    INVITED = "INVITED", "Invited"
    ACTIVE = "ACTIVE", "Active"
    REVOKED = "REVOKED", "Revoked"
    SUSPENDED = "SUSPENDED", "Suspended"


class ChangeType(models.TextChoices):
    """What an entitlement change (its history) changed."""

    UNSPECIFIED = "CHANGE_TYPE_UNSPECIFIED", "Unspecified"
    CREATED = "CREATED", "Created"
    PRICE_PLAN_SWITCHED = "PRICE_PLAN_SWITCHED", "Price plan switched"
    COMMITMENT_CHANGED = "COMMITMENT_CHANGED", "Commitment changed"
    RENEWED = "RENEWED", "Renewed"
    SUSPENDED = "SUSPENDED", "Suspended"
    ACTIVATED = "ACTIVATED", "Activated"
    CANCELLED = "CANCELLED", "Cancelled"
    SKU_CHANGED = "SKU_CHANGED", "SKU changed"
    RENEWAL_SETTING_CHANGED = "RENEWAL_SETTING_CHANGED", "Renewal settings changed"
    PAID_SUBSCRIPTION_STARTED = "PAID_SUBSCRIPTION_STARTED", "Paid subscription started"
    LICENSE_CAP_CHANGED = "LICENSE_CAP_CHANGED", "License cap changed"
    SUSPENSION_DETAILS_CHANGED = "SUSPENSION_DETAILS_CHANGED", "Suspension details changed"
    TRIAL_END_DATE_EXTENDED = "TRIAL_END_DATE_EXTENDED", "Trial end date extended"
    TRIAL_STARTED = "TRIAL_STARTED", "Trial started"


class OperatorType(models.TextChoices):
    """Who made an entitlement change: Google support, the system, the customer or a reseller."""

    UNSPECIFIED = "OPERATOR_TYPE_UNSPECIFIED", "Unspecified"
    CUSTOMER_SERVICE_REPRESENTATIVE = "CUSTOMER_SERVICE_REPRESENTATIVE", "Google support"
    SYSTEM = "SYSTEM", "System"
    CUSTOMER = "CUSTOMER", "Customer"
    RESELLER = "RESELLER", "Reseller"
