"""Builders of Channel resources as the REST API serves them (camelCase, int64 as strings, enum
names as strings) and the static catalog the seed turns into products, SKUs and offers."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

from .wire import ACCOUNT, CHANNEL_TYPE


@dataclass(frozen=True)
class SkuSpec:
    """One SKU of the catalog: its id, name, monthly seat price in USD and the plans sold."""

    id: str
    display: str
    price: str
    plans: tuple[str, ...]


@dataclass(frozen=True)
class ProductSpec:
    """One product of the catalog: its id, names, SKUs, what it is priced by and the regions it is sold in
    (none: everywhere)."""

    id: str
    display: str
    description: str
    skus: tuple[SkuSpec, ...]
    resource: str = "SEAT"
    regions: tuple[str, ...] = ()


WORKSPACE_PLANS = ("COMMITMENT", "FLEXIBLE", "TRIAL")
CATALOG: tuple[ProductSpec, ...] = (
    ProductSpec(
        "Google-Workspace",
        "Google Workspace",
        "Business email, video meetings, storage and collaboration.",
        (
            SkuSpec("1010020027", "Google Workspace Business Starter", "7.20", WORKSPACE_PLANS),
            SkuSpec("1010020028", "Google Workspace Business Standard", "14.40", WORKSPACE_PLANS),
            SkuSpec("1010020025", "Google Workspace Business Plus", "21.60", WORKSPACE_PLANS),
            SkuSpec(
                "1010020026", "Google Workspace Enterprise Standard", "27.60", ("COMMITMENT", "FLEXIBLE")
            ),
        ),
    ),
    ProductSpec(
        "Google-Voice",
        "Google Voice",
        "Cloud telephony for Google Workspace.",
        (
            SkuSpec("1010330003", "Google Voice Starter", "10.00", ("COMMITMENT", "FLEXIBLE")),
            SkuSpec("1010330004", "Google Voice Standard", "20.00", ("COMMITMENT", "FLEXIBLE")),
            SkuSpec("1010330002", "Google Voice Premier", "30.00", ("COMMITMENT",)),
        ),
        regions=("US", "CA", "GB", "FR", "DE", "ES", "IT", "NL", "SE", "DK", "IE", "PT", "BE", "CH"),
    ),
    ProductSpec(
        "Google-Chrome",
        "Chrome Enterprise",
        "Chrome browser and device management.",
        (SkuSpec("1010400001", "Chrome Enterprise Upgrade", "4.17", ("COMMITMENT",)),),
    ),
    ProductSpec(
        "Cloud-Identity",
        "Cloud Identity",
        "Identity and device management.",
        (
            SkuSpec("1010010001", "Cloud Identity Free", "0", ("FREE",)),
            SkuSpec("1010050001", "Cloud Identity Premium", "6.00", ("COMMITMENT", "FLEXIBLE")),
        ),
    ),
    ProductSpec(
        "Google-Cloud-Platform",
        "Google Cloud",
        "Google Cloud billing subaccount.",
        (SkuSpec("6D4B-2B7C-A4E9", "Google Cloud Platform", "0", ("FLEXIBLE",)),),
        resource="IAAS_USAGE",
    ),
)
GCP_PRODUCT = "Google-Cloud-Platform"

SEAT_PARAMETER = {"COMMITMENT": "num_units", "FLEXIBLE": "max_units", "TRIAL": "max_units"}
MAX_SEATS = 50000
TRIAL_SEATS = 10
TRIAL_DAYS = 14


def alnum(rng: random.Random, n: int) -> str:
    """`n` random letters and digits from `rng`."""
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(n))


def int64(value: int) -> dict:
    """A google.protobuf int64 Value: the number as a string."""
    return {"int64Value": str(int(value))}


def money(amount: str) -> dict:
    """google.type.Money: int64 `units` as a string plus `nanos`."""
    units, _, frac = amount.partition(".")
    out = {"currencyCode": "USD", "units": units}
    if frac:
        out["nanos"] = int((frac + "000000000")[:9])
    return out


def product_doc(spec: ProductSpec) -> dict:
    """A Product resource."""
    return {
        "name": f"products/{spec.id}",
        "marketingInfo": {
            "displayName": spec.display,
            "description": spec.description,
            "defaultLogo": {
                "title": spec.display,
                "type": "MEDIA_TYPE_IMAGE",
                "content": f"https://www.gstatic.com/sandbox/{spec.id}.png",
            },
        },
    }


def sku_doc(product: ProductSpec, sku: SkuSpec) -> dict:
    """A Sku resource, embedding its Product."""
    return {
        "name": f"products/{product.id}/skus/{sku.id}",
        "marketingInfo": {"displayName": sku.display, "description": f"{sku.display} for one user."},
        "product": product_doc(product),
    }


def parameter_definitions(product: ProductSpec, plan: str) -> list[dict]:
    """The purchase parameters an offer of this plan defines: the seat count (with its bounds) or, for Google
    Cloud, the display name."""
    if product.id == GCP_PRODUCT:
        return [{"name": "display_name", "parameterType": "STRING", "optional": True}]
    if plan == "COMMITMENT":
        return [
            {
                "name": "num_units",
                "parameterType": "INT64",
                "minValue": int64(1),
                "maxValue": int64(MAX_SEATS),
            }
        ]
    if plan == "FLEXIBLE":
        return [
            {
                "name": "max_units",
                "parameterType": "INT64",
                "minValue": int64(1),
                "maxValue": int64(MAX_SEATS),
                "optional": True,
            }
        ]
    if plan == "TRIAL":
        return [
            {
                "name": "max_units",
                "parameterType": "INT64",
                "minValue": int64(1),
                "maxValue": int64(TRIAL_SEATS),
                "optional": True,
            }
        ]
    return []


PLAN_LABELS = {
    "COMMITMENT": "Annual Plan (Commitment)",
    "FLEXIBLE": "Flexible Plan",
    "TRIAL": "Free Trial",
    "FREE": "Free",
}


def plan_doc(plan: str) -> dict:
    """An offer's Plan: payment plan, type and cycle (or the trial period)."""
    if plan == "COMMITMENT":
        return {
            "paymentPlan": plan,
            "paymentType": "PREPAY",
            "paymentCycle": {"duration": 1, "periodType": "YEAR"},
        }
    if plan == "FLEXIBLE":
        return {
            "paymentPlan": plan,
            "paymentType": "POSTPAY",
            "paymentCycle": {"duration": 1, "periodType": "MONTH"},
        }
    if plan == "TRIAL":
        return {"paymentPlan": plan, "trialPeriod": {"duration": TRIAL_DAYS, "periodType": "DAY"}}
    return {"paymentPlan": plan}


