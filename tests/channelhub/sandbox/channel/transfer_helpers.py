"""Shared by the transfer tests (test_transfers.py, test_transfer_operations.py): SKU names, calls
through the discovery client, and readers of its errors and lists. The `service` and `world`
fixtures are in conftest.py."""

import json

import requests

from .conftest import ACCOUNT

STANDARD = "products/Google-Workspace/skus/1010020028"
STARTER = "products/Google-Workspace/skus/1010020027"
PLUS = "products/Google-Workspace/skus/1010020025"
VOICE = "products/Google-Voice/skus/1010330004"
VOICE_STARTER = "products/Google-Voice/skus/1010330003"
MEET = "products/Google-Meet-Hardware/skus/1010230001"
CHROME = "products/Google-Chrome/skus/1010400001"
CI_FREE = "products/Cloud-Identity/skus/1010010001"


def case(world, number: int) -> dict:
    return world[number - 1]


def error(caught) -> tuple[int, str, str | None, str]:
    """(HTTP status, canonical status, ErrorInfo reason, message) of an HttpError."""
    body = json.loads(caught.value.content)["error"]
    details = body.get("details") or [{}]
    return caught.value.status_code, body["status"], details[0].get("reason"), body["message"]


def skus(service, **body) -> dict:
    return service.accounts().listTransferableSkus(parent=ACCOUNT, body=body).execute()


def offers(service, **body) -> dict:
    return service.accounts().listTransferableOffers(parent=ACCOUNT, body=body).execute()


def import_(service, **body) -> dict:
    return service.accounts().customers().import_(parent=ACCOUNT, body=body).execute()


def transfer(service, customer: str, **body) -> dict:
    return service.accounts().customers().transferEntitlements(parent=customer, body=body).execute()


def to_google(service, customer: str, **body) -> dict:
    return service.accounts().customers().transferEntitlementsToGoogle(parent=customer, body=body).execute()


def by_sku(listing: dict) -> dict[str, dict]:
    return {item["sku"]["name"]: item for item in listing.get("transferableSkus", [])}


def offer_for(service, customer: dict, sku: str, plan: str) -> dict:
    listed = offers(service, cloudIdentityId=customer["cloudIdentityId"], sku=sku)["transferableOffers"]
    return next(o["offer"] for o in listed if o["offer"]["plan"]["paymentPlan"] == plan)


def seats(value: int, name: str = "num_units") -> list[dict]:
    return [{"name": name, "value": {"int64Value": str(value)}}]


def entitlements_of(service, customer: str) -> list[dict]:
    return (
        service.accounts().customers().entitlements().list(parent=customer).execute().get("entitlements", [])
    )


def changes_of(service, customer: str) -> list[dict]:
    listing = (
        service.accounts()
        .customers()
        .entitlements()
        .listEntitlementChanges(parent=f"{customer}/entitlements/-", pageSize=50)
    )
    out = []
    while listing is not None:
        page = listing.execute()
        out.extend(page.get("entitlementChanges", []))
        listing = service.accounts().customers().entitlements().listEntitlementChanges_next(listing, page)
    return out


def imported(service, customer: dict) -> dict:
    return import_(
        service,
        cloudIdentityId=customer["cloudIdentityId"],
        domain=customer["domain"],
        authToken=customer["authToken"],
        overwriteIfExists=False,
        primaryAdminEmail=f"admin@{customer['domain']}",
    )


def state(sandbox) -> dict:
    return requests.get(f"{sandbox.url}/_sandbox/state", timeout=5).json()
