"""The usage app's configuration: its declarations to the core, from `ready()`."""

from django.apps import AppConfig

from channelhub import registry


class UsageConfig(AppConfig):
    """Connect usage files and records (later issue)."""

    name = "usage"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        """Grant the readonly role view of every model of the app."""
        registry.grant_view("usage")  # readonly sees every model the app will have
