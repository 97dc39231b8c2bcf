"""The inventory app's models: the sources we read (`sources`), the resources they list with
their child rows (`resources`), and metrics (`metrics`)."""

from .metrics import MetricMapping, MetricSample
from .resources import Resource, ResourceAddress, ResourceConnection, ResourceMetadata
from .sources import InventorySource, SourceKind, SourceStatus

__all__ = [
    "InventorySource",
    "MetricMapping",
    "MetricSample",
    "Resource",
    "ResourceAddress",
    "ResourceConnection",
    "ResourceMetadata",
    "SourceKind",
    "SourceStatus",
]
