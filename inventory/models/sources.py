"""An inventory source: one feed of CMP resources in the nflex format, read whole every pass."""

from __future__ import annotations

from typing import ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone


class SourceKind(models.TextChoices):
    """How a source is read."""

    CONNECTOR = "connector", "Connector module (nflex get(event, context), run in a child process)"
    HTTP = "http", "HTTP feed (a URL answering the nflex JSON)"
    SANDBOX = "sandbox", "The sandbox's CMP feed (read by its demo connector)"


class SourceStatus(models.TextChoices):
    """How the source's last pass ended (while a pass runs, the admin shows "syncing" from its
    stream's lock; it is never stored, so a killed worker cannot leave a source stuck)."""

    NEW = "new", "Never read"
    OK = "ok", "Read completely"
    HELD = "held", "Held: too many would vanish"
    FAILED = "failed", "Failed"
    INVALID_CREDENTIALS = "invalid_credentials", "Credentials refused"
    INSUFFICIENT_PERMISSION = "insufficient_permission", "Permission refused"
    NO_BILLING_REPORT = "no_billing_report", "No billing report"


source_name = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]*$", "Lower case letters, digits, '-' and '_' (it names the source's sync stream)."
)


class InventorySource(models.Model):
    """A feed of resources: a connector module, an HTTP feed, or the sandbox's CMP feed.

    `parameters` hold what the kind needs (a module path, a URL, credentials); the values of
    secret keys (`inventory.sources.SECRET_KEYS`) are never shown back, logged or audited.
    Each source is one sync stream, `cmp.resources.<name>`, run by the dispatcher every
    `poll_minutes`; `state` is the connector's own (its get_state/update_state), kept between
    runs (the metrics poll window's end is its metrics stream's cursor). A pass that would mark more than `hold_share` of the live resources gone is held
    (`held_*`) until a supervisor confirms or discards it.
    """

    name = models.CharField(max_length=40, unique=True, validators=[source_name])
    kind = models.CharField(max_length=16, choices=SourceKind.choices)
    description = models.CharField(max_length=255, blank=True, default="")
    parameters = models.JSONField(default=dict, blank=True)
    enabled = models.BooleanField(default=True)
    poll_minutes = models.PositiveIntegerField(
        default=15, validators=[MinValueValidator(1)], help_text="How often a pass runs"
    )
    time_limit = models.PositiveIntegerField(
        default=300, validators=[MinValueValidator(1)], help_text="Seconds a connector may run"
    )
    memory_mb = models.PositiveIntegerField(
        default=1024, validators=[MinValueValidator(64)], help_text="Memory a connector may use (MB)"
    )
    hold_share = models.FloatField(
        default=0.5,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="A pass that would mark more than this share of the live resources gone is held (1 = never)",
    )
    status = models.CharField(max_length=32, choices=SourceStatus.choices, default=SourceStatus.NEW)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_complete_at = models.DateTimeField(
        null=True, blank=True, help_text="The last complete pass: when every live resource was last seen"
    )
    last_error = models.TextField(blank=True, default="", help_text="In plain words")
    last_traceback = models.TextField(blank=True, default="", help_text="The connector's, cut (supervisors)")
    last_logs = models.JSONField(default=list, blank=True, help_text="The connector's log lines, last pass")
    last_counts = models.JSONField(default=dict, blank=True, help_text="What the last pass did")
    last_dry_run = models.JSONField(default=dict, blank=True)
    state = models.JSONField(default=dict, blank=True, help_text="The connector's state between runs")
    held_run = models.BigIntegerField(null=True, blank=True, help_text="The sync run held")
    held_at = models.DateTimeField(null=True, blank=True)
    held_count = models.PositiveIntegerField(default=0, help_text="How many would vanish")
    held_live = models.PositiveIntegerField(default=0, help_text="How many were live")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]
        verbose_name = "inventory source"
        permissions: ClassVar[list[tuple[str, str]]] = [
            ("run_inventorysource", "Can run, dry-run, confirm or discard a pass of a source"),
        ]

    def __str__(self):
        return self.name

    @property
    def stream_name(self) -> str:
        """The source's sync stream (StreamState, SyncRun rows)."""
        return f"cmp.resources.{self.name}"

    @property
    def metrics_stream_name(self) -> str:
        """The source's metrics stream."""
        return f"cmp.metrics.{self.name}"

    @property
    def is_held(self) -> bool:
        """Whether a pass waits for a supervisor's decision."""
        return self.held_run is not None
