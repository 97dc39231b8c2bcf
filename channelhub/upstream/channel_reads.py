"""The typed reads of the Cloud Channel client: one method per non-collection read, so
services, selectors and executors name what they read instead of building paths.

A mixin of `ChannelClient` (channel.py would pass 500 lines with them); it uses the
client's `_call`, `iter_all` and `account`. Collection listings the sync streams page
through (`list_page`, `iter_pages`, `iter_all`) stay on the client as they are.
"""

from __future__ import annotations

from itertools import islice


class ChannelReads:
    """Reads of single resources and of the few bounded lists the services ask for."""

    account: str  # accounts/<id>, set by ChannelClient

    # --- one resource ------------------------------------------------------------------------

    def get_customer(self, name: str) -> dict:
        """GET a Customer (`accounts/A/customers/C`)."""
        return self._call("GET", name)

    def get_entitlement(self, name: str) -> dict:
        """GET an Entitlement (`accounts/A/customers/C/entitlements/E`)."""
        return self._call("GET", name)

    def get_channel_partner_link(self, name: str) -> dict:
        """GET a ChannelPartnerLink (`accounts/A/channelPartnerLinks/L`)."""
        return self._call("GET", name)

    def lookup_offer(self, *, entitlement: str) -> dict:
        """The Offer an entitlement is on (`entitlements:lookupOffer`): offers have no GET of
        their own, and an entitlement's may no longer be listed among our offers."""
        return self._call("GET", f"{entitlement}:lookupOffer")

    # --- questions the services ask before they queue an action --------------------------------

    def check_cloud_identity_accounts_exist(self, *, domain: str) -> list[dict]:
        """The Cloud Identity accounts of a domain (`accounts:checkCloudIdentityAccountsExist`):
        each says whether it exists (`existing`), whether it is ours (`owned`) and, if so, its
        `customerName`; [] when the domain has none. A POST that changes nothing, so it is retried like a read."""
        answer = self._call(
            "POST",
            f"{self.account}:checkCloudIdentityAccountsExist",
            body={"domain": domain},
            idempotent=True,
        )
        accounts = answer.get("cloudIdentityAccounts") or []
        return [a for a in accounts if isinstance(a, dict)]

    def customers_with_domain(self, *, domain: str) -> list[dict]:
        """Our customers whose primary domain is `domain` (a filtered `customers.list`; the
        filter is Channel's, the exact, case-blind comparison ours)."""
        wanted = domain.lower()
        found = self.iter_all(
            f"{self.account}/customers", "customers", params={"filter": f'domain = "{domain}"'}
        )
        return [c for c in found if (c.get("domain") or "").lower() == wanted]

    def customer_entitlements(self, *, customer: str) -> list[dict]:
        """Every Entitlement of `customer` (`accounts/A/customers/C`; `entitlements.list` read
        to its end: a customer has a handful). The sync streams page the whole account instead."""
        return list(self.iter_all(f"{customer}/entitlements", "entitlements"))

    def purchasable_offers(
        self,
        *,
        customer: str,
        sku: str = "",
        entitlement: str = "",
        new_sku: str = "",
        limit: int | None = None,
    ) -> list[dict]:
        """Offers `customer` can buy (`customers:listPurchasableOffers`), as Offer dicts.

        Either for a new entitlement of `sku` (createEntitlementPurchase), or to change the
        offer of `entitlement` (changeOfferPurchase, optionally to `new_sku`). Channel knows
        the customer's region, type and promotions; at most `limit` offers are read.
        """
        if bool(sku) == bool(entitlement):
            raise ValueError(
                "purchasable offers: give a sku (to buy) or an entitlement (to change): one of the two"
            )
        if sku:
            params = {"createEntitlementPurchase.sku": sku}
        else:
            params = {"changeOfferPurchase.entitlement": entitlement, "changeOfferPurchase.newSku": new_sku}
        items = self.iter_all(f"{customer}:listPurchasableOffers", "purchasableOffers", params=params)
        offers = (
            item["offer"] for item in items if _named(item.get("offer") if isinstance(item, dict) else None)
        )
        return list(islice(offers, limit))

    def purchasable_skus(
        self,
        *,
        customer: str,
        product: str = "",
        entitlement: str = "",
        change_type: str = "",
        limit: int | None = None,
    ) -> list[dict]:
        """SKUs `customer` can buy (`customers:listPurchasableSkus`), as Sku dicts.

        Either the SKUs of `product` for a new entitlement (createEntitlementPurchase), or
        those `entitlement` can move to (changeOfferPurchase; `change_type` UPGRADE or
        DOWNGRADE). At most `limit` SKUs are read.
        """
        if bool(product) == bool(entitlement):
            raise ValueError(
                "purchasable SKUs: give a product (to buy) or an entitlement (to change): one of the two"
            )
        if product:
            params = {"createEntitlementPurchase.product": product}
        else:
            params = {
                "changeOfferPurchase.entitlement": entitlement,
                "changeOfferPurchase.changeType": change_type,
            }
        items = self.iter_all(f"{customer}:listPurchasableSkus", "purchasableSkus", params=params)
        skus = (item["sku"] for item in items if _named(item.get("sku") if isinstance(item, dict) else None))
        return list(islice(skus, limit))


def _named(value) -> bool:
    return isinstance(value, dict) and bool(value.get("name"))
