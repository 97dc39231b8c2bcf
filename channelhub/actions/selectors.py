"""Reads of the outbox and the audit trail, for any target (HackSoft's selectors: services
write, selectors read). A target is named as the outbox records it: `target_type`
("app_label.model") and `target_id` (the upstream id). The detail pages, the progress poller
and the dashboard to come read through these; each is one query."""

from __future__ import annotations

from channelhub.models import ActionStatus, AuditEvent, UpstreamAction

RECENT_ACTIONS = 10
RECENT_AUDIT_EVENTS = 50


def open_action(*, target_type: str, target_id: str) -> UpstreamAction | None:
    """The target's action still queued or sending (at most one: the database enforces it)."""
    return (
        UpstreamAction.objects.filter(
            target_type=target_type, target_id=target_id, status__in=ActionStatus.OPEN_STATES
        )
        .select_related("actor")
        .first()
    )


def recent_actions(*, target_type: str, target_id: str, limit: int = RECENT_ACTIONS) -> list[UpstreamAction]:
    """The target's latest actions, newest first, with who asked (heavy columns deferred)."""
    return list(
        UpstreamAction.objects.filter(target_type=target_type, target_id=target_id)
        .select_related("actor")
        .defer("response", "error_detail")
        .order_by("-created_at", "-id")[:limit]
    )


def latest_action(*, target_type: str, target_id: str) -> UpstreamAction | None:
    """The target's newest action, its status and attempts only (what the progress poller shows)."""
    return (
        UpstreamAction.objects.filter(target_type=target_type, target_id=target_id)
        .only("id", "status", "kind", "attempts")
        .order_by("-created_at", "-id")
        .first()
    )


def actions_of_kind(*, kind: str, limit: int = 5) -> list[UpstreamAction]:
    """The latest actions of one kind, newest first: e.g. the customers being created, which
    have no target row yet."""
    return list(
        UpstreamAction.objects.filter(kind=kind)
        .select_related("actor")
        .defer("payload", "error_detail")
        .order_by("-created_at", "-id")[:limit]
    )


def audit_trail(*, target_type: str, target_id: str, limit: int = RECENT_AUDIT_EVENTS) -> list[AuditEvent]:
    """The target's audit events, newest first."""
    return list(
        AuditEvent.objects.filter(target_type=target_type, target_id=target_id).order_by(
            "-created_at", "-id"
        )[:limit]
    )
