from django.apps import AppConfig


class UsageConfig(AppConfig):
    """Connect usage files and records (later issue)."""

    name = "usage"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from channelhub import registry

        registry.grant_view("usage")  # readonly sees every model the app will have
