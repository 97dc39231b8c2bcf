"""Every list route of the read API, found in the URL resolver (the apps' routers, mounted
through the registry), not in a hand-kept list: a new app's endpoints are covered by the auth
and permission tests the day they are mounted."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

PLACEHOLDER = "X-000"  # a value for a path parameter (a product's id under its templates)


@dataclass(frozen=True)
class Route:
    """One list route: its path under /api/v1/ and the model its viewset reads."""

    path: str
    model: type

    @property
    def perm(self) -> str:
        """The permission a token's user needs to read it (view_<model>)."""
        return f"{self.model._meta.app_label}.view_{self.model._meta.model_name}"

    def __str__(self):
        return self.path


def url_views(patterns, prefix=""):
    """(route regex, URLPattern) of every view under `patterns`, includes walked."""
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from url_views(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def list_routes() -> list[Route]:
    """Each list route once (not its format-suffix twin), with path parameters filled."""
    found = {}
    for route, pattern in url_views(get_resolver().url_patterns):
        cls = getattr(pattern.callback, "cls", None)
        queryset = getattr(cls, "queryset", None)
        if not route.startswith("api/v1/") or not (pattern.name or "").endswith("-list"):
            continue
        if queryset is None or "(?P<format>" in route:
            continue
        path = re.sub(r"\(\?P<[a-z_]+>[^)]*\)", PLACEHOLDER, route)
        path = re.sub(r"[\^$]", "", path).removeprefix("api/v1/").removesuffix("/?").rstrip("/")
        found.setdefault(path, Route(path, queryset.model))
    return sorted(found.values(), key=str)
