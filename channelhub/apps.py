from django.apps import AppConfig


class ChannelhubConfig(AppConfig):
    """The core app: sync engine state, the outbox, the sandbox and shared plumbing."""

    name = "channelhub"
    verbose_name = "channelhub"
    default_auto_field = "django.db.models.BigAutoField"
