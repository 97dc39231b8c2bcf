"""The outbox and the audit trail (DESIGN.md section 3).

`UpstreamAction`: what a person asked an upstream to do, recorded in the same transaction
as the check that allowed it, then sent by a worker, retried, and finished with the
upstream's answer. `AuditEvent`: who did what to which object, before and after.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ActionStatus(models.TextChoices):
    """Where an outbox action stands; OPEN_STATES still hold the target, FINISHED_STATES do not."""

    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SUCCEEDED = "succeeded", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


# Named groups: an open action still holds its target; a finished one does not.
ActionStatus.OPEN_STATES = (ActionStatus.QUEUED, ActionStatus.SENDING)
ActionStatus.FINISHED_STATES = (ActionStatus.SUCCEEDED, ActionStatus.FAILED, ActionStatus.CANCELLED)


class UpstreamAction(models.Model):
    """One staff intent towards an upstream (approve PR-..., fail TCR-..., ...).

    At most one open (queued or sending) action per target, enforced by the database, so two
    people clicking at once cannot both act. `maybe_applied` records that an earlier attempt
    may have reached the upstream (a timeout, a reset): before sending again the worker reads
    the object upstream and takes "already in the target state" as success, because Connect
    has no idempotency keys. `idempotency_key` is sent where the upstream has them (Cloud
    Channel's requestId) and identifies the action in logs either way.
    """

    kind = models.CharField(max_length=64, db_index=True, help_text="e.g. connect.request.approve")
    target_type = models.CharField(max_length=64, help_text="app_label.model of the mirrored object")
    target_id = models.CharField(max_length=255, help_text="Upstream id or resource name")
    payload = models.JSONField(default=dict, blank=True, help_text="What to send (never secrets)")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="upstream_actions",
    )
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    correlation_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    status = models.CharField(max_length=16, choices=ActionStatus.choices, default=ActionStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    maybe_applied = models.BooleanField(default=False)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sending_since = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    error_code = models.CharField(max_length=64, blank=True, default="")
    error_detail = models.JSONField(default=dict, blank=True)
    response = models.JSONField(null=True, blank=True, help_text="The upstream's answer")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["target_type", "target_id"],
                condition=Q(status__in=["queued", "sending"]),
                name="one_open_action_per_target",
                violation_error_message="Another action on this object is still being sent.",
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["status", "next_attempt_at"], name="action_due"),
            models.Index(fields=["target_type", "target_id", "-created_at"], name="action_target"),
            # The dashboard's latest failed actions (and the "failed" queue, newest first).
            models.Index(fields=["status", "-created_at"], name="action_status_created"),
        ]
        permissions: ClassVar[list[tuple[str, str]]] = [
            ("retry_upstreamaction", "Can retry a failed upstream action"),
            ("cancel_upstreamaction", "Can cancel a queued or failed upstream action"),
        ]

    def __str__(self):
        return f"{self.kind} {self.target_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        """Whether the action is queued or sending, so it still holds its target."""
        return self.status in ActionStatus.OPEN_STATES

    @property
    def verb(self) -> str:
        """The last word of the kind, for people: approve, inquire, fail..."""
        return self.kind.rsplit(".", 1)[-1].replace("_", " ")


class AuditEvent(models.Model):
    """Who or what did what to which object, with the state before and after (append-only)."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    actor_name = models.CharField(
        max_length=150, blank=True, default="", help_text="Kept if the user is deleted"
    )
    action = models.CharField(
        max_length=64, help_text="e.g. request.approve.queued, request.approve.succeeded"
    )
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=255, help_text="Upstream id or resource name")
    upstream_action = models.ForeignKey(
        UpstreamAction, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    correlation_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    message = models.TextField(blank=True, default="")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["target_type", "target_id", "-created_at"], name="audit_target"),
            models.Index(fields=["action", "-created_at"], name="audit_action_created"),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_name or 'system'} {self.action} {self.target_id}"
