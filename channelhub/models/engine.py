"""The sync engine's state: one `StreamState` per stream (cursor, lock) and a `SyncRun` per run."""

from typing import ClassVar

from django.db import models
from django.utils import timezone


class SyncTrigger(models.TextChoices):
    """What started a sync run: a schedule, `manage.py sync`, a backfill, or staff in the admin."""

    SCHEDULE = "schedule", "Schedule"
    COMMAND = "command", "Command"
    BACKFILL = "backfill", "Backfill"
    MANUAL = "manual", "Manual (admin)"


class SyncRunStatus(models.TextChoices):
    """Where a sync run stands; a `skipped` one never started (no upstream configured, or already running)."""

    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"

    # Named groups (house style): what counts as finished.
    @classmethod
    def finished(cls):
        """The statuses of a run that has ended (every status but `running`)."""
        return (cls.SUCCEEDED, cls.FAILED, cls.SKIPPED)


class StreamState(models.Model):
    """One row per stream: where the stream has got to, and who holds its lock.

    `cursor` is written in the same transaction as every page, so a crash resumes exactly
    where the last committed page left off. The lock is a lease (`locked_until`), taken and
    renewed by conditional UPDATEs that work the same on SQLite and PostgreSQL; a worker that
    dies lets its lease run out, or is found dead at once when it ran on this host (see
    `channelhub.sync.lock`). The cursor only ever moves forward.
    """

    stream = models.CharField(primary_key=True, max_length=64)
    cursor = models.JSONField(default=dict, blank=True)
    locked_by = models.CharField(max_length=64, blank=True, default="")
    locked_until = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    # Streams run by the dispatcher (provided streams, `channelhub.sync.dispatch`): when a
    # supervisor paused it (not due until resumed), and when its task was handed to the
    # broker and has not started yet (so the next tick does not hand it over again).
    paused_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "stream state"

    def __str__(self):
        return self.stream


class SyncRun(models.Model):
    """One run of one stream: who started it, how far it got, what it wrote, how it ended."""

    stream = models.CharField(max_length=64, db_index=True)
    trigger = models.CharField(max_length=16, choices=SyncTrigger.choices, default=SyncTrigger.COMMAND)
    status = models.CharField(max_length=16, choices=SyncRunStatus.choices, default=SyncRunStatus.RUNNING)
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    window_since = models.DateTimeField(
        null=True, blank=True, help_text="Lower bound of the upstream update time read"
    )
    window_until = models.DateTimeField(null=True, blank=True, help_text="Upper bound (backfill only)")
    pages = models.PositiveIntegerField(default=0)
    fetched = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    total_estimate = models.PositiveIntegerField(null=True, blank=True)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent, from the upstream's count")
    error = models.TextField(blank=True, default="")
    error_detail = models.JSONField(default=dict, blank=True, help_text="Upstream status, code and messages")
    # The lock owner of the run (host:pid:start:uuid): a `running` run whose owner no longer
    # holds its stream's lock lost its worker, and is closed as failed ("worker lost").
    owner = models.CharField(max_length=64, blank=True, default="")
    # Rows written per model ("app_label.model": created/updated/unchanged): a page may write
    # several models (a conversation and its messages); the columns above count the main one.
    model_counts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-started_at"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["stream", "-started_at"], name="syncrun_stream_started"),
            # "what failed lately" / "what the scheduler ran": the API and admin filters.
            models.Index(fields=["status", "-started_at"], name="syncrun_status_started"),
            models.Index(fields=["trigger", "-started_at"], name="syncrun_trigger_started"),
        ]
        permissions: ClassVar[list[tuple[str, str]]] = [
            ("run_sync", "Can start a sync run from the back office")
        ]

    def __str__(self):
        return f"{self.stream} #{self.pk} ({self.status})"

    @property
    def duration(self):
        """How long the run took; None while it is still running."""
        if self.finished_at:
            return self.finished_at - self.started_at
        return None


class ListedKey(models.Model):
    """A key one run of a reconciling stream listed, for a `ListedAsideMirror` model (see there).

    Written by the engine in each page's transaction; read when the pass is reconciled, then
    dropped. The keys of a pass that a stream keeps (an inventory pass held for a supervisor's
    decision) stay until that decision; leftovers of a dead worker's run go at the stream's
    next run.
    """

    stream = models.CharField(max_length=64)
    run = models.BigIntegerField()
    model = models.CharField(max_length=100, help_text="app_label.model of the listed row")
    key = models.CharField(max_length=255)

    class Meta:
        verbose_name = "listed key"
        constraints: ClassVar[list] = [
            models.UniqueConstraint(fields=["run", "model", "key"], name="listedkey_run_model_key"),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["stream", "run"], name="listedkey_stream_run")
        ]

    def __str__(self):
        return f"{self.stream} #{self.run}: {self.key}"
