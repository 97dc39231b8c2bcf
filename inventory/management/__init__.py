"""The inventory app's management commands."""
