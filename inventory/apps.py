"""The inventory app's configuration: its declarations to the core, from `ready()`."""

from django.apps import AppConfig


class InventoryConfig(AppConfig):
    """CMP inventory in the nflex connector format: sources, the resources they list
    (reconciled per complete pass), their metrics."""

    name = "inventory"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        """Declare the app to the core (registration.py)."""
        from . import registration  # noqa: PLC0415 - needs loaded models

        registration.register()
