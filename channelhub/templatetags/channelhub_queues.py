"""`{% staff_queues as queues %}`: the queues on the back office's first page that a user may see.

The apps declare their queues (`channelhub.registry.register_queue`); the core's own come last.
"""

from __future__ import annotations

from django import template
from django.urls import reverse

from channelhub import registry
from channelhub.registry import Queue

register = template.Library()

CORE_QUEUES = (
    Queue(
        "Failed upstream actions",
        "admin:channelhub_upstreamaction_changelist",
        "status__exact=failed",
        "channelhub.view_upstreamaction",
    ),
)


@register.simple_tag
def staff_queues(user) -> list[dict]:
    """Each queue the user may see: its label, its link, and a hint when it needs an e-mail."""
    shown = []
    for queue in (*registry.queues(), *CORE_QUEUES):
        if not user.has_perm(queue.perm):
            continue
        hint = queue.hint_without_email if queue.hint_without_email and not user.email else ""
        shown.append({"label": queue.label, "url": f"{reverse(queue.url_name)}?{queue.query}", "hint": hint})
    return shown
