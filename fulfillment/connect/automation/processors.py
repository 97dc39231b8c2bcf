"""The processors Connect's side ships: purchase rules staff write in the admin, and tier
config setups approved once their required parameters are filled.

Both are off until a supervisor enables them (per product, or in dry run first).
"""

from __future__ import annotations

from typing import ClassVar

from channelhub.automation.contract import Decision, Processor

from ..models import PurchaseRules

PENDING = ("pending",)


class PurchaseRulesProcessor(Processor):
    """Purchases decided by the product's `PurchaseRules` (admin: Connect > Purchase rules).

    Fails an item ordered over the limit; inquires naming exactly the parameters that break
    their rules; approves with the rules' template when every rule holds. A product without
    rules, and a migration, are left for a person (skip, with the reason).
    """

    name = "connect.purchase_rules"
    version = "1.0"
    description = "Approve, inquire or fail purchases by the rules staff set per product"
    events: ClassVar[dict[str, tuple[str, ...]]] = {"asset_purchase_request_processing": PENDING}

    def __init__(self):
        self._rules: dict[str, PurchaseRules | None] = {}

    def rules_of(self, product_id: str) -> PurchaseRules | None:
        """The product's rules with their parameter rules, read once per run."""
        if product_id not in self._rules:
            self._rules[product_id] = (
                PurchaseRules.objects.filter(product_id=product_id).prefetch_related("parameters").first()
            )
        return self._rules[product_id]

    def process(self, request):
        """Decide one pending purchase."""
        if request.needs_migration():
            return Decision.skip("A migration: the migration tool processes it.")
        rules = self.rules_of(request.product.id)
        if rules is None:
            return Decision.skip(f"No purchase rules for {request.product.id}; left for a person.")
        if rules.max_quantity is not None:
            for item in request.asset.items:
                if item.quantity > rules.max_quantity:
                    return Decision.fail(
                        f"{item.display_name or item.mpn or item.id}: a quantity of {item.quantity:f} is over "
                        f"the limit of {rules.max_quantity}."
                    )
        errors, unknown = {}, []
        for rule in rules.parameters.all():
            param = request.asset.get_param_by_id(rule.parameter_id)
            if param is None:
                unknown.append(rule.parameter_id)
                continue
            wrong = rule.breaks(str(param.value))
            if wrong:
                errors[param.id] = wrong
        if unknown:
            return Decision.skip(
                f"The rules name parameters this request does not have ({', '.join(unknown)}); fix the rules."
            )
        if errors:
            return Decision.inquire(errors)
        return Decision.approve(template_id=rules.template_id, reason="Every parameter rule holds.")


class TierSetupProcessor(Processor):
    """Tier config setups approved when every required parameter is filled; otherwise left for
    a person, naming the empty ones."""

    name = "connect.tier_setup"
    version = "1.0"
    description = "Approve tier config setups whose required parameters are filled"
    events: ClassVar[dict[str, tuple[str, ...]]] = {"tier_config_setup_request_processing": PENDING}

    def process(self, request):
        """Decide one pending setup."""
        empty = [p.id for p in request.params if p.required and not p.is_filled]
        if empty:
            return Decision.skip(f"Required parameters are empty: {', '.join(empty)}; left for a person.")
        return Decision.approve(reason="Every required parameter is filled.")
