"""The writes of the Cloud Channel client (`ChannelClient` inherits them): one method per
upstream write, so the outbox's executors call methods, never paths.

Calls that take a `request_id` start a long-running operation and return it (follow it with
`wait_operation` / `get_operation`); the `requestId` makes a repeated POST a no-op upstream,
so those are retried like reads. The others answer at once.
"""

from __future__ import annotations

# The entitlement methods (`…/entitlements/E:<method>`), each a long-running operation.
ENTITLEMENT_METHODS = frozenset(
    {
        "suspend",
        "activate",
        "cancel",
        "changeParameters",
        "changeOffer",
        "changeRenewalSettings",
        "startPaidService",
    }
)
LINK_STATE_MASK = "channel_partner_link.link_state"


class ChannelWrites:
    """The writes section of `ChannelClient` (it brings `_call` and `account`)."""

    account: str

    # --- entitlements (long-running operations) --------------------------------------------

    def entitlement_operation(self, name: str, method: str, body: dict, *, request_id: str) -> dict:
        """POST {entitlement}:{method} (suspend, changeOffer, ...): the operation started."""
        if method not in ENTITLEMENT_METHODS:
            raise ValueError(
                f"{method!r} is not an entitlement method ({', '.join(sorted(ENTITLEMENT_METHODS))})"
            )
        return self.post(f"{name}:{method}", {**body, "requestId": request_id})

    def create_entitlement(self, customer: str, entitlement: dict, *, request_id: str) -> dict:
        """POST {customer}/entitlements: the operation creating it."""
        return self.post(f"{customer}/entitlements", {"entitlement": entitlement, "requestId": request_id})

    # --- customers ---------------------------------------------------------------------------

    def create_customer(self, customer: dict) -> dict:
        """POST {account}/customers: the new customer (no requestId: look it up before a retry)."""
        return self.post(f"{self.account}/customers", customer)

    def update_customer(self, name: str, customer: dict, *, update_mask: str) -> dict:
        """PATCH {customer}?updateMask=...: the customer as it is now."""
        return self.patch(name, {**customer, "name": name}, update_mask=update_mask)

    def delete_customer(self, name: str) -> None:
        """DELETE {customer} (refused upstream while it has entitlements)."""
        self.delete(name)

    def provision_cloud_identity(self, customer: str, body: dict, *, request_id: str) -> dict:
        """POST {customer}:provisionCloudIdentity ({cloudIdentityInfo, user}): the operation."""
        return self.post(f"{customer}:provisionCloudIdentity", {**body, "requestId": request_id})

    # --- channel partner links -----------------------------------------------------------------

    def update_channel_partner_link_state(self, name: str, link_state: str) -> dict:
        """PATCH {link} with its new linkState: the link as it is now."""
        body = {"channelPartnerLink": {"linkState": link_state}, "updateMask": LINK_STATE_MASK}
        return self.patch(name, body)

    # --- plumbing of the writes above ----------------------------------------------------------

    def post(self, path: str, body: dict | None = None, params: dict | None = None) -> dict:
        """POST /v1/{path}, e.g. `accounts/A/customers/C/entitlements/E:suspend`.

        A body with a `requestId` is idempotent upstream (a repeat is ignored), so it is
        retried like a read; other POSTs only when they surely did not arrive (or 429/503).
        """
        body = body if body is not None else {}
        return self._call("POST", path, params=params, body=body, idempotent=bool(body.get("requestId")))

    def patch(self, name: str, body: dict, *, update_mask: str | None = None) -> dict:
        """PATCH /v1/{name}?updateMask=...; setting the listed fields twice is the same as once."""
        params = {"updateMask": update_mask} if update_mask else None
        return self._call("PATCH", name, params=params, body=body, idempotent=True)

    def delete(self, name: str) -> None:
        """DELETE /v1/{name}."""
        self._call("DELETE", name)
