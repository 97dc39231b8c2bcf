"""Serializers of channelhub's own objects (the engine's runs, the outbox, the audit trail)."""

from dj_rql.drf.serializers import RQLMixin
from django.contrib.auth import get_user_model
from rest_framework import serializers

from channelhub.models import AuditEvent, SyncRun, UpstreamAction


class ActorSerializer(RQLMixin, serializers.ModelSerializer):
    """The user who acted: id and username only."""

    class Meta:
        model = get_user_model()
        fields = ("id", "username")


class SyncRunSerializer(RQLMixin, serializers.ModelSerializer):
    """One run of one stream: what started it, how it ended, how far it got, what it wrote."""

    class Meta:
        model = SyncRun
        fields = (
            "id", "stream", "trigger", "status", "started_at", "finished_at", "window_since",
            "window_until", "pages", "fetched", "created", "updated", "unchanged",
            "total_estimate", "progress", "error", "error_detail",
        )  # fmt: skip


class UpstreamActionSerializer(RQLMixin, serializers.ModelSerializer):
    """An outbox action: a staff intent towards an upstream, its attempts and the upstream's answer."""

    actor = ActorSerializer(read_only=True)

    class Meta:
        model = UpstreamAction
        fields = (
            "id", "kind", "target_type", "target_id", "status", "actor", "idempotency_key",
            "correlation_id", "attempts", "maybe_applied", "next_attempt_at", "sending_since",
            "last_error", "error_code", "created_at", "updated_at", "finished_at",
            "payload", "response", "error_detail",
        )  # fmt: skip


class AuditEventSerializer(RQLMixin, serializers.ModelSerializer):
    """An audit event: who did what to which object, with the state before and after."""

    actor = ActorSerializer(read_only=True)
    upstream_action_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = AuditEvent
        fields = (
            "id", "created_at", "actor", "actor_name", "action", "target_type", "target_id",
            "upstream_action_id", "correlation_id", "message", "before", "after",
        )  # fmt: skip
