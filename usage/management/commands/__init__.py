"""usage_import and the other usage commands."""
