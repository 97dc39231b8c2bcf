"""The inventory app's read API: /api/v1/inventory/resources, /sources and /metrics (our JSON)."""
