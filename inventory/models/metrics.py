"""Metrics a source reports for its resources, and how raw metrics are mapped."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from channelhub.models import MirroredModel

from .resources import Resource
from .sources import InventorySource


class MetricMapping(models.Model):
    """How a raw metric becomes a sample (nflex's `load_metric_mapping` entry): its name, unit,
    counter flag, specialisation and a conversion expression in the library's safe grammar
    (arithmetic, `A if x > y else B`, or SQL `CASE WHEN ... THEN ... ELSE ... END`; never eval).
    A mapping without a source applies to every source that has none of its own."""

    source = models.ForeignKey(
        InventorySource, null=True, blank=True, on_delete=models.CASCADE, related_name="metric_mappings"
    )
    key = models.CharField(max_length=128, help_text="The raw metric name the connector reports")
    name = models.CharField(max_length=128, blank=True, default="", help_text="Stored as (empty: the key)")
    unit = models.CharField(max_length=32, blank=True, default="")
    counter = models.BooleanField(default=False)
    specialisation = models.CharField(max_length=64, blank=True, default="")
    conversion_expr = models.TextField(
        blank=True, default="", help_text="e.g. value / 1024, or CASE WHEN ..."
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["key"]
        constraints: ClassVar[list] = [
            models.UniqueConstraint(fields=["source", "key"], name="metricmapping_source_key"),
        ]

    def __str__(self):
        return f"{self.key} -> {self.name or self.key}"

    def clean(self):
        """A conversion the library's parsers cannot read is refused, saying why."""
        from django.core.exceptions import ValidationError  # noqa: PLC0415 - beside its one use

        from inventory.metrics import check_expression  # noqa: PLC0415 - it imports these models

        problem = check_expression(self.conversion_expr or "")
        if problem:
            raise ValidationError({"conversion_expr": f"Not a conversion this parser reads: {problem}"})


class MetricSample(MirroredModel):
    """One value of one metric of one resource at one time, as the source's `get_metrics`
    reported it (`payload`), mapped (`MetricMapping`). Keyed by (resource, metric, time), so a
    window read twice (a retry, a backfill overlapping the last) writes each sample once."""

    id = models.CharField(primary_key=True, max_length=255)
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="samples")
    metric = models.CharField(max_length=128)
    time = models.DateTimeField()
    value = models.FloatField(null=True)
    unit = models.CharField(max_length=32, blank=True, default="")
    counter = models.BooleanField(default=False)
    specialisation = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering: ClassVar[list[str]] = ["resource", "metric", "time"]
        constraints: ClassVar[list] = [
            models.UniqueConstraint(
                fields=["resource", "metric", "time"], name="metricsample_resource_metric_time"
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["metric", "time"], name="metricsample_metric_time")
        ]

    def __str__(self):
        return f"{self.metric}@{self.time:%Y-%m-%d %H:%M}"
