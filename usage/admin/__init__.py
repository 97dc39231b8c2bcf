"""The usage app's admin pages."""
