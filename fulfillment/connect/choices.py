"""Connect enums mirrored by the fulfillment app (connect-api.md §2, §6).

Values are Connect's own, lower-case, exactly as they come over the wire. Columns use these
as `choices` for display and filtering, but the database does not constrain them: a mirror
must store whatever upstream sends (a new upstream status must not break a sync), and the
admin shows an unknown value as it is.

Named groups (`OPEN_STATES`, `TERMINAL_STATES`, ...) are the only place that says which
statuses count as open or finished; code asks the group, it never compares strings.
"""

from django.db import models


class RequestStatus(models.TextChoices):
    """Fulfillment request (`PR-…`) status. Workflow: connect-api.md §2.1."""

    DRAFT = "draft", "Draft"
    TIERS_SETUP = "tiers_setup", "Tiers setup"
    PENDING = "pending", "Pending"
    INQUIRING = "inquiring", "Inquiring"
    SCHEDULED = "scheduled", "Scheduled"
    REVOKING = "revoking", "Revoking"
    APPROVED = "approved", "Approved"
    FAILED = "failed", "Failed"
    REVOKED = "revoked", "Revoked"


# Waiting on someone (vendor, customer or a schedule): what the queues show, with an age.
RequestStatus.OPEN_STATES = (
    RequestStatus.TIERS_SETUP,
    RequestStatus.PENDING,
    RequestStatus.INQUIRING,
    RequestStatus.SCHEDULED,
    RequestStatus.REVOKING,
)
# Staff can act on these (approve / inquire / fail); later issues build the forms.
RequestStatus.ACTIONABLE_STATES = (RequestStatus.PENDING,)
RequestStatus.TERMINAL_STATES = (RequestStatus.APPROVED, RequestStatus.FAILED, RequestStatus.REVOKED)


class RequestType(models.TextChoices):
    """Fulfillment request type (the `type` filter enum in SPEC)."""

    PURCHASE = "purchase", "Purchase"
    CHANGE = "change", "Change"
    SUSPEND = "suspend", "Suspend"
    RESUME = "resume", "Resume"
    CANCEL = "cancel", "Cancel"
    ADJUSTMENT = "adjustment", "Adjustment"
    RENEW = "renew", "Renew"
    TRANSFER = "transfer", "Transfer"


class AssetStatus(models.TextChoices):
    """Asset (subscription, `AS-…`) status; driven by its requests, no actions of its own."""

    DRAFT = "draft", "Draft"
    PROCESSING = "processing", "Processing"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    TERMINATING = "terminating", "Terminating"
    TERMINATED = "terminated", "Terminated"


AssetStatus.LIVE_STATES = (AssetStatus.ACTIVE, AssetStatus.SUSPENDED, AssetStatus.TERMINATING)
AssetStatus.OPEN_STATES = (AssetStatus.DRAFT, AssetStatus.PROCESSING)
AssetStatus.TERMINAL_STATES = (AssetStatus.TERMINATED,)


class TierConfigRequestStatus(models.TextChoices):
    """Tier config request (`TCR-…`) status. Workflow: connect-api.md §2.3."""

    DRAFT = "draft", "Draft"
    TIERS_SETUP = "tiers_setup", "Tiers setup"
    PENDING = "pending", "Pending"
    INQUIRING = "inquiring", "Inquiring"
    APPROVED = "approved", "Approved"
    FAILED = "failed", "Failed"


TierConfigRequestStatus.OPEN_STATES = (
    TierConfigRequestStatus.TIERS_SETUP,
    TierConfigRequestStatus.PENDING,
    TierConfigRequestStatus.INQUIRING,
)
TierConfigRequestStatus.ACTIONABLE_STATES = (TierConfigRequestStatus.PENDING,)
TierConfigRequestStatus.TERMINAL_STATES = (TierConfigRequestStatus.APPROVED, TierConfigRequestStatus.FAILED)


class TierConfigRequestType(models.TextChoices):
    """What a tier config request does: set up, update or adjust a tier config."""

    SETUP = "setup", "Setup"
    UPDATE = "update", "Update"
    ADJUSTMENT = "adjustment", "Adjustment"


class TierConfigStatus(models.TextChoices):
    """Tier config (`TC-…`) status: active <-> processing while an update request is open."""

    DRAFT = "draft", "Draft"
    PROCESSING = "processing", "Processing"
    ACTIVE = "active", "Active"


TierConfigStatus.OPEN_STATES = (TierConfigStatus.DRAFT, TierConfigStatus.PROCESSING)


class TierLevel(models.IntegerChoices):
    """The level of a tier account in a tier config or its request: tier 1 or tier 2."""

    TIER1 = 1, "Tier 1"
    TIER2 = 2, "Tier 2"


class ConnectionType(models.TextChoices):
    """Hub connection type of an asset / tier config; also a TCR's and tier account's `environment`."""

    PRODUCTION = "production", "Production"
    TEST = "test", "Test"
    PREVIEW = "preview", "Preview"


class ProductStatus(models.TextChoices):
    """A product's lifecycle status in Connect; SELLABLE_STATES holds `published` alone."""

    DRAFT = "draft", "Draft"
    IN_DEVELOPMENT = "indevelopment", "In development"
    ON_CERTIFICATION = "oncertification", "On certification"
    PUBLISHED = "published", "Published"
    INITIALIZATION_FAILED = "initializationfailed", "Initialization failed"
    END_OF_SALE = "endofsale", "End of sale"
    DELETED = "deleted", "Deleted"


ProductStatus.SELLABLE_STATES = (ProductStatus.PUBLISHED,)


class TemplateScope(models.TextChoices):
    """Whom a template is for: the asset, or a tier 1 / tier 2 account."""

    ASSET = "asset", "Asset"
    TIER1 = "tier1", "Tier 1"
    TIER2 = "tier2", "Tier 2"


class TemplateType(models.TextChoices):
    """What a template is used for: approving (fulfillment), inquiring, or pending."""

    FULFILLMENT = "fulfillment", "Fulfillment"
    INQUIRE = "inquire", "Inquire"
    PENDING = "pending", "Pending"


class HubInstanceType(models.TextChoices):
    """The kind of hub: a CloudBlue Commerce (OA) instance, or an API hub."""

    OA = "oa", "CloudBlue Commerce (OA)"
    API = "api", "API"


class MessageType(models.TextChoices):
    """A conversation message: a message, a state change, or a private note."""

    MESSAGE = "message", "Message"
    STATE_CHANGE = "state_change", "State change"
    PRIVATE = "private", "Private note"


class ParamType(models.TextChoices):
    """Parameter types (connect-api.md §6); `password` values are never shown in the admin."""

    TEXT = "text", "Text"
    PASSWORD = "password", "Password"
    EMAIL = "email", "Email"
    CHECKBOX = "checkbox", "Checkbox"
    CHOICE = "choice", "Choice"
    DROPDOWN = "dropdown", "Dropdown"
    DOMAIN = "domain", "Domain"
    SUBDOMAIN = "subdomain", "Subdomain"
    URL = "url", "URL"
    PHONE = "phone", "Phone"
    ADDRESS = "address", "Address"
    OBJECT = "object", "Object"


ParamType.SECRET_TYPES = (ParamType.PASSWORD,)


class ParamPhase(models.TextChoices):
    """When a product parameter is asked for: at ordering, fulfillment or configuration."""

    ORDERING = "ordering", "Ordering"
    FULFILLMENT = "fulfillment", "Fulfillment"
    CONFIGURATION = "configuration", "Configuration"
