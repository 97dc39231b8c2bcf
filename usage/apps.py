"""The usage app's configuration: its declarations to the core, from `ready()`."""

from django.apps import AppConfig


class UsageConfig(AppConfig):
    """Connect usage files, records and chunks, listings, recurring assets and billing requests,
    and the usage reports we build and upload."""

    name = "usage"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        """Declare the app to the core (registration.py)."""
        from . import registration  # noqa: PLC0415 - needs loaded models

        registration.register()
