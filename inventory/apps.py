from django.apps import AppConfig


class InventoryConfig(AppConfig):
    """CMP inventory in the nflex connector format (later issue)."""

    name = "inventory"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from channelhub import registry

        registry.grant_view("inventory")  # readonly sees every model the app will have
