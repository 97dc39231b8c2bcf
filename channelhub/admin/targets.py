"""Queue targets (the dashboard's SLA per queue and product): supervisors set them here."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from channelhub.models import QueueTarget

# Who may see and set targets: channelhub.roles (readonly and support view; supervisors set).


def queue_choices() -> list[tuple[str, str]]:
    """The dashboard's queues that can have a target: (key, "Widget: queue")."""
    from channelhub.dashboard import all_widgets  # noqa: PLC0415 - the dashboard imports the admin kit

    choices = []
    for widget in all_widgets():
        for row in getattr(widget, "rows", ()):
            if getattr(row, "targets", False):
                choices.append((row.key, f"{widget.title}: {row.label}"))
    return choices


class QueueTargetForm(forms.ModelForm):
    """The queue is chosen among the dashboard's queues (a typo would measure nothing)."""

    class Meta:
        model = QueueTarget
        fields = ("queue", "product_id", "minutes", "note")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["queue"] = forms.ChoiceField(
            choices=queue_choices(), help_text=QueueTarget._meta.get_field("queue").help_text
        )


@admin.register(QueueTarget)
class QueueTargetAdmin(admin.ModelAdmin):
    """How long rows may wait per queue (and product) before the dashboard counts a breach."""

    form = QueueTargetForm
    list_display = ("queue", "product_id", "minutes", "note")
    list_filter = ("queue",)
    search_fields = ("=product_id",)
    ordering = ("queue", "product_id")