def offer_doc(offer_id: str, product: ProductSpec, sku: SkuSpec, plan: str, start: str) -> dict:
    """An Offer of one SKU and plan, with its price, region constraints and parameter definitions."""
    price = "0" if plan in ("TRIAL", "FREE") else sku.price
    period = {"duration": 1, "periodType": "YEAR" if plan == "COMMITMENT" else "MONTH"}
    return {
        "name": f"{ACCOUNT}/offers/{offer_id}",
        "marketingInfo": {"displayName": f"{sku.display} - {PLAN_LABELS[plan]}"},
        "sku": sku_doc(product, sku),
        "plan": plan_doc(plan),
        "constraints": {
            "customerConstraints": {
                "allowedRegions": list(product.regions),
                "allowedCustomerTypes": ["DOMAIN", "TEAM"],
                "promotionalOrderTypes": ["NEW_UPGRADE", "TRANSFER"],
            }
        },
        "priceByResources": [
            {
                "resourceType": product.resource,
                "price": {"basePrice": money(price), "pricePeriod": period},
            }
        ],
        "startTime": start,
        "parameterDefinitions": parameter_definitions(product, plan),
    }


def seat_parameters(offer: dict, seats: int, assigned: int) -> list[dict]:
    """An entitlement's parameters for its offer: the editable seat input plus the read-only
    assigned seats (Workspace), or the billing subaccount's display name (Google Cloud)."""
    plan = offer["plan"]["paymentPlan"]
    if offer["sku"]["product"]["name"] == f"products/{GCP_PRODUCT}":
        return [{"name": "display_name", "value": {"stringValue": f"Billing {seats}"}, "editable": True}]
    out = []
    if plan in SEAT_PARAMETER:
        out.append({"name": SEAT_PARAMETER[plan], "value": int64(seats), "editable": True})
    out.append({"name": "assigned_units", "value": int64(assigned), "editable": False})
    return out


def provisioned_service(rng: random.Random, offer: dict) -> dict:
    """An entitlement's ProvisionedService for the offer's product and SKU."""
    sku_name = offer["sku"]["name"]
    _, product_id, _, sku_id = sku_name.split("/")
    return {"provisioningId": str(rng.randrange(10**9, 10**10)), "productId": product_id, "skuId": sku_id}


def operation_metadata(operation_type: str) -> dict:
    """The OperationMetadata of a long-running operation of this type."""
    return {"@type": CHANNEL_TYPE + "OperationMetadata", "operationType": operation_type}


