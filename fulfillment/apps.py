"""The fulfillment app's configuration: one app (label `fulfillment`) for Connect and Cloud Channel."""

from django.apps import AppConfig

from channelhub import registry


class FulfillmentConfig(AppConfig):
    """Connect fulfillment and Cloud Channel: products, assets, requests, tier configs,
    conversations; customers, entitlements, offers, partner links."""

    name = "fulfillment"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        """Declare the app to the core: view grants for every model, then each side's registration."""
        from .channel import registration as channel  # noqa: PLC0415 - needs loaded models
        from .connect import registration as connect  # noqa: PLC0415 - needs loaded models

        registry.grant_view("fulfillment")
        connect.register()
        channel.register()
