"""The back office's first page: widgets the apps declare, the core's own, and the navigation.

- `kit`: `Widget` (what a widget is), `NavGroup`, `Figure`, `bounded_counts`;
- `backlog`: `BacklogWidget` / `BacklogRow`, a queue's backlog by age band and target;
- `operations`: the core's widgets (sync health with "run now", the outbox and its chart);
- `automation`: failed decisions, the processors' backlog, dry runs to review;
- `nav`: the admin's app list regrouped by work (Connect, Cloud Channel, ..., Administration).

An app declares its widgets and navigation groups in `<app>/dashboard.py` (`WIDGETS`,
`NAV_GROUPS`), registered from its registration with
`channelhub.registry.register_dashboard_module`. See docs/backoffice.md.
"""

from __future__ import annotations

from channelhub import registry

from .automation import AutomationWidget
from .backlog import AGE_BANDS, AGE_BANDS_OR_NEVER, DEADLINE_BANDS, BacklogRow, BacklogWidget, Band
from .kit import CAP, Figure, NavGroup, Widget, bounded_counts, changelist_url
from .operations import SyncHealthWidget, UpstreamActionsWidget

__all__ = [
    "AGE_BANDS",
    "AutomationWidget",
    "AGE_BANDS_OR_NEVER",
    "CAP",
    "CORE_NAV_GROUPS",
    "CORE_WIDGETS",
    "DEADLINE_BANDS",
    "BacklogRow",
    "BacklogWidget",
    "Band",
    "Figure",
    "NavGroup",
    "SyncHealthWidget",
    "UpstreamActionsWidget",
    "Widget",
    "all_widgets",
    "bounded_counts",
    "changelist_url",
    "visible_widgets",
]

#: The core's widgets, after the apps' queues.
CORE_WIDGETS = (AutomationWidget(), UpstreamActionsWidget(), SyncHealthWidget())

#: The core's navigation groups: the engine and outbox, then what support staff never need.
CORE_NAV_GROUPS = (
    NavGroup(
        "Operations",
        order=50,
        models=(
            "channelhub.syncrun",
            "channelhub.streamstate",
            "django_q.schedule",
            "channelhub.upstreamaction",
            "channelhub.processorsetting",
            "channelhub.automationtask",
            "channelhub.auditevent",
            "channelhub.queuetarget",
            "channelhub.apitoken",
        ),
        apps=("django_q", "channelhub"),
    ),
    NavGroup("Administration", order=90, apps=("auth", "axes")),
)


def all_widgets() -> tuple[Widget, ...]:
    """Every widget: the apps' in registration order, then the core's."""
    return (*registry.dashboard_widgets(), *CORE_WIDGETS)


def visible_widgets(user) -> list[Widget]:
    """The widgets `user` may see, in page order."""
    return [w for w in all_widgets() if w.visible_to(user)]
