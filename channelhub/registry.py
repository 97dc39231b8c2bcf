"""One registry of what the apps bring, filled from each app's `AppConfig.ready()`.

NetBox's habit (`netbox/registry.py`): named stores, each filled at start-up by the apps and
fixed once start-up is over, so the core (`channelhub/`) never names a domain app. An app
declares itself in its `ready()`:

    from channelhub import registry

    registry.register_streams("usage.streams")            # modules with a STREAMS list
    registry.register_stream_provider(source_streams)      # () -> the streams made from rows now
    registry.grant("support", "usage.act_usagefile")       # role grants, beyond view_*
    registry.grant_view("usage")                           # readonly sees every model of the app
    registry.register_api(ApiMount("usage", "usage.api.urls", {"files": "usage-file-list"}))
    registry.register_queue(Queue("Usage files to accept", "admin:usage_usagefile_changelist", ...))
    registry.register_upstream(Upstream("nflex", NflexClient.from_settings, ...))  # a stream's `upstream`
    registry.register_action(ActionSpec(kind="usage.file.accept", ...))  # a staff action
    registry.register_sandbox_module("inventory.sandbox:CmpFeedModule")  # served by `manage.py sandbox`
    registry.register_dashboard_module("usage.dashboard")  # its WIDGETS and NAV_GROUPS
    registry.register_automation_module("usage.automation")  # its SUBJECTS and PROCESSORS

A store is frozen the first time it is read: registering after that (after start-up, when
the registry has been used) raises, because whoever read it already acted on a list that
would then be wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module


class RegistryFrozen(RuntimeError):
    """Something registered after the registry was read: register in AppConfig.ready()."""


class Store:
    """A named list that is filled at start-up and frozen on first read."""

    def __init__(self, name: str):
        self.name = name
        self._items: list = []
        self._frozen = False

    def add(self, item) -> None:
        """Add `item`; refused once the store was read, or if it is there already."""
        if self._frozen:
            raise RegistryFrozen(
                f"registry store {self.name!r} was already read; register in AppConfig.ready()"
            )
        if item in self._items:
            raise ValueError(f"{item!r} is registered twice in {self.name!r}")
        self._items.append(item)

    def items(self) -> tuple:
        """What the store holds, in order; the store is frozen from now on."""
        self._frozen = True
        return tuple(self._items)


@dataclass(frozen=True)
class ApiMount:
    """A domain app's part of the read API: `/api/v1/<prefix>/` served by `urlconf`.

    `root` is what the API root lists for it: {key: URL name of a list endpoint}.
    """

    prefix: str
    urlconf: str
    root: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Queue:
    """A link to a filtered admin list on the back office's first page (a staff queue).

    `perm` decides who sees it; `hint_without_email` is shown to a user with no e-mail
    address when the queue matches people by e-mail ("assigned to me").
    """

    label: str
    url_name: str
    query: str
    perm: str
    hint_without_email: str = ""


@dataclass(frozen=True)
class Upstream:
    """An upstream a stream can read: how to build its client from settings, and whether
    the settings are there (a stream of an upstream that is not configured is skipped)."""

    name: str
    from_settings: object  # () -> client
    is_configured: object  # () -> bool
    not_configured_reason: str


@dataclass(frozen=True)
class Grant:
    """A permission (`app_label.codename`) a role gets beyond `view_*`."""

    role: str
    perm: str


STORES = {
    name: Store(name)
    for name in (
        "stream_modules",  # dotted module paths, each with a STREAMS list (`sync --all` order)
        "stream_providers",  # callables () -> iterable of streams made at run time from rows
        "api_mounts",  # ApiMount
        "view_apps",  # app labels whose view_* permissions the readonly role gets
        "role_grants",  # Grant(role, "app_label.codename")
        "queues",  # Queue, in the order shown
        "dashboard_widgets",  # channelhub.dashboard.Widget, in the order shown on /admin/
        "nav_groups",  # channelhub.dashboard.NavGroup: the admin's navigation by work
        "upstreams",  # Upstream
        "sandbox_modules",  # "package.module:Class" of a SandboxModule an app adds to the sandbox
        "demo_setups",  # callables (sandbox_url) -> None run by `make run` once the sandbox is up
    )
}


# --- staff actions: one ActionSpec per kind (channelhub.actions.specs) ------------------------

STORES["actions"] = Store("actions")


def register_action(spec) -> None:
    """Declare one staff action (an `ActionSpec`); its executor is built from it."""
    if any(known.kind == spec.kind for known in STORES["actions"]._items):
        raise ValueError(f"action kind {spec.kind!r} is registered twice")
    STORES["actions"].add(spec)


def action_specs() -> tuple:
    """Every registered ActionSpec, in registration order."""
    return STORES["actions"].items()


# --- end of staff actions ----------------------------------------------------------------------


def register_streams(module: str) -> None:
    """Register a module with a `STREAMS` list (its streams run in `sync --all` order)."""
    STORES["stream_modules"].add(module)


def register_stream_provider(provider) -> None:
    """Register `provider`, a callable returning the streams it provides *now* (one per
    configured source row, say). It is called whenever the streams are listed (every
    dispatcher tick, every command), so rows added at run time are picked up without a
    deploy; it should be cheap (one query). Its streams run through the dispatcher
    (`channelhub.sync.dispatch`), each at its own `schedule_minutes`."""
    STORES["stream_providers"].add(provider)


def register_api(mount: ApiMount) -> None:
    """Mount an app's read API under `/api/v1/<prefix>/`."""
    STORES["api_mounts"].add(mount)


def grant_view(app_label: str) -> None:
    """Give the readonly role every `view_*` permission of the app."""
    STORES["view_apps"].add(app_label)


