"""google-api-python-client, unchanged, against the sandbox: the static discovery document,
service-account credentials impersonating the reseller admin, api_endpoint = the sandbox."""

import pytest
from googleapiclient.errors import HttpError

from .conftest import ACCOUNT, request_id

# `service` (google-api-python-client on the sandbox) is the channel conftest's.


def test_lists_every_customer_through_empty_pages(service, api):
    api.knobs(empty_page_every=2)
    customers = service.accounts().customers()
    request = customers.list(parent=ACCOUNT, pageSize=7)
    names, sizes = [], []
    while request is not None:
        response = request.execute()
        sizes.append(len(response.get("customers", [])))
        names.extend(c["name"] for c in response.get("customers", []))
        request = customers.list_next(request, response)
    assert len(names) == len(set(names)) == 40
    assert 0 in sizes[:-1]  # an empty page in the middle, still with a token
    assert max(sizes) == 7


def test_get_create_patch_customer(service):
    customers = service.accounts().customers()
    created = customers.create(
        parent=ACCOUNT,
        body={
            "orgDisplayName": "Nimbus Bakery",
            "domain": "nimbus-bakery.example",
            "orgPostalAddress": {"regionCode": "US", "postalCode": "94043", "addressLines": ["1 Main St"]},
            "primaryContactInfo": {
                "firstName": "Ana",
                "lastName": "Costa",
                "email": "ana@nimbus-bakery.example",
            },
            "correlationId": "CRM-1",
        },
    ).execute()
    assert created["name"].startswith(f"{ACCOUNT}/customers/")
    assert created["primaryContactInfo"]["displayName"] == "Ana Costa"
    assert "cloudIdentityId" not in created
    assert created["createTime"].endswith("Z")

    patched = customers.patch(
        name=created["name"],
        updateMask="orgDisplayName,alternateEmail",
        body={"orgDisplayName": "Nimbus Bakers"},
    ).execute()
    assert patched["orgDisplayName"] == "Nimbus Bakers"
    assert patched["correlationId"] == "CRM-1"  # outside the mask: kept
    assert customers.get(name=created["name"]).execute() == patched

    operation = customers.provisionCloudIdentity(
        customer=created["name"], body={"user": {"email": "admin@nimbus-bakery.example"}}
    ).execute()
    assert operation["done"] and operation["metadata"]["operationType"] == "PROVISION_CLOUD_IDENTITY"
    assert operation["response"]["@type"] == "type.googleapis.com/google.cloud.channel.v1.Customer"
    assert operation["response"]["cloudIdentityId"]
    assert operation["response"]["cloudIdentityInfo"]["primaryDomain"] == "nimbus-bakery.example"

    with pytest.raises(HttpError) as caught:
        customers.get(name=f"{ACCOUNT}/customers/Snope").execute()
    assert caught.value.status_code == 404


def test_suspend_activate_with_polled_operations(service, api):
    ent = api.find(lambda e: e["provisioningState"] == "ACTIVE")
    api.knobs(lro_polls=2)
    entitlements = service.accounts().customers().entitlements()
    operations = service.operations()

    operation = entitlements.suspend(name=ent["name"], body={"requestId": request_id()}).execute()
    assert "done" not in operation
    assert operation["metadata"]["operationType"] == "SUSPEND_ENTITLEMENT"
    assert operation["name"].count("/") > 1  # opaque, with slashes
    assert entitlements.get(name=ent["name"]).execute()["provisioningState"] == "ACTIVE"  # not yet
    first = operations.get(name=operation["name"]).execute()
    assert "done" not in first
    done = operations.get(name=operation["name"]).execute()
    assert done["done"] is True
    assert done["response"]["@type"] == "type.googleapis.com/google.cloud.channel.v1.Entitlement"
    assert done["response"]["provisioningState"] == "SUSPENDED"
    assert done["response"]["suspensionReasons"] == ["RESELLER_INITIATED"]

    api.knobs(lro_polls=0)
    activated = entitlements.activate(name=ent["name"], body={"requestId": request_id()}).execute()
    assert activated["done"] and activated["response"]["provisioningState"] == "ACTIVE"
    assert operations.get(name=activated["name"]).execute() == activated


def test_state_error_reaches_the_client_as_http_error(service, api):
    ent = api.find(lambda e: e["provisioningState"] == "SUSPENDED")
    with pytest.raises(HttpError) as caught:
        service.accounts().customers().entitlements().suspend(name=ent["name"], body={}).execute()
    assert caught.value.status_code == 400
    assert caught.value.error_details[0]["reason"] == "NOT_ACTIVE"


def test_catalog_lists(service):
    products = service.products().list().execute()["products"]
    assert {"products/Google-Workspace", "products/Google-Cloud-Platform"} <= {p["name"] for p in products}
    skus = (
        service.products().skus().list(parent="products/-", account=ACCOUNT, pageSize=1000).execute()["skus"]
    )
    assert len(skus) == 11
    offers = (
        service.accounts()
        .offers()
        .list(
            parent=ACCOUNT,
            filter="sku.product.name=products/Google-Workspace AND sku.name!=products/Google-Workspace/skus/1010020027",
        )
        .execute()["offers"]
    )
    assert offers and all(o["sku"]["product"]["name"] == "products/Google-Workspace" for o in offers)
    assert all(o["sku"]["name"] != "products/Google-Workspace/skus/1010020027" for o in offers)
    price = offers[0]["priceByResources"][0]["price"]["basePrice"]
    assert isinstance(price["units"], str)
