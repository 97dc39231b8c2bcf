"""Skeleton tests: the house's conventions, looked up by name (NetBox's habit).

Every mirrored model has an admin, a read API viewset in a router and its `<Model>Filters`;
every action kind has an executor that names its own kind; every list route of the API is in
an endpoint table the auth, permission and fuzz tests iterate (so none escapes them).
"""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver

from channelhub.actions import registry as executors
from channelhub.models import MirroredModel
from tests.channelhub.api.endpoints import ENDPOINTS
from tests.fulfillment.channel.test_channel_api import ENDPOINTS as CHANNEL_ENDPOINTS

# Served inside another endpoint, with the reason.
NO_ENDPOINT_OF_ITS_OWN = {"ConversationMessage": "a conversation's messages are part of the conversation"}


def _views(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _views(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def _api_viewsets() -> dict:
    found = {}
    for route, pattern in _views(get_resolver().url_patterns):
        cls = getattr(pattern.callback, "cls", None)
        queryset = getattr(cls, "queryset", None)
        if route.startswith("api/v1/") and queryset is not None:
            found.setdefault(queryset.model, cls)
    return found


MIRRORED = [m for m in apps.get_models() if issubclass(m, MirroredModel)]


@pytest.mark.parametrize("model", MIRRORED, ids=lambda m: m.__name__)
def test_every_mirrored_model_has_an_admin_a_viewset_and_its_filters(model):
    assert admin.site.is_registered(model), f"{model.__name__} has no admin"
    if model.__name__ in NO_ENDPOINT_OF_ITS_OWN:
        return
    viewset = _api_viewsets().get(model)
    assert viewset is not None, f"{model.__name__} has no viewset in an API router"
    assert viewset.rql_filter_class.__name__ == f"{model.__name__}Filters"


def test_every_action_kind_has_its_executor():
    kinds = executors.kinds()
    assert kinds
    for kind in kinds:
        assert executors.get(kind).kind == kind
        assert re.fullmatch(r"[a-z]+(\.[a-z_]+)+", kind), kind


def test_every_list_route_of_the_api_is_in_the_endpoint_table():
    listed = set()
    for route, pattern in _views(get_resolver().url_patterns):
        if route.startswith("api/v1/") and (pattern.name or "").endswith("-list"):
            if "format" in route:
                continue  # the same route with a format suffix
            path = route.replace("(?P<product_id>[^/]+)", "PRD-276-377-545")
            path = re.sub(r"[\^$]", "", path).removeprefix("api/v1/").removesuffix("/?")
            listed.add(path.rstrip("/"))
    table = {endpoint.path for endpoint in ENDPOINTS} | {f"channel/{e.path}" for e in CHANNEL_ENDPOINTS}
    missing = listed - table
    assert not missing, f"list routes no auth/permission test covers: {sorted(missing)}"
