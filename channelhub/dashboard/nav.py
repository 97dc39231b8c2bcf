"""The admin's navigation by work: Django's app list regrouped into the registered `NavGroup`s.

The stock admin builds `app_list` (index) and `available_apps` (sidebar) per app, in alphabet;
the `admin/app_list.html` override draws `work_groups(app_list)` instead, with the stock
markup (the browser and permission tests read it). A model no group names stays in a group
of its own app's name, after the work groups and before Administration.
"""

from __future__ import annotations

from channelhub import registry

from . import CORE_NAV_GROUPS

OTHER_ORDER = 80  # apps no group takes: after the work, before Administration


def _groups():
    return sorted((*registry.nav_groups(), *CORE_NAV_GROUPS), key=lambda g: g.order)


def work_groups(app_list: list[dict]) -> list[dict]:
    """`app_list` (Django's: apps with their models) as work groups, each shaped like an app
    (`name`, `slug`, `models`), each model keeping its own `app_label`. Groups without a model the user may see are left out."""
    models = {}
    for app in app_list:
        for model in app["models"]:
            models[f"{app['app_label']}.{model['object_name'].lower()}"] = {
                **model,
                "app_label": app["app_label"],
            }
    placed: dict[str, str] = {}
    groups = _groups()
    for group in groups:
        for key in group.models:
            placed.setdefault(key, group.title)
    for group in groups:
        for key in models:
            if key.split(".", 1)[0] in group.apps:
                placed.setdefault(key, group.title)
    out = []
    for group in groups:
        named = [models[key] for key in group.models if key in models and placed[key] == group.title]
        rest = [m for key, m in models.items() if placed.get(key) == group.title and key not in group.models]
        out.append((group.order, _as_app(group.title, named + sorted(rest, key=lambda m: m["name"]))))
    for app in app_list:
        left = [m for key, m in models.items() if key not in placed and m["app_label"] == app["app_label"]]
        out.append((OTHER_ORDER, _as_app(app["name"], left)))
    return [group for _, group in sorted(out, key=lambda pair: pair[0]) if group["models"]]


def _as_app(title: str, models: list[dict]) -> dict:
    return {"name": title, "slug": "-".join(title.lower().split()), "models": models}
