"""The staff roles (and the system actor's), as Django groups with exactly the permissions they need.

- readonly: view everything mirrored and the engine's state;
- support: readonly + the everyday actions each app grants (requests, tier config requests,
  Channel entitlements and customers);
- supervisor: support + retry or cancel failed actions, start, pause and resume scheduled
  syncs (`run_sync`, audited), and the irreversible actions each app grants (cancel an
  entitlement, delete a customer, partner link states);
- system: the service user that commands and automation act as (channelhub.actors):
  supervisor's permissions, plus issuing and revoking API tokens (for `issue_api_token`).

No role may add, change or delete a django-q schedule or resubmit a task: a schedule names a
function the worker runs, so schedules are code (`setup_schedules`, `channelhub.taskguard`).

Groups are created by a data migration and kept current after every `migrate` (a model added
later gets its view permission without a new migration). Services check these permissions;
the UI only hides what a role cannot do.
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions

from channelhub import registry

# What the core grants of its own; each domain app adds its view_* and its actions from its
# AppConfig.ready() (channelhub.registry.grant_view / grant).
VIEW_CORE_MODELS = (
    "syncrun", "streamstate", "upstreamaction", "auditevent", "queuetarget",
    "processorsetting", "automationtask", "takeover",
)  # fmt: skip

SUPPORT_EXTRA: tuple[str, ...] = ()
SUPERVISOR_EXTRA = (
    "channelhub.retry_upstreamaction",
    "channelhub.cancel_upstreamaction",
    "channelhub.run_sync",
    # automation: processors on, off, dry run, run now (channelhub.automation.services)
    "channelhub.run_processor",
    # the dashboard's targets per queue and product (channelhub.admin.targets)
    "channelhub.add_queuetarget",
    "channelhub.change_queuetarget",
    "channelhub.delete_queuetarget",
    "django_q.view_schedule",
    "django_q.view_success",
    "django_q.view_failure",
)
SYSTEM_EXTRA = (
    "channelhub.add_apitoken",
    "channelhub.change_apitoken",
)

READONLY, SUPPORT, SUPERVISOR, SYSTEM = "readonly", "support", "supervisor", "system"


def ensure_roles(apps=None, **kwargs) -> None:
    """Create the groups and set their permissions (idempotent; also a post_migrate hook)."""
    if apps is None:
        apps = global_apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for app_config in apps.get_app_configs():
        # Permissions are normally created after migrate; make sure they exist now (inside a
        # migration the app configs are stubs without `models_module`, which the call needs).
        previous = getattr(app_config, "models_module", None)
        app_config.models_module = previous or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = previous

    def perms(codes):
        out = []
        for code in codes:
            app_label, codename = code.split(".", 1)
            out.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
        return out

    view = list(
        Permission.objects.filter(
            content_type__app_label__in=registry.view_apps(), codename__startswith="view_"
        )
    ) + list(
        Permission.objects.filter(
            content_type__app_label="channelhub", codename__in=[f"view_{m}" for m in VIEW_CORE_MODELS]
        )
    )
    support = view + perms(SUPPORT_EXTRA + registry.grants(SUPPORT))
    supervisor = support + perms(SUPERVISOR_EXTRA + registry.grants(SUPERVISOR))
    system = supervisor + perms(SYSTEM_EXTRA + registry.grants(SYSTEM))
    for name, granted in ((READONLY, view), (SUPPORT, support), (SUPERVISOR, supervisor), (SYSTEM, system)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(granted)
