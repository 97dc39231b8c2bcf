"""Every write of the fulfillment app: staff actions on Connect requests and tier config
requests. Each is keyword-only, checks the actor's permission and the transition against
the mirrored state, then records an outbox action (channelhub.actions) in one transaction.
They raise `ServiceError` with a message a person can act on."""

from channelhub.services import ServiceError

from .requests import (
    request_add_note,
    request_approve,
    request_assign,
    request_fail,
    request_inquire,
    request_pend,
    request_unassign,
    request_update_params,
)
from .tier_config_requests import (
    tier_config_request_approve,
    tier_config_request_assign,
    tier_config_request_fail,
    tier_config_request_inquire,
    tier_config_request_pend,
    tier_config_request_unassign,
    tier_config_request_update_params,
)

__all__ = [
    "ServiceError",
    "request_add_note",
    "request_approve",
    "request_assign",
    "request_fail",
    "request_inquire",
    "request_pend",
    "request_unassign",
    "request_update_params",
    "tier_config_request_approve",
    "tier_config_request_assign",
    "tier_config_request_fail",
    "tier_config_request_inquire",
    "tier_config_request_pend",
    "tier_config_request_unassign",
    "tier_config_request_update_params",
]
