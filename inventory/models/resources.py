"""A CMP resource as a source lists it (nflex's serialized resource), and its child rows.

Keyed by (source, type, upstream id): nflex names "(id, type)" a resource's identity within
an account, and two sources may list the same ids (`Resource.key`). The typed columns are what
staff filter on; `base`, `details` and the raw payload (`payload`, without the per-call
`base.last_seen_at`, which changes at every serialization) sit beside them. Metadata, IP
addresses and connections are child rows, replaced with their resource when it changes.
"""

from __future__ import annotations

import hashlib
from typing import ClassVar

from django.db import models
from django.utils import timezone

from channelhub.models import ListedAsideMirror, MirroredModel
from channelhub.models.fields import string, when

from .sources import InventorySource

MAX_KEY = 200


class Resource(ListedAsideMirror):
    """One resource of one source (a server, a volume, ... or an account)."""

    upsert_keeps = ("first_seen_at",)  # set when the row is created, never rewritten by an upsert

    id = models.CharField(primary_key=True, max_length=MAX_KEY)
    source = models.ForeignKey(InventorySource, on_delete=models.CASCADE, related_name="resources")
    upstream_id = models.TextField(help_text="The id the source gives it")
    type = models.CharField(max_length=32, db_index=True)
    name = string(db_index=True)
    account = string(db_index=True, help_text="The CMP account it belongs to")
    region = string(128, db_index=True)
    country = string(128, db_index=True)
    location = string(help_text="Where it is, in words (first location level given)")
    locations = models.JSONField(default=list, blank=True, help_text="base.locations or base.regions")
    provider_created_at = when(db_index=True)
    native_portal_link = models.TextField(blank=True, default="")
    state = string(32, db_index=True, help_text="server state, or active/inactive for a SaaS user")
    provider_state = string(64)
    type_id = string(128, db_index=True, help_text="appliance, service offering, colo space or circuit kind")
    instance_type = string(128, db_index=True)
    image = string(db_index=True, help_text="The server's image, in words")
    cpu_cores = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    cpu_hz = models.BigIntegerField(null=True, blank=True)
    ram_b = models.BigIntegerField(null=True, blank=True, db_index=True)
    size_b = models.BigIntegerField(null=True, blank=True, db_index=True, help_text="volume size")
    zone = string(128, db_index=True, help_text="volume zone")
    encrypted = models.BooleanField(null=True, blank=True, db_index=True)
    iops = models.BigIntegerField(null=True, blank=True)
    is_virtual = models.BooleanField(null=True, blank=True)
    base = models.JSONField(default=dict, blank=True)
    details = models.JSONField(default=dict, blank=True, help_text="details.<type>")
    first_seen_at = models.DateTimeField(default=timezone.now, editable=False)
    last_seen_at = models.DateTimeField(
        default=timezone.now,
        editable=False,
        help_text="Stored when written or found gone; a live resource was seen by its source's last complete pass",
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["source", "type", "upstream_id"]
        constraints: ClassVar[list] = [
            models.UniqueConstraint(
                fields=["source", "type", "upstream_id"], name="resource_source_type_uid"
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["source", "gone_at"], name="resource_source_gone"),
            models.Index(fields=["upstream_id"], name="resource_upstream_id"),
            models.Index(fields=["type", "name"], name="resource_type_name"),
            # the API's last_seen filter: its stored half (gone resources, and live ones written
            # after their source's last pass); the by-pass half goes through the source
            models.Index(fields=["last_seen_at"], name="resource_last_seen"),
        ]

    def __str__(self):
        return f"{self.type} {self.name or self.upstream_id}"

    @staticmethod
    def key(source_id: int, type_: str, upstream_id: str) -> str:
        """The primary key of a source's resource; a very long id is shortened by digest."""
        key = f"{source_id}:{type_}:{upstream_id}"
        if len(key) <= MAX_KEY:
            return key
        return f"{source_id}:{type_}:#" + hashlib.sha256(upstream_id.encode()).hexdigest()

    @property
    def seen_at(self):
        """When it was last seen: its source's last complete pass while it is live."""
        if self.gone_at is None and self.source.last_complete_at:
            return max(self.source.last_complete_at, self.last_seen_at)
        return self.last_seen_at


class _Child(MirroredModel):
    id = models.CharField(primary_key=True, max_length=255)
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class ResourceMetadata(_Child):
    """One metadata value of a resource: nflex's `metadata.<namespace>.<key>`."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="metadata")
    namespace = models.CharField(max_length=64, db_index=True)
    key = models.CharField(max_length=255, db_index=True)
    value = models.JSONField(null=True, blank=True)
    value_text = string(db_index=True, help_text="The value as text (searchable; long values cut)")

    class Meta:
        ordering: ClassVar[list[str]] = ["namespace", "key"]
        verbose_name_plural = "resource metadata"

    def __str__(self):
        return f"{self.namespace}.{self.key}"


class ResourceAddress(_Child):
    """An IP address of a server (`details.server.ip_addresses`)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="addresses")
    ip_address = string(64, db_index=True)
    network_id = string()
    network_name = string()
    description = string()

    class Meta:
        ordering: ClassVar[list[str]] = ["ip_address"]
        verbose_name = "resource IP address"
        verbose_name_plural = "resource IP addresses"

    def __str__(self):
        return self.ip_address


class ResourceConnection(_Child):
    """A typed edge from a resource to another of the same source (nflex `connections`), which
    may not be listed (dangling); `target_key` is the key the target has or would have."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="connections")
    kind = models.CharField(
        max_length=32, help_text="The connections key as given (volume, servers, any, ...)"
    )
    target_type = models.CharField(max_length=32)
    target_upstream_id = models.TextField()
    target_key = models.CharField(max_length=MAX_KEY, db_index=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["kind", "target_upstream_id"]

    def __str__(self):
        return f"{self.kind} -> {self.target_upstream_id}"
