"""The usage app's upstream enums and our own statuses, with their words."""

from django.db import models


class UsageFileStatus(models.TextChoices):
    """Connect's usage file statuses (the spec's enum; WF's machine in docs/usage.md)."""

    DRAFT = "draft", "Draft"
    UPLOADING = "uploading", "Uploading"
    UPLOADED = "uploaded", "Uploaded"
    PROCESSING = "processing", "Processing"
    INVALID = "invalid", "Invalid"
    READY = "ready", "Ready"
    PENDING = "pending", "Pending acceptance"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    CLOSED = "closed", "Closed"
    DELETED = "deleted", "Deleted"


# A file in one of these never changes status again: the sync stops re-reading it.
TERMINAL_FILE_STATUSES = frozenset({UsageFileStatus.CLOSED, UsageFileStatus.DELETED})
# Statuses in which a file has records to pull.
FILE_STATUSES_WITH_RECORDS = frozenset(
    {
        UsageFileStatus.READY,
        UsageFileStatus.PENDING,
        UsageFileStatus.ACCEPTED,
        UsageFileStatus.REJECTED,
        UsageFileStatus.CLOSED,
    }
)


class UsageSchema(models.TextChoices):
    """How a product reports usage (`capabilities.ppu.schema`, lower-case on files)."""

    QT = "qt", "Quantity (QT)"
    TR = "tr", "Tiered (TR)"
    PR = "pr", "Pay-per-use amount (PR)"
    CR = "cr", "Category rated (CR)"


class Environment(models.TextChoices):
    """A file's connection type."""

    TEST = "test", "Test"
    PREVIEW = "preview", "Preview"
    PRODUCTION = "production", "Production"


class UsageRecordStatus(models.TextChoices):
    """Connect's API enum of record statuses (it differs from the workflow's words)."""

    VALID = "valid", "Valid"
    INVALID = "invalid", "Invalid"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CLOSED = "closed", "Closed"


class UsageChunkStatus(models.TextChoices):
    """A provider's per-hub slice of a file."""

    DRAFT = "draft", "Draft"
    READY = "ready", "Ready"
    CLOSED = "closed", "Closed"
    FAILED = "failed", "Failed"


class RecurringAssetStatus(models.TextChoices):
    """A recurring asset's (`/subscriptions/assets`) status."""

    DRAFT = "draft", "Draft"
    PROCESSING = "processing", "Processing"
    ACTIVE = "active", "Active"
    TERMINATING = "terminating", "Terminating"
    SUSPENDED = "suspended", "Suspended"
    TERMINATED = "terminated", "Terminated"


class BillingRequestType(models.TextChoices):
    """Who bills: the vendor or the provider."""

    VENDOR = "vendor", "Vendor"
    PROVIDER = "provider", "Provider"


class PeriodUnit(models.TextChoices):
    """A billing period's unit of measure."""

    MONTHLY = "monthly", "Monthly"
    YEARLY = "yearly", "Yearly"
    YEARS_2 = "years_2", "2 years"
    YEARS_3 = "years_3", "3 years"
    YEARS_4 = "years_4", "4 years"
    YEARS_5 = "years_5", "5 years"
    YEARS_6 = "years_6", "6 years"


class ReportStatus(models.TextChoices):
    """Our own: a usage report being built from imported rows, before and after it goes up."""

    INVALID = "invalid", "Has invalid rows"
    VALID = "valid", "Valid, not sent"
    SENDING = "sending", "Being created and uploaded"
    SENT = "sent", "Uploaded"
    FAILED = "failed", "Failed upstream"
