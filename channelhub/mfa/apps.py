"""The MFA app's configuration: connects the login signals to the audit trail."""

from django.apps import AppConfig


class MfaConfig(AppConfig):
    """Staff MFA (no models of its own: django-otp's devices hold the secrets)."""

    name = "channelhub.mfa"
    label = "channelhub_mfa"
    verbose_name = "Staff MFA"

    def ready(self):
        """Connect the login, login-failed and logout receivers."""
        from channelhub.mfa import signals  # noqa: F401, PLC0415 - receivers need the auth app loaded
