"""Serializers of the inventory API: a resource with its children, a source (censored), a sample."""

from __future__ import annotations

from rest_framework import serializers

from inventory.models import InventorySource, MetricSample, Resource
from inventory.secrets import censored, scrub, secret_values


class ResourceSerializer(serializers.ModelSerializer):
    """A resource as we keep it: its key fields, typed columns, `base` and `details` as listed,
    its metadata (`{namespace: {key: value}}`), IP addresses and outgoing connections, and when
    it was first and last seen (a live resource: its source's last complete pass)."""

    source = serializers.CharField(source="source.name", read_only=True)
    metadata = serializers.SerializerMethodField()
    ip_addresses = serializers.SerializerMethodField()
    connections = serializers.SerializerMethodField()
    first_seen = serializers.DateTimeField(source="first_seen_at", read_only=True)
    last_seen = serializers.DateTimeField(source="seen_at", read_only=True)

    class Meta:
        model = Resource
        fields = (
            "id", "source", "type", "upstream_id", "name", "account", "region", "country",
            "location", "locations", "provider_created_at", "native_portal_link", "state",
            "provider_state", "type_id", "instance_type", "image", "cpu_cores", "cpu_hz", "ram_b",
            "size_b", "zone", "encrypted", "iops", "is_virtual", "base", "details", "metadata",
            "ip_addresses", "connections", "gone_at", "gone_reason", "first_seen", "last_seen",
        )  # fmt: skip

    def get_metadata(self, obj) -> dict:
        """{namespace: {key: value}}, from the prefetched rows."""
        out: dict = {}
        for row in obj.metadata.all():
            out.setdefault(row.namespace, {})[row.key] = row.value
        return out

    def get_ip_addresses(self, obj) -> list[dict]:
        """Its IP addresses, with the network they are on when the source says."""
        return [
            {
                "ip_address": a.ip_address,
                "network_id": a.network_id,
                "network_name": a.network_name,
                "description": a.description,
            }
            for a in obj.addresses.all()
        ]

    def get_connections(self, obj) -> list[dict]:
        """Outgoing edges; `target` is the target's key when it is mirrored, else null (dangling)."""
        return [
            {
                "kind": c.kind,
                "target_type": c.target_type,
                "target_id": c.target_upstream_id,
                "target": c.target_key if getattr(c, "target_exists", False) else None,
            }
            for c in obj.connections.all()
        ]


class InventorySourceSerializer(serializers.ModelSerializer):
    """A source: its settings (secret parameters masked), how its last passes went, whether a
    pass is held and how many would vanish, and its live resources."""

    parameters = serializers.SerializerMethodField()
    last_error = serializers.SerializerMethodField()
    held = serializers.SerializerMethodField()
    resources = serializers.IntegerField(source="live_resources", read_only=True)

    class Meta:
        model = InventorySource
        fields = (
            "id", "name", "kind", "description", "enabled", "poll_minutes", "status", "parameters",
            "last_run_at", "last_success_at", "last_complete_at", "last_error", "held", "held_at",
            "resources",
        )  # fmt: skip

    def get_parameters(self, obj) -> dict:
        """The parameters with every secret value masked (`inventory.secrets.censored`)."""
        return censored(obj.parameters)

    def get_last_error(self, obj) -> str:
        """The last error in words, any secret of the parameters masked in it."""
        return scrub(obj.last_error, secret_values(obj.parameters))

    def get_held(self, obj) -> int | None:
        """How many live resources a held pass would mark gone; null when no pass is held."""
        return obj.held_count if obj.is_held else None


class MetricSampleSerializer(serializers.ModelSerializer):
    """One sample: its resource's key and name, the metric, when, the value and its unit."""

    resource = serializers.CharField(source="resource_id", read_only=True)
    resource_name = serializers.CharField(source="resource.name", read_only=True)

    class Meta:
        model = MetricSample
        fields = (
            "id",
            "resource",
            "resource_name",
            "metric",
            "time",
            "value",
            "unit",
            "counter",
            "specialisation",
        )
