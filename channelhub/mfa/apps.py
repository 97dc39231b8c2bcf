"""The MFA app's configuration: connects the login signals to the audit trail."""

from django.apps import AppConfig


class MfaConfig(AppConfig):
    """Staff MFA (no models of its own: django-otp's devices hold the secrets)."""

    name = "channelhub.mfa"
    label = "channelhub_mfa"
    verbose_name = "Staff MFA"

    def ready(self):
        """Connect the login, login-failed and logout receivers; take django-otp's device admins off.

        Devices are each staff member's own (`/admin/mfa/setup/`): nobody edits another's secret
        in the admin, and a lost device is reset with a one-time code from
        `manage.py addstatictoken USER` (docs/operations.md, "Staff MFA"). The admin's
        autodiscovery has run by now (django.contrib.admin is the first app).
        """
        from django.contrib import admin  # noqa: PLC0415 - the admin site is filled by now
        from django_otp.plugins.otp_static.models import StaticDevice  # noqa: PLC0415 - models loaded by now
        from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: PLC0415 - models loaded by now

        from channelhub.mfa import signals  # noqa: F401, PLC0415 - receivers need the auth app loaded

        for model in (TOTPDevice, StaticDevice):
            if admin.site.is_registered(model):
                admin.site.unregister(model)
