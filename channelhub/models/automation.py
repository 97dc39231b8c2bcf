"""Automation's state (channelhub.automation): which processor runs where, what it decided.

- `ProcessorSetting`: a processor switched on (or into dry run) for one product or for all;
  no row, no automation: a processor does nothing until a supervisor enables it.
- `AutomationTask`: one processor asked about one object, and what it answered: the work
  queue (due, running, rescheduled) and the record of decisions staff read on the object's page.
- `Takeover`: a person took an object out of automation until they release it.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ProcessorSetting(models.Model):
    """Whether a processor runs, and in earnest or dry run, for one product ("" for every one).

    A product's own row wins over the all-products row, so "on everywhere but product X" and
    "dry run on X only" are both one row each.
    """

    processor = models.CharField(max_length=100)
    product_id = models.CharField(
        max_length=64, blank=True, default="", help_text="Empty: every product the processor handles"
    )
    enabled = models.BooleanField(default=True)
    dry_run = models.BooleanField(
        default=False, help_text="Record what the processor would decide, without doing it"
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.CharField(max_length=150, blank=True, default="")

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["processor", "product_id"], name="processor_setting_once"),
        ]
        permissions: ClassVar[list[tuple[str, str]]] = [
            ("run_processor", "Can enable, disable and run automation processors"),
        ]

    def __str__(self):
        where = self.product_id or "every product"
        mode = "off" if not self.enabled else ("dry run" if self.dry_run else "on")
        return f"{self.processor} for {where}: {mode}"


class TaskStatus(models.TextChoices):
    """Where one processor's work on one object stands."""

    DUE = "due", "Due"
    RUNNING = "running", "Running"
    RESCHEDULED = "rescheduled", "Rescheduled"
    DECIDED = "decided", "Decided (action queued)"
    DRY_RUN = "dry_run", "Dry run (not done)"
    SKIPPED = "skipped", "Skipped"
    REFUSED = "refused", "Refused"
    FAILED = "failed", "Failed"
    DROPPED = "dropped", "Not needed any more"


# Still work to do (at most one such task per processor and object: the dedupe).
TaskStatus.OPEN_STATES = (TaskStatus.DUE, TaskStatus.RUNNING, TaskStatus.RESCHEDULED)


class AutomationTask(models.Model):
    """One processor's turn on one object: queued when the sync brings the object in a status
    the processor subscribes to, run by a worker, closed with the decision (and the outbox
    action it became), a skip, a refusal, or a failure with its traceback."""

    processor = models.CharField(max_length=100)
    version = models.CharField(max_length=32, blank=True, default="")
    event_type = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=255)
    product_id = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=16, choices=TaskStatus.choices, default=TaskStatus.DUE)
    dry_run = models.BooleanField(default=False)
    decision = models.CharField(
        max_length=32, blank=True, default="", help_text="approve, inquire, fail, ..."
    )
    detail = models.JSONField(
        default=dict, blank=True, help_text="The decision's data (template, errors, ...)"
    )
    reason = models.TextField(blank=True, default="", help_text="Why, in the processor's words")
    error = models.TextField(blank=True, default="", help_text="The last exception, its traceback cut")
    attempts = models.PositiveIntegerField(default=0)
    next_run_at = models.DateTimeField(default=timezone.now)
    running_since = models.DateTimeField(null=True, blank=True)
    action = models.ForeignKey(
        "channelhub.UpstreamAction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="decisions",
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["processor", "target_type", "target_id"],
                condition=Q(status__in=["due", "running", "rescheduled"]),
                name="one_open_task_per_processor_target",
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["status", "next_run_at"], name="automation_due"),
            models.Index(fields=["target_type", "target_id", "-created_at"], name="automation_target"),
            models.Index(fields=["processor", "status", "decision"], name="automation_summary"),
            models.Index(fields=["status", "-finished_at"], name="automation_finished"),
        ]

    def __str__(self):
        return f"{self.processor} on {self.target_id}: {self.status}"

    @property
    def is_open(self) -> bool:
        """Whether the task still has work to do (due, running or rescheduled)."""
        return self.status in TaskStatus.OPEN_STATES


class Takeover(models.Model):
    """A person holds this object: no processor is asked about it until they release it."""

    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    user_name = models.CharField(max_length=150, blank=True, default="")
    note = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["target_type", "target_id"], name="one_takeover_per_target"),
        ]

    def __str__(self):
        return f"{self.target_id} held by {self.user_name or 'someone'}"
