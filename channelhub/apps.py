from django.apps import AppConfig


class ChannelhubConfig(AppConfig):
    """The core app: sync engine state, the outbox, the sandbox and shared plumbing."""

    name = "channelhub"
    verbose_name = "channelhub"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_migrate

        from channelhub import taskguard
        from channelhub.roles import ensure_roles

        # Only channelhub's own tasks are stored as schedules or sent to the worker.
        taskguard.connect()
        # Keep the roles' permissions current as apps add models (see channelhub/roles.py).
        post_migrate.connect(_ensure_roles_once, sender=self, dispatch_uid="channelhub.ensure_roles")
        self._ensure_roles = ensure_roles


def _ensure_roles_once(sender, apps=None, using="default", **kwargs):
    from channelhub.roles import ensure_roles

    ensure_roles()
