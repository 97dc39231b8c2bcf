"""The core app's configuration: what channelhub wires up once the apps are loaded."""

from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate

from channelhub import registry, taskguard
from channelhub.roles import ensure_roles
from channelhub.sync.registry import check_streams
from channelhub.upstream.channel import ChannelClient
from channelhub.upstream.connect import ConnectClient


class ChannelhubConfig(AppConfig):
    """The core app: sync engine state, the outbox, the sandbox and shared plumbing."""

    name = "channelhub"
    verbose_name = "channelhub"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        """Register the core's upstreams, its checks and signal handlers, and the task guard."""
        _register_upstreams()
        # The read API caches permissions; its signal handlers keep that cache right.
        from channelhub.api import permissions  # noqa: F401, PLC0415 - needs the auth models loaded

        checks.register(check_streams)  # a stream declared wrong fails at start-up, not at run time
        from channelhub.actions.checks import check_actions  # noqa: PLC0415 - reads models' meta

        checks.register(check_actions)  # so does a staff action declared wrong (not at send time)
        from channelhub.automation.processors import load_plugins  # noqa: PLC0415 - reads settings

        load_plugins()  # processors of plug-in modules (settings.AUTOMATION_PLUGINS)
        # Only channelhub's own tasks are stored as schedules or sent to the worker.
        taskguard.connect()
        # Keep the roles' permissions current as apps add models (see channelhub/roles.py).
        post_migrate.connect(_ensure_roles_once, sender=self, dispatch_uid="channelhub.ensure_roles")
        self._ensure_roles = ensure_roles


def _register_upstreams() -> None:
    """The upstream clients of the core (channelhub.upstream), by the name streams give."""
    registry.register_upstream(
        registry.Upstream(
            "connect",
            ConnectClient.from_settings,
            ConnectClient.is_configured,
            "Connect is not configured (CONNECT_API_URL / CONNECT_API_KEY are empty)",
        )
    )
    registry.register_upstream(
        registry.Upstream(
            "channel",
            ChannelClient.from_settings,
            ChannelClient.is_configured,
            "Cloud Channel is not configured (CHANNEL_API_URL / CHANNEL_ACCOUNT_ID / "
            "CHANNEL_CREDENTIALS_FILE / CHANNEL_ADMIN_EMAIL are empty)",
        )
    )


def _ensure_roles_once(sender, apps=None, using="default", **kwargs):
    ensure_roles()
