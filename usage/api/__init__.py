"""The usage app's read API: /api/v1/connect/usage/... and /api/v1/connect/subscriptions/..."""
