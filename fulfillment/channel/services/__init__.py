"""Every write of the Channel side of the fulfillment app: staff actions on entitlements,
customers and channel partner links, and transfers. Each is keyword-only, checks the actor's permission and
the rule against the mirrored state, then records an outbox action (channelhub.actions) in
one transaction; upstream reads they validate against (purchasable offers, the domain check)
happen before it. They raise `ServiceError` with a message a person can act on."""

from channelhub.services import ServiceError

from .customers import customer_create, customer_delete, customer_provision_cloud_identity, customer_update
from .entitlements import (
    entitlement_activate,
    entitlement_cancel,
    entitlement_change_offer,
    entitlement_change_parameters,
    entitlement_change_renewal,
    entitlement_create,
    entitlement_start_paid_service,
    entitlement_suspend,
)
from .partner_links import channel_partner_link_change_state
from .transfers import TRANSFER_PERM, customer_transfer_in, entitlements_transfer_to_google

__all__ = [
    "TRANSFER_PERM",
    "ServiceError",
    "channel_partner_link_change_state",
    "customer_create",
    "customer_delete",
    "customer_transfer_in",
    "customer_provision_cloud_identity",
    "customer_update",
    "entitlement_activate",
    "entitlement_cancel",
    "entitlement_change_offer",
    "entitlement_change_parameters",
    "entitlement_change_renewal",
    "entitlement_create",
    "entitlement_start_paid_service",
    "entitlement_suspend",
    "entitlements_transfer_to_google",
]
