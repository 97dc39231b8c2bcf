"""The inventory app's configuration: its declarations to the core, from `ready()`."""

from django.apps import AppConfig

from channelhub import registry


class InventoryConfig(AppConfig):
    """CMP inventory in the nflex connector format (later issue)."""

    name = "inventory"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        """Grant the readonly role view of every model of the app."""
        registry.grant_view("inventory")  # readonly sees every model the app will have
