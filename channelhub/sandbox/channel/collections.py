"""The Channel tables in the sandbox state (prefixed `ch_`: Connect already has `products`,
`accounts`). Each row keeps the resource exactly as served in `doc`; the row id is the resource
name (the keyset for pagination), except for entitlement changes, whose id is
`<createTime in µs, 20 digits>-<sequence>` so the id order is the time order. `status` columns
feed GET /_sandbox/state's counts.
"""

from __future__ import annotations

from ..store import Collection

TIMES = {"createTime": "created", "updateTime": "updated"}

CUSTOMERS = Collection(
    name="ch_customers",
    columns={
        **TIMES,
        "domain": "domain",
        "cloudIdentityId": "cloud_identity_id",
        "channelPartnerId": "partner_id",
    },
    indexes=(("domain",), ("partner_id",)),
)

ENTITLEMENTS = Collection(
    name="ch_entitlements",
    columns={**TIMES, "provisioningState": "status", "offer": "offer"},
    extra_columns=("customer", "sku"),
    indexes=(("customer",),),
)

CHANGES = Collection(
    name="ch_changes",
    columns={"changeType": "status", "entitlement": "entitlement"},
    extra_columns=("customer",),
    indexes=(("customer", "id"), ("entitlement", "id")),
)

PRODUCTS = Collection(name="ch_products", columns={})

SKUS = Collection(name="ch_skus", columns={}, extra_columns=("product",), indexes=(("product",),))

OFFERS = Collection(
    name="ch_offers",
    columns={"plan.paymentPlan": "status"},
    extra_columns=("sku", "product"),
    indexes=(("sku",),),
)

LINKS = Collection(
    name="ch_links",
    columns={**TIMES, "linkState": "status", "resellerCloudIdentityId": "reseller_id"},
)

# An operation row is the sandbox's record: {"operation": <public Operation>, "type", "target",
# "payload", "operator", "due": µs, "polls_left", "fail": rpc Status or null}.
OPERATIONS = Collection(name="ch_operations", columns={"status": "status"})

# requestId dedupe: id = sha256(account, method, target, requestId); doc = {operation, body}.
REQUEST_IDS = Collection(name="ch_request_ids", columns={})

# Customers at other resellers or at Google direct (transfers.py): id = their Cloud Identity id;
# doc = {cloudIdentityId, domain, orgDisplayName, regionCode, primaryAdminEmail, owner ("reseller"
# or "google"), resellerName (owner reseller only), authToken, domainVerified, entitlements: [{sku,
# seats, paymentPlan, suspended, legacySku?}]}. `seq` keeps the order they appeared in (the seed's
# planned cases first), since an update rewrites the row.
FOREIGN = Collection(
    name="ch_foreign",
    columns={"domain": "domain", "owner": "status"},
    extra_columns=("seq",),
    indexes=(("domain",), ("seq",)),
)

# Cloud Identities whose auth token our account has presented once: id = cloudIdentityId;
# doc = {cloudIdentityId, authorizeTime}. Later calls about them may omit the token.
TRANSFER_AUTH = Collection(name="ch_transfer_auth", columns={})

ALL = [
    CUSTOMERS,
    ENTITLEMENTS,
    CHANGES,
    PRODUCTS,
    SKUS,
    OFFERS,
    LINKS,
    OPERATIONS,
    REQUEST_IDS,
    FOREIGN,
    TRANSFER_AUTH,
]
