"""The base of every mirrored upstream object, and of those a sync reconciles."""

from django.db import models
from django.utils import timezone


class MirroredModel(models.Model):
    """Base of every model that mirrors an upstream object.

    The upstream id is the primary key. `payload` keeps the raw upstream JSON exactly as
    received (typed columns are derived from it by the stream's mapper); `payload_hash` is a
    digest of its canonical JSON, so a sync can tell an unchanged row without comparing
    columns and writes only rows that really changed. `synced_at` is when the row was last
    written by a sync (not touched when unchanged).
    """

    id = models.CharField(primary_key=True, max_length=64)
    payload = models.JSONField(default=dict)
    payload_hash = models.CharField(max_length=32, default="", editable=False)
    synced_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        abstract = True

    def __str__(self):
        return self.id


class GoneReason(models.TextChoices):
    """Why a mirrored object is no longer listed upstream (set by reconcile).

    Some upstreams have no "cancelled" state (Cloud Channel: a cancelled or transferred
    entitlement simply disappears), so the sync marks the row here, with the reason it could
    confirm, instead of deleting it: history and the audit trail keep their target.
    """

    CANCELLED = "cancelled", "Cancelled"
    TRANSFERRED = "transferred", "Transferred away"
    DELETED = "deleted", "Deleted upstream"
    UNKNOWN = "unknown", "Gone upstream (reason not confirmed)"


class GoneMixin(models.Model):
    """`gone_at` and `gone_reason`: what reconcile sets when a complete listing stops showing a
    row (and clears when it comes back). The base of both reconciled mirrors below."""

    gone_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="When a complete listing upstream stopped showing it"
    )
    gone_reason = models.CharField(max_length=16, blank=True, default="", choices=GoneReason.choices)

    class Meta:
        abstract = True

    @property
    def is_gone(self) -> bool:
        """Whether reconcile found the object missing from a complete upstream listing."""
        return self.gone_at is not None


class ReconciledMirror(GoneMixin, MirroredModel):
    """A mirrored object of a collection read whole: reconcile sets `gone_at` and
    `gone_reason` when a complete listing stops showing it.

    `seen_run` is the id of the last sync run that listed the row, stamped by the engine in
    each page's transaction (unchanged rows too), so a complete pass finds what it did not
    see with one UPDATE instead of holding every key it saw in memory
    (`channelhub.sync.reconcile`). A plain number, not a relation: runs may be pruned.
    """

    # Not indexed: completing a scope scans it anyway (`<>` uses no index; revive goes by the
    # gone_at index), and an unindexed stamp lets PostgreSQL update a row in place (HOT).
    seen_run = models.BigIntegerField(
        null=True, blank=True, editable=False, help_text="The last sync run that listed it"
    )

    class Meta:
        abstract = True


class ListedAsideMirror(GoneMixin, MirroredModel):
    """A reconciled mirror whose listings are kept aside: the engine writes the keys a run
    listed to `channelhub.ListedKey` instead of stamping each row (`seen_run`), so a pass in
    which nothing changed writes no row of the model at all, only narrow keys that are
    dropped once the pass is reconciled. For big collections read whole, where most rows do
    not change between passes (CMP inventory). Reconcile works the same
    (`channelhub.sync.reconcile`); only where it looks for "listed by this run" differs.
    """

    class Meta:
        abstract = True
