from django.apps import AppConfig


class InventoryConfig(AppConfig):
    """CMP inventory in the nflex connector format (later issue)."""

    name = "inventory"
    default_auto_field = "django.db.models.BigAutoField"
