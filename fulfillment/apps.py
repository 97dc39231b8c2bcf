from django.apps import AppConfig


class FulfillmentConfig(AppConfig):
    """Connect fulfillment: products, assets, requests, tier configs, conversations."""

    name = "fulfillment"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import executors  # noqa: F401  - registers the Connect action executors
        from .channel import executors as channel_executors  # noqa: F401  - and the Channel ones
