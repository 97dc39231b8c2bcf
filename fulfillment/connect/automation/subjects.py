"""Connect's requests and tier config requests as automation subjects: their event types (the
extension framework's names, by the request's type), their views, and each decision made the
same staff service a person's click calls."""

from __future__ import annotations

from channelhub.automation import contract as c
from channelhub.automation.subjects import Subject

from .. import services
from ..choices import RequestType, TierConfigRequestType
from ..models import FulfillmentRequest, TierConfigRequest
from .views import RequestView, TierConfigRequestView

# connect-eaas-core's EventType names for asset requests and tier config requests.
REQUEST_EVENTS = {kind: f"asset_{kind}_request_processing" for kind in RequestType.values}
TCR_EVENTS = {
    TierConfigRequestType.SETUP: "tier_config_setup_request_processing",
    TierConfigRequestType.UPDATE: "tier_config_change_request_processing",
    TierConfigRequestType.ADJUSTMENT: "tier_config_adjustment_request_processing",
}


def _request_services():
    return {
        c.APPROVE: lambda row, d, actor: services.request_approve(
            request=row,
            template_id=d.data.get("template_id"),
            activation_tile=d.data.get("activation_tile"),
            actor=actor,
        ),
        c.INQUIRE: lambda row, d, actor: services.request_inquire(
            request=row,
            param_errors=dict(d.data["param_errors"]),
            template_id=d.data.get("template_id"),
            actor=actor,
        ),
        c.FAIL: lambda row, d, actor: services.request_fail(
            request=row, reason=d.data["reason"], actor=actor
        ),
        c.UPDATE_PARAMS: lambda row, d, actor: services.request_update_params(
            request=row, values=dict(d.data["values"]), actor=actor
        ),
    }


def _tcr_services():
    return {
        c.APPROVE: lambda row, d, actor: services.tier_config_request_approve(
            tier_config_request=row, template_id=d.data.get("template_id"), actor=actor
        ),
        c.INQUIRE: lambda row, d, actor: services.tier_config_request_inquire(
            tier_config_request=row, param_errors=dict(d.data["param_errors"]), actor=actor
        ),
        c.FAIL: lambda row, d, actor: services.tier_config_request_fail(
            tier_config_request=row, reason=d.data["reason"], actor=actor
        ),
        c.UPDATE_PARAMS: lambda row, d, actor: services.tier_config_request_update_params(
            tier_config_request=row, values=dict(d.data["values"]), actor=actor
        ),
    }


REQUESTS = Subject(
    model=FulfillmentRequest,
    event_types=tuple(REQUEST_EVENTS.values()),
    event_type=lambda row: REQUEST_EVENTS.get(row.type, f"asset_{row.type}_request_processing"),
    view=RequestView,
    product_of=lambda row: row.product_id or "",
    apply=_request_services(),
)

TIER_CONFIG_REQUESTS = Subject(
    model=TierConfigRequest,
    event_types=tuple(TCR_EVENTS.values()),
    event_type=lambda row: TCR_EVENTS.get(row.type, f"tier_config_{row.type}_request_processing"),
    view=TierConfigRequestView,
    product_of=lambda row: row.product_id or "",
    apply=_tcr_services(),
)
