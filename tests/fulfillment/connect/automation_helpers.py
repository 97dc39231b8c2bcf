"""What the Connect automation tests share: rules for a pending purchase, running and draining."""

from __future__ import annotations

from channelhub.automation.runner import run_due
from channelhub.automation.services import processor_enable
from channelhub.models import AutomationTask
from fulfillment.models import FulfillmentRequest, ParameterRule, PurchaseRules, Template
from tests.channelhub.actions.helpers import drain


def pending_purchases(**filters):
    return FulfillmentRequest.objects.filter(
        status="pending", type="purchase", is_migration=False, **filters
    ).exclude(params=[])


def a_product_with_pending_purchases() -> str:
    request = pending_purchases().order_by("pk").first()
    assert request is not None, "the sandbox has no pending purchase"
    return request.product_id


def fulfillment_template(product_id: str) -> Template:
    template = Template.objects.filter(product_id=product_id, scope="asset", type="fulfillment").first()
    assert template is not None
    return template


def rules_for(product_id: str, *, max_quantity=None, params=()) -> PurchaseRules:
    """Rules approving with the product's fulfillment template; `params`: ParameterRule kwargs."""
    rules = PurchaseRules.objects.create(
        product_id=product_id, template_id=fulfillment_template(product_id).pk, max_quantity=max_quantity
    )
    for kwargs in params:
        ParameterRule.objects.create(rules=rules, **kwargs)
    return rules


def enable(name: str, actor, **kwargs) -> int:
    return processor_enable(name=name, actor=actor, **kwargs)


def run_and_send() -> list[AutomationTask]:
    """Run every due task, then send the actions they queued."""
    done = run_due(limit=10000)
    drain()
    return done


def tasks_of(processor: str, **filters):
    return AutomationTask.objects.filter(processor=processor, **filters)
