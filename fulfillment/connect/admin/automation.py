"""The purchase rules of the shipped processor `connect.purchase_rules`, set per product
without code: the template a purchase is approved with, the quantity limit, and a rule per
ordering parameter (required, a pattern, allowed values).

Who may: supervisors add, change and delete rules (granted in fulfillment.connect.registration);
support and readonly see them. Each save and delete leaves an audit event with the rules
before and after, parameter rules included (`AuditedAdminMixin`).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.html import format_html

from channelhub.admin.kit import AuditedAdminMixin
from fulfillment.connect import selectors
from fulfillment.connect.choices import TemplateScope, TemplateType
from fulfillment.connect.display import admin_url
from fulfillment.connect.models import ParameterRule, Product, PurchaseRules


class PurchaseRulesForm(forms.ModelForm):
    """The template must be one of the product's asset fulfillment templates (a wrong one would
    make Connect refuse every approval the rules decide)."""

    class Meta:
        model = PurchaseRules
        fields = ("product", "template_id", "max_quantity")

    def clean(self):
        """Check the template against the mirrored catalog."""
        cleaned = super().clean()
        product, template_id = cleaned.get("product"), (cleaned.get("template_id") or "").strip()
        if product is None or not template_id:
            return cleaned
        template = selectors.template_get(template_id=template_id)
        if template is None:
            self.add_error("template_id", f"No template {template_id} is mirrored (sync the catalog first?).")
        elif template.product_id != product.pk:
            self.add_error(
                "template_id", f"{template_id} is a template of {template.product_id}, not {product.pk}."
            )
        elif (template.type, template.scope) != (TemplateType.FULFILLMENT, TemplateScope.ASSET):
            self.add_error(
                "template_id",
                f"{template_id} is a {template.type} template for {template.scope}: "
                "approving a purchase needs an asset fulfillment template.",
            )
        cleaned["template_id"] = template_id
        return cleaned


class ParameterRuleInline(admin.TabularInline):
    """One row per ordering parameter the rules check."""

    model = ParameterRule
    extra = 1
    fields = ("parameter_id", "required", "pattern", "allowed_values", "message")

    def get_formset(self, request, obj=None, **kwargs):
        """Allowed values in a small text box (one per line)."""
        kwargs.setdefault("widgets", {"allowed_values": forms.Textarea(attrs={"rows": 2, "cols": 24})})
        return super().get_formset(request, obj, **kwargs)


@admin.register(PurchaseRules)
class PurchaseRulesAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """A product's purchase rules, with its parameter rules inline."""

    audit_code = "connect.purchase_rules"
    form = PurchaseRulesForm
    inlines = (ParameterRuleInline,)
    list_display = ("product_link", "template_id", "max_quantity", "rule_count", "updated_at")
    search_fields = ("=product__id", "product__name")
    autocomplete_fields = ("product",)
    ordering = ("product_id",)

    def get_queryset(self, request):
        """With the product's name and the parameter rules counted in the same statement."""
        return super().get_queryset(request).select_related("product").prefetch_related("parameters")

    @admin.display(description="Product", ordering="product_id")
    def product_link(self, obj):
        """The product, linked to its page."""
        return format_html(
            '<a href="{}">{}</a> {}', admin_url(Product, obj.product_id), obj.product_id, obj.product.name
        )

    @admin.display(description="Parameter rules")
    def rule_count(self, obj):
        """How many ordering parameters the rules check."""
        return len(obj.parameters.all())

    def audit_state(self, obj) -> dict:
        """The rules and each parameter rule (an audit event shows what changed in either)."""
        state = super().audit_state(obj)
        state["parameters"] = [
            {
                "parameter_id": rule.parameter_id,
                "required": rule.required,
                "pattern": rule.pattern,
                "allowed_values": rule.allowed,
                "message": rule.message,
            }
            for rule in ParameterRule.objects.filter(rules=obj).order_by("parameter_id")
        ]
        return state
