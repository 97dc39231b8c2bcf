"""The transfer methods of the Cloud Channel client (`ChannelClient` inherits them): what a
customer holds at another reseller (or at Google), the offers each SKU can move to, importing
the customer, and the two transfers (channel-api.md §3, seed 003).

The customer's auth token is passed through and never kept: it goes in the request body of
the call it is given to and nowhere else (no attribute, no log line; the session logs method
and path only). Once a token has been presented, Google lets the reseller omit it for that
customer ("You can omit this token after authorization"), which is how the outbox's transfer
runs later without it.

The two list methods are POSTs whose paging lives in the body (`pageSize`, `pageToken`);
they change nothing, so they are retried like reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .errors import UpstreamBadResponse

# The documented maxima of the two body-paged lists.
TRANSFERABLE_PAGE_SIZE = 1000


@dataclass(frozen=True)
class TransferableSku:
    """One SKU a customer holds elsewhere: the SKU (a Sku dict), whether we may take it over,
    why not (Channel's `ineligibilityReason` and its `description`) and the legacy SKU it
    replaces, if any."""

    sku: dict
    eligible: bool
    reason: str = ""
    description: str = ""
    legacy_sku: dict | None = None

    @property
    def name(self) -> str:
        """`products/P/skus/S`."""
        return str(self.sku.get("name") or "")

    @property
    def display_name(self) -> str:
        """The SKU's marketing name (its resource name when it has none)."""
        return str((self.sku.get("marketingInfo") or {}).get("displayName") or self.name)

    @property
    def product_name(self) -> str:
        """The product's marketing name."""
        product = self.sku.get("product") or {}
        return str((product.get("marketingInfo") or {}).get("displayName") or product.get("name") or "")

    @classmethod
    def from_api(cls, item: dict) -> TransferableSku:
        """From a `TransferableSku` of the API (eligible only when Google says so)."""
        eligibility = item.get("transferEligibility") or {}
        legacy = item.get("legacySku")
        return cls(
            sku=item.get("sku") or {},
            eligible=eligibility.get("isEligible") is True,
            reason=str(eligibility.get("ineligibilityReason") or ""),
            description=str(eligibility.get("description") or ""),
            legacy_sku=legacy if isinstance(legacy, dict) else None,
        )


def _customer_ref(cloud_identity_id: str, customer_name: str) -> dict:
    if bool(cloud_identity_id) == bool(customer_name):
        raise ValueError("give the customer's Cloud Identity id or our customer's name: one of the two")
    return {"cloudIdentityId": cloud_identity_id} if cloud_identity_id else {"customerName": customer_name}


class ChannelTransfers:
    """The transfers section of `ChannelClient` (it brings `_call`, `post` and `account`)."""

    account: str

    # --- what is held elsewhere ------------------------------------------------------------

    def transferable_skus(
        self, *, cloud_identity_id: str = "", customer_name: str = "", auth_token: str = ""
    ) -> list[TransferableSku]:
        """Every SKU the customer holds at another reseller or at Google
        (`accounts:listTransferableSkus`), with its eligibility. `auth_token` is the token
        the customer's super admin generated; it may be left out once presented."""
        body = _customer_ref(cloud_identity_id, customer_name)
        if auth_token:
            body["authToken"] = auth_token
        items = self._body_pages(f"{self.account}:listTransferableSkus", "transferableSkus", body)
        return [TransferableSku.from_api(item) for item in items if isinstance(item, dict)]

    def transferable_offers(
        self, *, sku: str, cloud_identity_id: str = "", customer_name: str = ""
    ) -> list[dict]:
        """The Offers `sku` can move to for this customer (`accounts:listTransferableOffers`),
        their parameter definitions adjusted for the transfer (e.g. the seats held as the minimum)."""
        if not sku:
            raise ValueError("transferable offers: the SKU is required")
        body = {**_customer_ref(cloud_identity_id, customer_name), "sku": sku}
        items = self._body_pages(f"{self.account}:listTransferableOffers", "transferableOffers", body)
        return [
            item["offer"] for item in items if isinstance(item, dict) and isinstance(item.get("offer"), dict)
        ]

    # --- moving in and out -----------------------------------------------------------------

    def import_customer(
        self, *, cloud_identity_id: str, domain: str = "", overwrite_if_exists: bool = False
    ) -> dict:
        """`customers:import`: our Customer for that Cloud Identity (made if needed; an
        existing one is answered again, so a repeat is harmless and it is retried like a read)."""
        body = {"cloudIdentityId": cloud_identity_id, "overwriteIfExists": overwrite_if_exists}
        if domain:
            body["domain"] = domain
        return self._call("POST", f"{self.account}/customers:import", body=body, idempotent=True)

    def transfer_entitlements(self, customer: str, entitlements: list[dict], *, request_id: str) -> dict:
        """`{customer}:transferEntitlements`: the operation moving the entitlements (each
        {offer, parameters, purchaseOrderId}) to us; its result is {entitlements: [...]}."""
        return self.post(
            f"{customer}:transferEntitlements", {"entitlements": entitlements, "requestId": request_id}
        )

    def transfer_entitlements_to_google(self, customer: str, names: list[str], *, request_id: str) -> dict:
        """`{customer}:transferEntitlementsToGoogle`: the operation handing those entitlements
        back to Google (they end for us; the result is Empty)."""
        body = {"entitlements": [{"name": name} for name in names], "requestId": request_id}
        return self.post(f"{customer}:transferEntitlementsToGoogle", body)

    # --- plumbing ----------------------------------------------------------------------------

    def _body_pages(self, path: str, items_key: str, body: dict) -> Iterator[dict]:
        """Every item of a body-paged list, following nextPageToken through empty pages."""
        token, seen = "", set()
        while True:
            page = {**body, "pageSize": TRANSFERABLE_PAGE_SIZE, **({"pageToken": token} if token else {})}
            data = self._call("POST", path, body=page, idempotent=True)
            items = data.get(items_key) or []
            if not isinstance(items, list):
                raise UpstreamBadResponse(
                    f"expected a list under {items_key!r}", upstream="channel", method="POST", url=path
                )
            yield from items
            token = str(data.get("nextPageToken") or "")
            if not token:
                return
            if token in seen:
                raise UpstreamBadResponse(
                    "the same page token came back twice", upstream="channel", method="POST", url=path
                )
            seen.add(token)
