"""The rules staff write for the shipped purchase processor (`connect.purchase_rules`), per
product, in the admin: no code. Not mirrored: channelhub's own configuration."""

from __future__ import annotations

import re
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models

from .catalog import Product


class PurchaseRules(models.Model):
    """How `connect.purchase_rules` decides a product's purchase requests.

    Approve with `template_id` when every parameter rule holds; inquire naming exactly the
    parameters that break theirs; fail an item ordered over `max_quantity`.
    """

    product = models.OneToOneField(
        Product, on_delete=models.CASCADE, db_constraint=False, related_name="purchase_rules"
    )
    template_id = models.CharField(
        max_length=64, help_text="The fulfillment template (TL-…) a purchase is approved with"
    )
    max_quantity = models.PositiveIntegerField(
        null=True, blank=True, help_text="Fail a purchase ordering more of any item (empty: no limit)"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "purchase rules"
        verbose_name_plural = "purchase rules"

    def __str__(self):
        return f"Purchase rules of {self.product_id}"


class ParameterRule(models.Model):
    """One ordering parameter's rule: required, a pattern its value must match, allowed values."""

    rules = models.ForeignKey(PurchaseRules, on_delete=models.CASCADE, related_name="parameters")
    parameter_id = models.CharField(max_length=100, help_text="The parameter's id on the product")
    required = models.BooleanField(default=True)
    pattern = models.CharField(
        max_length=300, blank=True, default="", help_text="A regular expression the whole value must match"
    )
    allowed_values = models.TextField(blank=True, default="", help_text="One allowed value per line")
    message = models.CharField(
        max_length=300,
        blank=True,
        default="",
        help_text="What the customer is told (default: the rule in words)",
    )

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["rules", "parameter_id"], name="one_rule_per_parameter"),
        ]

    def __str__(self):
        return f"{self.parameter_id} ({self.rules.product_id})"

    def clean(self):
        """A pattern must compile (a broken one would fail every request)."""
        if self.pattern:
            try:
                re.compile(self.pattern)
            except re.error as broken:
                raise ValidationError({"pattern": f"Not a regular expression: {broken}"}) from None

    @property
    def allowed(self) -> list[str]:
        """The allowed values, one per line, blank lines left out."""
        return [line.strip() for line in self.allowed_values.splitlines() if line.strip()]

    def breaks(self, value: str) -> str:
        """What is wrong with `value` under this rule, in words ("" when it holds)."""
        value = (value or "").strip()
        if not value:
            return (self.message or f"{self.parameter_id} is required.") if self.required else ""
        if self.pattern and not re.fullmatch(self.pattern, value):
            return self.message or f"{self.parameter_id} must match {self.pattern}."
        if self.allowed and value not in self.allowed:
            return self.message or f"{self.parameter_id} must be one of: {', '.join(self.allowed)}."
        return ""