def grant(role: str, *perms: str) -> None:
    """Give `role` these permissions (`app_label.codename`)."""
    for perm in perms:
        STORES["role_grants"].add(Grant(role, perm))


def register_queue(queue: Queue) -> None:
    """Show a staff queue on the back office's first page (in registration order)."""
    STORES["queues"].add(queue)


def register_upstream(upstream: Upstream) -> None:
    """Register an upstream that streams can name in their `upstream`."""
    STORES["upstreams"].add(upstream)


def upstream(name: str) -> Upstream:
    """The upstream called `name`; LookupError naming the registered ones if none."""
    for item in STORES["upstreams"].items():
        if item.name == name:
            return item
    known = ", ".join(u.name for u in STORES["upstreams"].items())
    raise LookupError(f"no upstream {name!r} in the registry (known: {known})")


def stream_modules() -> tuple[str, ...]:
    """The registered STREAMS modules, in order."""
    return STORES["stream_modules"].items()


def stream_providers() -> tuple:
    """The registered stream providers, in registration order."""
    return STORES["stream_providers"].items()


def api_mounts() -> tuple[ApiMount, ...]:
    """The apps' API mounts."""
    return STORES["api_mounts"].items()


def view_apps() -> tuple[str, ...]:
    """The app labels whose `view_*` permissions the readonly role gets."""
    return STORES["view_apps"].items()


def grants(role: str) -> tuple[str, ...]:
    """The permissions the apps grant `role`."""
    return tuple(g.perm for g in STORES["role_grants"].items() if g.role == role)


def queues() -> tuple[Queue, ...]:
    """The staff queues, in the order shown."""
    return STORES["queues"].items()


def register_sandbox_module(path: str) -> None:
    """Add a fake upstream to the sandbox: `"package.module:Class"`, a `SandboxModule`
    (channelhub/sandbox/module.py) that imports no Django. A path, not the class: product code
    never imports sandbox code; the sandbox command loads it (docs/sandbox.md)."""
    module, _, name = path.partition(":")
    if not module or not name:
        raise ValueError(f"sandbox module {path!r} is not 'package.module:Class'")
    STORES["sandbox_modules"].add(path)


def sandbox_modules() -> tuple[str, ...]:
    """The sandbox modules the apps add, as "package.module:Class" paths, in registration order."""
    return STORES["sandbox_modules"].items()


def register_demo_setup(setup) -> None:
    """What `make run` (`run_demo`) does for the app once the sandbox is up, e.g. register a
    demo source on it: `setup(sandbox_url)`, idempotent (it runs at every start)."""
    STORES["demo_setups"].add(setup)


def demo_setups() -> tuple:
    """The apps' demo set-ups, in registration order."""
    return STORES["demo_setups"].items()


# --- the dashboard and the navigation (channelhub.dashboard) ----------------------------------


def register_dashboard_widget(widget) -> None:
    """Show `widget` on the back office's first page (in registration order, the core's own
    after the apps'). A widget is a `channelhub.dashboard.Widget`: a title, the permission a
    user needs to see it, a template, and `context(user)` giving that template its figures."""
    STORES["dashboard_widgets"].add(widget)


def dashboard_widgets() -> tuple:
    """The apps' dashboard widgets, in registration order."""
    return STORES["dashboard_widgets"].items()


def register_nav_group(group) -> None:
    """Put admin models in a navigation group (a `channelhub.dashboard.NavGroup`): the admin's
    app list and sidebar show the work groups in their `order`, not the apps in alphabet."""
    STORES["nav_groups"].add(group)


def nav_groups() -> tuple:
    """The apps' navigation groups, in registration order."""
    return STORES["nav_groups"].items()


def register_dashboard_module(path: str) -> None:
    """Register what an app's dashboard module declares: its `WIDGETS` (each registered with
    `register_dashboard_widget`) and its `NAV_GROUPS` (`register_nav_group`). Imported now,
    from the app's `ready()`, so a widget declared wrong fails at start-up."""
    module = import_module(path)
    for widget in getattr(module, "WIDGETS", ()):
        register_dashboard_widget(widget)
    for group in getattr(module, "NAV_GROUPS", ()):
        register_nav_group(group)


# --- automation (channelhub.automation) -------------------------------------------------------

STORES["processors"] = Store("processors")  # Processor classes (channelhub.automation.contract)
STORES["automation_subjects"] = Store("automation_subjects")  # channelhub.automation.subjects.Subject


def register_processor(processor) -> None:
    """Offer a processor (a `channelhub.automation.Processor` subclass); it runs nowhere until a
    supervisor enables it (`processors enable`, or the admin)."""
    if not getattr(processor, "name", ""):
        raise ValueError(f"processor {processor!r} has no name")
    if any(known.name == processor.name for known in STORES["processors"]._items):
        raise ValueError(f"processor {processor.name!r} is registered twice")
    STORES["processors"].add(processor)


def processors() -> tuple:
    """Every registered processor class, in registration order."""
    return STORES["processors"].items()


def register_automation_subject(subject) -> None:
    """Let processors decide on a model's rows (a `channelhub.automation.subjects.Subject`)."""
    STORES["automation_subjects"].add(subject)


def automation_subjects() -> tuple:
    """Every registered automation subject."""
    return STORES["automation_subjects"].items()


def register_automation_module(path: str) -> None:
    """Register what an app's automation module declares: its `SUBJECTS` and `PROCESSORS`.
    Imported now, from the app's `ready()`, so a processor declared wrong fails at start-up."""
    module = import_module(path)
    for subject in getattr(module, "SUBJECTS", ()):
        register_automation_subject(subject)
    for processor in getattr(module, "PROCESSORS", ()):
        register_processor(processor)
