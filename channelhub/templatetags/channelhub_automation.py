"""`{% automation_panel obj %}`: on an object's page, which processor decided what, when and
why, who holds the object out of automation, and the buttons to take it over or give it back.
Renders nothing for a model no processor works on."""

from __future__ import annotations

from django import template

from channelhub.automation.selectors import decisions_of, takeover_of
from channelhub.automation.services import RUN_PERM, hold_perm
from channelhub.automation.subjects import subject_of

register = template.Library()


@register.inclusion_tag("admin/channelhub/automation/_panel.html", takes_context=True)
def automation_panel(context, obj) -> dict:
    """The panel's context (`shown` False when the object's model has no automation subject)."""
    subject = subject_of(type(obj)) if obj is not None else None
    if subject is None:
        return {"shown": False}
    request = context.get("request")
    user = getattr(request, "user", None)
    keys = {"target_type": subject.target_type, "target_id": obj.pk}
    perm = hold_perm(subject.target_type)
    may_hold = bool(user and perm and user.has_perm(perm))  # the services' own check
    return {
        "shown": True,
        "decisions": decisions_of(**keys),
        "held": takeover_of(**keys),
        "target_type": subject.target_type,
        "target_id": obj.pk,
        "next": request.get_full_path() if request is not None else "",
        "may_hold": may_hold,
        "sees_tracebacks": bool(user and user.has_perm(RUN_PERM)),
        "csrf_token": context.get("csrf_token"),
    }
