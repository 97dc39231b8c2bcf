"""The inventory app's endpoint table, where the skeleton test finds it (every `tests/**/endpoints.py`):
the list routes under /api/v1/inventory/, each with a factory, the permission it needs and its
filter class (tests/inventory/test_inventory_api.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inventory import filters

from . import factories as f

PREFIX = "inventory/"


@dataclass(frozen=True)
class Endpoint:
    path: str  # list path under /api/v1/inventory/
    make: Any  # a callable that creates one row, returns it
    perm: str
    filter_cls: type

    def __str__(self):
        return self.path

    def url(self, query: str = "") -> str:
        return f"/api/v1/{PREFIX}{self.path}" + (f"?{query}" if query else "")


ENDPOINTS = [
    Endpoint("resources", f.ResourceFactory, "inventory.view_resource", filters.ResourceFilters),
    Endpoint(
        "sources", f.InventorySourceFactory, "inventory.view_inventorysource", filters.InventorySourceFilters
    ),
    Endpoint("metrics", f.MetricSampleFactory, "inventory.view_metricsample", filters.MetricSampleFilters),
]
