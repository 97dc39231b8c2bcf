"""What the fake Connect says about a product's usage: its reporting schema.

Pure and deterministic from the product id, so every seeded product reports usage under one
schema, on every run and in every helper (billing imports it too)."""

from __future__ import annotations

import zlib

#: Connect's usage schemas: quantity, tiered, price, category.
SCHEMAS = ("QT", "TR", "PR", "CR")


def usage_schema(product_id: str) -> str:
    """The usage schema ("QT", "TR", "PR" or "CR") product `product_id` reports under."""
    return SCHEMAS[zlib.crc32(product_id.encode("utf-8")) % len(SCHEMAS)]


__all__ = ["SCHEMAS", "usage_schema"]
