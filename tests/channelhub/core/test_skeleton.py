"""Skeleton tests: the house's conventions, looked up by name (NetBox's habit).

Every mirrored model has an admin, a read API viewset in a router and its `<Model>Filters`;
every action kind has a spec, an executor that names its own kind and a behaviour in the
sandbox (its executor, driven against the sandbox, reaches routes the sandbox has); every
list route of the API is in an endpoint table the auth, permission and fuzz tests iterate
(so none escapes them).
"""

from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import get_resolver
from werkzeug.exceptions import MethodNotAllowed, NotFound

from channelhub.actions import registry as executors
from channelhub.actions.specs import all_specs, spec_for
from channelhub.models import MirroredModel, UpstreamAction
from channelhub.sandbox.channel import routes as channel_routes
from channelhub.sandbox.channel.wire import GoogleError
from channelhub.upstream.channel import ChannelClient
from channelhub.upstream.connect import ConnectClient
from channelhub.upstream.errors import UpstreamError
from tests.channelhub.api.routes import url_views
from tests.channelhub.sync.helpers import control, sandbox_log
from tests.paths import ROOT
from usage.choices import ReportStatus
from usage.models import UsageImport, UsageReport

# Served inside another endpoint, with the reason.
NO_ENDPOINT_OF_ITS_OWN = {
    "ConversationMessage": "a conversation's messages are part of the conversation",
    "ResourceMetadata": "a resource's metadata is served inside /inventory/resources",
    "ResourceAddress": "a resource's IP addresses are served inside /inventory/resources",
    "ResourceConnection": "a resource's connections are served inside /inventory/resources",
}


def _api_viewsets() -> dict:
    found = {}
    for route, pattern in url_views(get_resolver().url_patterns):
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


def test_every_action_kind_has_its_spec_and_executor():
    kinds = executors.kinds()
    assert kinds
    assert sorted(spec.kind for spec in all_specs()) == kinds
    for kind in kinds:
        assert executors.get(kind).kind == kind
        assert executors.get(kind).spec is spec_for(kind)
        assert re.fullmatch(r"[a-z]+(\.[a-z_]+)+", kind), kind


# What each kind's executor needs in its payload to make its calls (the sandbox may refuse
# them: a refusal is a behaviour; a route it does not have is not).
PAYLOADS = {
    "approve": {"template_id": "TL-000-000-000"},
    "inquire": {"param_errors": {"param_a": "wrong"}},
    "fail": {"reason": "skeleton test"},
    "update_params": {"params": [{"id": "param_a", "value": "x"}]},
    "assign": {"id": "UR-000-000-000"},
    "add_note": {"text": "skeleton test"},
    "change_parameters": {"parameters": [{"name": "num_units", "value": {"int64Value": "5"}}]},
    "change_offer": {"offer": "accounts/x/offers/none"},
    "change_renewal": {"renewalSettings": {"enableRenewal": False}},
    "channel.entitlement.create": {"entitlement": {"offer": "accounts/x/offers/none"}},
    "channel.customer.create": {"customer": {"domain": "skeleton.example", "orgDisplayName": "Skeleton"}},
    "channel.customer.update": {"customer": {"orgDisplayName": "Skeleton"}, "updateMask": "orgDisplayName"},
    "provision_cloud_identity": {
        "cloudIdentityInfo": {"customerType": "DOMAIN"},
        "user": {"email": "a@skeleton.example", "givenName": "A", "familyName": "B"},
    },
    "change_state": {"linkState": "SUSPENDED"},
    "channel.customer.transfer_in": {"cloudIdentityId": "C0fskeleton", "entitlements": [], "skus": []},
    "channel.customer.transfer_to_google": {"entitlements": ["accounts/x/customers/y/entitlements/none"]},
    "connect.usage_file.reject": {"rejection_note": "skeleton test"},
    "connect.usage_file.accept": {"acceptance_note": "skeleton test"},
    "connect.usage_record.close": {"external_billing_id": "SKELETON-1"},
    "connect.usage_chunk.close": {"external_billing_id": "SKELETON-1"},
    "connect.billing_request.update_attributes": {"attributes": {"provider": {"note": "skeleton"}}},
}


def _usage_payloads(connect: ConnectClient) -> dict:
    """The usage kinds' payloads name real sandbox objects and a local report to upload."""
    record = connect.list_page("/usage/records", filters="eq(status,approved)", limit=1).items[0]
    asset = connect.list_page("/subscriptions/assets", filters="eq(status,active)", limit=1).items[0]
    item = next(i for i in asset["items"])
    report = UsageReport.objects.create(
        usage_import=UsageImport.objects.create(filename="skeleton.csv"),
        contract_id=asset["contract"]["id"],
        product_id=asset["product"]["id"],
        period_from="2025-01-01",
        period_to="2025-01-31",
        schema="qt",
        external_id="skeleton-test",
        status=ReportStatus.VALID,
        rows=1,
    )
    report.report_rows.create(
        row_number=2,
        record_id="r1",
        item_search_criteria="item.mpn",
        item_search_value=item["mpn"],
        asset_search_criteria="asset.id",
        asset_search_value=asset["id"],
        start_time="2025-01-01T00:00:00Z",
        end_time="2025-01-02T00:00:00Z",
        quantity=1,
    )
    new_file = {
        "name": "skeleton",
        "product": {"id": report.product_id},
        "contract": {"id": report.contract_id},
        "period": {"from": "2025-01-01", "to": "2025-01-31"},
        "external_id": report.external_id,
    }
    return {
        "connect.usage_file.create": {"report_id": report.pk, "file": new_file},
        "connect.usage_file.upload": {"report_id": report.pk},
        "connect.usage_file.close_records": {
            "records": [{"id": record["id"], "external_billing_id": "SKELETON-1"}]
        },
        "connect.billing_request.create": {
            "request": {
                "asset_id": asset["id"],
                "type": "provider",
                "items": [{"id": item["id"]}],
                "period_from": "2031-01-01T00:00:00+00:00",
                "period_to": "2031-02-01T00:00:00+00:00",
                "period_delta": 1,
                "period_uom": "monthly",
            }
        },
    }


