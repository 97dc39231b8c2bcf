"""The usage admin's building blocks: the queue filters and the usage flavour of the staff actions."""

from __future__ import annotations

import functools

from django.contrib import admin
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

from channelhub.admin.actions import StaffActionsMixin
from usage import selectors


class FileQueueFilter(admin.SimpleListFilter):
    """The usage file queues (`selectors.usage_file_queue`): to submit, waiting for acceptance
    (oldest first), invalid, rejected. The admin's `get_ordering` reads its value."""

    title = "queue"
    parameter_name = "queue"
    OLDEST_FIRST = tuple(name for name, (_, oldest) in selectors.FILE_QUEUES.items() if oldest)

    def lookups(self, request, model_admin):
        """The queues staff work from."""
        return [
            ("to_submit", "To submit (ready)"),
            ("pending", "Waiting for acceptance, oldest first"),
            ("invalid", "Invalid"),
            ("rejected", "Rejected"),
        ]

    def queryset(self, request, queryset):
        """The rows of the chosen queue; all rows for no (or an unknown) queue."""
        if self.value() not in selectors.FILE_QUEUES:
            return queryset
        return selectors.usage_file_queue(queue=self.value(), queryset=queryset)


class ReportQueueFilter(admin.SimpleListFilter):
    """Our usage reports by what they wait for (`selectors.usage_report_queue`)."""

    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        """Reports to fix, to send, or that failed upstream."""
        return [
            ("invalid", "With invalid rows"),
            ("valid", "Valid, not sent"),
            ("failed", "Failed upstream"),
        ]

    def queryset(self, request, queryset):
        """The reports of the chosen queue; all for no (or an unknown) queue."""
        if self.value() not in selectors.REPORT_QUEUES:
            return queryset
        return selectors.usage_report_queue(queue=self.value(), queryset=queryset)


class UsageActionsMixin(StaffActionsMixin):
    """The staff actions of a usage mirror: whatever specs `usage.transitions` declares for the
    model, offered by state and role."""

    upstream_name = "Connect"

    def action_context(self, request, obj, bound_forms: dict) -> dict:
        """The kit's context, each form drawn by its spec's template, or by the plain one
        (`admin/usage/_action_form.html`) when that template is not there."""
        context = super().action_context(request, obj, bound_forms)
        for entry in context["action_forms"]:
            entry["template"] = drawable(entry["template"])
        return context


@functools.cache
def drawable(template_name: str) -> str:
    """The template's name if it exists, else "" (the plain form is drawn instead)."""
    if not template_name:
        return ""
    try:
        get_template(template_name)
    except TemplateDoesNotExist:
        return ""
    return template_name