def change_doc(
    entitlement: dict,
    change_type: str,
    when: str,
    *,
    operator: str = "",
    operator_type: str = "SYSTEM",
    reason: tuple[str, str] | None = None,
    offer: str | None = None,
) -> dict:
    """An EntitlementChange; `reason` is (field, value), e.g. ("suspensionReason", "TRIAL_ENDED")."""
    doc = {
        "entitlement": entitlement["name"],
        "offer": offer or entitlement["offer"],
        "provisionedService": entitlement.get("provisionedService", {}),
        "changeType": change_type,
        "createTime": when,
        "operatorType": operator_type,
        "parameters": entitlement.get("parameters", []),
    }
    if operator:
        doc["operator"] = operator
    if reason:
        doc[reason[0]] = reason[1]
    return doc


FIRST_NAMES = [
    "Ana",
    "Ben",
    "Chloe",
    "David",
    "Elena",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Kenji",
    "Laura",
    "Marco",
    "Nadia",
    "Omar",
    "Paula",
    "Quentin",
    "Rosa",
    "Sven",
    "Tara",
    "Uma",
    "Victor",
]
LAST_NAMES = [
    "Alvarez",
    "Becker",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Hansen",
    "Ito",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Martin",
    "Novak",
    "Olsen",
    "Petrov",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Weber",
]
ORG_WORDS = [
    "Acme",
    "Blue",
    "Cedar",
    "Delta",
    "Ember",
    "Falcon",
    "Granite",
    "Harbor",
    "Iris",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Maple",
    "Nimbus",
    "Orbit",
    "Pine",
    "Quartz",
    "River",
    "Summit",
    "Tidal",
    "Urban",
    "Vertex",
    "Willow",
    "Zenith",
]
ORG_KINDS = [
    "Logistics",
    "Dental",
    "Bakery",
    "Architects",
    "Consulting",
    "Labs",
    "Foods",
    "Media",
    "Legal",
    "Robotics",
    "Travel",
    "Studios",
    "Health",
    "Energy",
    "Analytics",
    "Outfitters",
]
# (regionCode, locality, administrativeArea, postal code format)
PLACES = [
    ("US", "Mountain View", "CA", "940{:02d}"),
    ("US", "Austin", "TX", "787{:02d}"),
    ("US", "New York", "NY", "100{:02d}"),
    ("CA", "Toronto", "ON", "M5V {:d}A1"),
    ("GB", "London", "", "EC1A {:d}BB"),
    ("ES", "Barcelona", "Barcelona", "080{:02d}"),
    ("FR", "Lyon", "", "690{:02d}"),
    ("DE", "Berlin", "", "101{:02d}"),
    ("BR", "Sao Paulo", "SP", "01310-{:03d}"),
    ("JP", "Tokyo", "Tokyo", "100-00{:02d}"),
    ("AU", "Sydney", "NSW", "20{:02d}"),
    ("IN", "Bengaluru", "KA", "5600{:02d}"),
]


def customer_doc(rng: random.Random, customer_id: str, index: int, when: str) -> dict:
    """A Customer resource (without Cloud Identity) with a made-up organisation, domain, address and contact."""
    org = f"{rng.choice(ORG_WORDS)} {rng.choice(ORG_KINDS)}"
    domain = f"{org.lower().replace(' ', '-')}-{index}.example"
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    region, locality, area, postal = rng.choice(PLACES)
    address = {
        "regionCode": region,
        "postalCode": postal.format(rng.randrange(10, 99)),
        "locality": locality,
        "addressLines": [f"{rng.randrange(1, 999)} {rng.choice(ORG_WORDS)} Street"],
        "organization": org,
    }
    if area:
        address["administrativeArea"] = area
    return {
        "name": f"{ACCOUNT}/customers/{customer_id}",
        "orgDisplayName": org,
        "orgPostalAddress": address,
        "primaryContactInfo": {
            "firstName": first,
            "lastName": last,
            "displayName": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower()}@{domain}",
            "phone": f"+1 650 555 {rng.randrange(10**4):04d}",
            "title": rng.choice(["IT Manager", "CEO", "Office Manager", "CTO"]),
        },
        "alternateEmail": f"{first.lower()}@alt-{domain}",
        "domain": domain,
        "languageCode": "en-US",
        "createTime": when,
        "updateTime": when,
    }


def cloud_identity_info(customer: dict, customer_type: str = "DOMAIN", verified: bool = True) -> dict:
    """The read-only CloudIdentityInfo a provisioned customer carries."""
    return {
        "customerType": customer_type,
        "primaryDomain": customer["domain"],
        "isDomainVerified": verified,
        "alternateEmail": customer.get("alternateEmail", ""),
        "languageCode": customer.get("languageCode", "en-US"),
        "adminConsoleUri": f"https://admin.google.com/?authuser={customer['domain']}",
    }
