"""`{% dashboard request %}` draws the widgets a user may see; `{% work_groups app_list as groups %}`
regroups the admin's app list by work (channelhub.dashboard)."""

from __future__ import annotations

from django import template
from django.template.loader import render_to_string
from django.utils.html import format_html_join

from channelhub.dashboard import visible_widgets
from channelhub.dashboard.nav import work_groups as _work_groups

register = template.Library()


@register.simple_tag
def dashboard(request):
    """Every widget the request's user may see, each drawn by its own template."""
    parts = [
        render_to_string(widget.template, {"widget": widget, **widget.context(request.user)}, request=request)
        for widget in visible_widgets(request.user)
    ]
    return format_html_join("", "{}", ((part,) for part in parts))


@register.simple_tag
def work_groups(app_list):
    """The app list as work groups (Connect, Cloud Channel, Usage, Inventory, Operations, ...)."""
    return _work_groups(app_list or [])
