"""Seed 000's `FulfillmentExample`, ported to channelhub's contract as its authors would.

The legacy class mutated `param.value_error` and called `update_parameters` in the middle of
`process_request`; here the view is read-only and each step is a decision: set `purchase_id`
first (an "update parameters" decision), and once the sync brings the request back with it,
approve. The outcomes are the example's: skip migrations, fail quantities over 100,000,
inquire for an empty email, fail a request without a `purchase_id` parameter, approve with
template TL-497-535-242 (or the one `template_id` names).

The names the example hard-codes are class attributes (`email_param_name`, `purchase_param_id`,
`template_id`), so a team adapts the port to its product by subclassing, as it would have edited
the original; nothing else changes.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from channelhub.automation.contract import Decision, FailRequest, InquireRequest, Processor, SkipRequest

logger = logging.getLogger(__name__)


class FulfillmentExample(Processor):
    """The SDK's example purchase processor (seed 000), on the channelhub contract."""

    name = "connect.sdk_example"
    version = "1.0"
    description = "Seed 000's FulfillmentExample, ported (a template for teams porting their own)"
    events: ClassVar[dict[str, tuple[str, ...]]] = {"asset_purchase_request_processing": ("pending",)}
    template_id = "TL-497-535-242"
    email_param_name = "email"
    purchase_param_id = "purchase_id"
    purchase_id = "..."  # "We can assign the id given by the external service here"

    def process(self, request):
        """The example's process_request, step by step."""
        if request.needs_migration():
            # Skip request if it needs migration (migration is performed by an external service)
            logger.info("Skipping request %s because it needs migration.", request.id)
            raise SkipRequest("needs migration")
        logger.info(
            "Processing request %s for contract %s, product %s, marketplace %s",
            request.id, request.contract.id, request.asset.product.name, request.marketplace.name,
        )  # fmt: skip
        if request.type == "purchase":
            for item in request.asset.items:
                if item.quantity > 100000:
                    raise FailRequest("Is not possible to purchase product in such quantities")
            for param in request.asset.params:
                if param.name == self.email_param_name and not param.value:
                    raise InquireRequest(
                        params={param.id: "Email address has not been provided, please provide one"}
                    )
            param = request.asset.get_param_by_id(self.purchase_param_id)
            if not param:
                raise FailRequest(f'The asset is expected to have a "{self.purchase_param_id}" param.')
            if not param.value:
                return Decision.update_params(
                    {param.id: self.purchase_id}, reason=f"{param.id} from the service"
                )
            return Decision.approve(template_id=self.template_id)
        return None
