"""The legacy SDK's filters() names (seed 000) work here as on Connect, each on an index.

Requests: asset.product.name, asset.connection.{id,hub.name,provider.id,provider.name,
vendor.id,vendor.name}, asset.status. Tier config requests: configuration.tier_level,
configuration.account.external_uid, unassigned.
"""

from __future__ import annotations

import copy
import importlib

import pytest
from django.apps import apps

from fulfillment.connect.mappers import map_request, map_tier_config_request
from fulfillment.models import FulfillmentRequest, TierConfigRequest
from tests.fulfillment.connect import factories as f

pytestmark = pytest.mark.django_db


def _restore(model, mapper, obj, edit) -> None:
    """Change the stored JSON as Connect would send it and map it again, as a sync does."""
    payload = copy.deepcopy(obj.payload)
    edit(payload)
    model.objects.filter(pk=obj.pk).update(payload=payload, **mapper(payload))


def _connection(provider, vendor, hub_name, connection_id, product_name, asset_status):
    def edit(payload):
        asset = payload["asset"]
        asset["status"] = asset_status
        asset["product"]["name"] = product_name
        connection = asset["connection"]
        connection["id"] = connection_id
        connection["provider"] = {"id": provider[0], "name": provider[1]}
        connection["vendor"] = {"id": vendor[0], "name": vendor[1]}
        connection["hub"]["name"] = hub_name

    return edit


@pytest.fixture
def two_requests():
    one, two = f.FulfillmentRequestFactory(), f.FulfillmentRequestFactory()
    _restore(
        FulfillmentRequest,
        map_request,
        one,
        _connection(
            ("PA-1", "Distri One"), ("VA-1", "Vendor One"), "Hub One", "CT-1", "Product One", "active"
        ),
    )
    _restore(
        FulfillmentRequest,
        map_request,
        two,
        _connection(
            ("PA-2", "Distri Two"), ("VA-2", "Vendor Two"), "Hub Two", "CT-2", "Product Two", "suspended"
        ),
    )
    return one.id, two.id


@pytest.mark.parametrize(
    "query,which",
    [
        ("eq(asset.product.name,Product One)", 0),
        ('in(asset.product.name,("Product One","Product Two"))', None),
        ("eq(asset.connection.id,CT-2)", 1),
        ("eq(asset.connection.hub.name,Hub Two)", 1),
        ("eq(asset.connection.provider.id,PA-1)", 0),
        ('in(asset.connection.provider.name,("Distri Two"))', 1),
        ("eq(asset.connection.vendor.id,VA-2)", 1),
        ("eq(asset.connection.vendor.name,Vendor One)", 0),
        ("eq(asset.status,suspended)", 1),
        ("and(eq(asset.connection.vendor.id,VA-1),eq(asset.connection.provider.id,PA-2))", ()),
    ],
)
def test_request_filters_of_the_sdk(api, two_requests, query, which):
    r = api.get(f"/api/v1/connect/requests?{query}&ordering(id)")
    assert r.status_code == 200, r.content
    expected = (
        sorted(two_requests)
        if which is None
        else [two_requests[i] for i in ([which] if isinstance(which, int) else which)]
    )
    assert [o["id"] for o in r.json()] == expected


def test_tier_config_request_filters_of_the_sdk(api):
    tier1 = f.TierConfigRequestFactory()
    tier2 = f.TierConfigRequestFactory(assignee=None)

    def edit(level, uid):
        def apply(payload):
            payload["configuration"]["tier_level"] = level
            payload["configuration"]["account"]["external_uid"] = uid

        return apply

    _restore(TierConfigRequest, map_tier_config_request, tier1, edit(1, "uid-one"))
    _restore(TierConfigRequest, map_tier_config_request, tier2, edit(2, "uid-two"))

    def ids(query):
        r = api.get(f"/api/v1/connect/tier/config-requests?{query}&ordering(id)")
        assert r.status_code == 200, r.content
        return [o["id"] for o in r.json()]

    assert ids("eq(configuration.tier_level,2)") == [tier2.id]
    assert ids("eq(configuration.account.external_uid,uid-one)") == [tier1.id]
    assert ids("unassigned=true") == [tier2.id]
    assert ids("eq(unassigned,false)") == [tier1.id]
    assert ids("ne(unassigned,true)") == [tier1.id]
    r = api.get("/api/v1/connect/tier/config-requests?unassigned=maybe")
    assert r.status_code == 400 and "true or false" in r.content.decode()


def test_the_migration_fills_account_external_uid_from_the_payload():
    tcr = f.TierConfigRequestFactory()
    uid = tcr.payload["configuration"]["account"].get("external_uid")
    assert uid, "the fixture's account has an external_uid"
    TierConfigRequest.objects.update(account_external_uid="")
    migration = importlib.import_module("fulfillment.migrations.0006_connect_sdk_filter_indexes")
    migration.fill_account_external_uid(apps, None)
    assert TierConfigRequest.objects.get(pk=tcr.pk).account_external_uid == uid
