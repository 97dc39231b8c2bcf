"""What the Connect automation tests share: rules for a pending purchase, running and draining."""

from __future__ import annotations

from django.db.models import Count

from channelhub.automation.runner import run_due
from channelhub.automation.services import processor_enable
from channelhub.models import AutomationTask
from channelhub.sync.engine import run_stream
from fulfillment.models import FulfillmentRequest, ParameterRule, PurchaseRules, Template
from tests.channelhub.actions.helpers import drain
from tests.channelhub.sync.helpers import control


def pending_purchases(**filters):
    return FulfillmentRequest.objects.filter(
        status="pending", type="purchase", is_migration=False, **filters
    ).exclude(params=[])


def with_pending_purchases(sandbox, at_least: int) -> set[str]:
    """Tick the sandbox (new purchases arrive) and sync until `at_least` purchases are pending."""
    for _ in range(10):
        targets = set(pending_purchases().values_list("pk", flat=True))
        if len(targets) >= at_least:
            return targets
        control(sandbox, "POST", "tick")
        assert run_stream("connect.requests").status == "succeeded"
    raise AssertionError(f"fewer than {at_least} pending purchases after 10 ticks")


def a_product_with_pending_purchases(at_least: int = 1) -> str:
    """The product with the most pending purchases (ties: the lowest id)."""
    counts = pending_purchases().values("product_id").annotate(n=Count("pk")).order_by("-n", "product_id")
    best = counts.first()
    assert best is not None and best["n"] >= at_least, (
        f"the sandbox has no product with {at_least} pending purchases"
    )
    return best["product_id"]


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


def rules_for_every_product(**kwargs) -> list[PurchaseRules]:
    """Rules for each product with a pending purchase."""
    products = sorted(set(pending_purchases().values_list("product_id", flat=True)))
    return [rules_for(product, **kwargs) for product in products]


def enable(name: str, actor, **kwargs) -> int:
    return processor_enable(name=name, actor=actor, **kwargs)


def run_and_send() -> list[AutomationTask]:
    """Run every due task, then send the actions they queued."""
    done = run_due(limit=10000)
    drain()
    return done


def tasks_of(processor: str, **filters):
    return AutomationTask.objects.filter(processor=processor, **filters)