def _routed(sandbox, method: str, path: str) -> bool:
    """Whether the sandbox has a route for `METHOD path` (its tables, not the answer's status:
    a 404 may be an object it does not have)."""
    try:
        sandbox.app.url_map.bind("sandbox").match(path, method=method)
        if path.startswith("/v1/"):
            channel_routes.route(method, path.removeprefix("/v1/"))
    except (NotFound, MethodNotAllowed, GoogleError):
        return False
    return True


def _targets() -> dict[str, str]:
    """A real object of each actionable model in the sandbox, by model name."""
    connect = ConnectClient.from_settings()
    channel = ChannelClient.from_settings()
    customers = channel.list_page(f"{channel.account}/customers", "customers", page_size=50).items
    entitlement = next(
        e for c in customers for e in channel.list_page(f"{c['name']}/entitlements", "entitlements").items
    )
    links = channel.list_page(f"{channel.account}/channelPartnerLinks", "channelPartnerLinks").items
    return {
        "FulfillmentRequest": connect.list_page("/requests", limit=1).items[0]["id"],
        "TierConfigRequest": connect.list_page("/tier/config-requests", limit=1).items[0]["id"],
        "Entitlement": entitlement["name"],
        "Customer": customers[0]["name"],
        "ChannelPartnerLink": links[0]["name"],
        "UsageFile": connect.list_page("/usage/files", filters="eq(status,pending)", limit=1).items[0]["id"],
        "UsageRecord": connect.list_page("/usage/records", filters="eq(status,approved)", limit=1).items[0][
            "id"
        ],
        "UsageChunk": connect.list_page("/usage/chunks", filters="eq(status,ready)", limit=1).items[0]["id"],
        "BillingRequest": connect.list_page("/subscriptions/requests", limit=1).items[0]["id"],
    }


def _answered(sandbox, entry: dict) -> bool:
    """Whether the sandbox has a behaviour for a logged call: a route, and for a Connect write
    to one of its (real) objects no 404 (its answer to an action it does not know)."""
    if not _routed(sandbox, entry["method"], entry["path"]):
        return False
    connect_write = entry["method"] != "GET" and not entry["path"].startswith("/v1/")
    return not (connect_write and entry["status"] == 404)


@pytest.mark.django_db
def test_every_action_kind_has_a_behaviour_in_the_sandbox(connect_settings, channel_settings, settings):
    settings.CHANNEL_LRO_WAIT_SECONDS = 0  # the first answer is enough: the route is there
    targets = _targets()
    payloads = {**PAYLOADS, **_usage_payloads(ConnectClient.from_settings())}
    for spec in all_specs():
        model = spec.model_class.__name__
        assert model in targets, f"the skeleton test has no sandbox object of {model} for {spec.kind}"
        payload = payloads.get(spec.kind, payloads.get(spec.action, {}))
        action = UpstreamAction(
            kind=spec.kind, target_type=spec.target_type, target_id=targets[model], payload=payload
        )
        executor = executors.get(spec.kind)
        control(channel_settings, "DELETE", "log")
        try:
            executor.send(action, executor.client())
        except UpstreamError:
            pass  # refused or still running: the sandbox answered
        except KeyError as exc:
            pytest.fail(f"give {spec.kind} a payload in PAYLOADS (its executor needs {exc})")
        calls = sandbox_log(channel_settings)
        assert any(e["method"] != "GET" for e in calls), (
            f"{spec.kind}: its executor wrote nothing to the sandbox"
        )
        unrouted = [f"{e['method']} {e['path']}" for e in calls if not _answered(channel_settings, e)]
        assert not unrouted, f"{spec.kind}: the sandbox has no route for {unrouted}"


def _endpoint_tables():
    """(PREFIX, ENDPOINTS) of every `tests/**/endpoints.py`: each app keeps its own table."""
    for path in sorted((ROOT / "tests").rglob("endpoints.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        module = importlib.import_module(name)
        yield getattr(module, "PREFIX", ""), module.ENDPOINTS


def test_every_list_route_of_the_api_is_in_an_endpoint_table():
    listed = set()
    for route, pattern in url_views(get_resolver().url_patterns):
        if route.startswith("api/v1/") and (pattern.name or "").endswith("-list"):
            if "format" in route:
                continue  # the same route with a format suffix
            path = route.replace("(?P<product_id>[^/]+)", "PRD-276-377-545")
            path = re.sub(r"[\^$]", "", path).removeprefix("api/v1/").removesuffix("/?")
            listed.add(path.rstrip("/"))
    table = {f"{prefix}{endpoint.path}" for prefix, endpoints in _endpoint_tables() for endpoint in endpoints}
    missing = listed - table
    assert not missing, f"list routes no auth/permission test covers: {sorted(missing)}"
