"""The back office's automation views: taking an object out of automation and giving it back
(the buttons of `{% automation_panel %}` on a request's page). POST only; the services check
the permission and write the audit event; a refusal comes back as a message on the page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from channelhub.automation import services
from channelhub.services import ServiceError


def _back(request) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/admin/"
    return HttpResponseRedirect(target)


@staff_member_required
@require_POST
def take_over(request):
    """Hold the object: no processor is asked about it until it is released."""
    target_type, target_id = request.POST.get("target_type", ""), request.POST.get("target_id", "")
    try:
        services.take_over(
            target_type=target_type,
            target_id=target_id,
            actor=request.user,
            note=request.POST.get("note", ""),
        )
    except (ServiceError, LookupError) as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"{target_id} is yours: automation leaves it alone until you give it back.")
    return _back(request)


@staff_member_required
@require_POST
def release(request):
    """Give the object back to automation; its processors are asked about it as it is now."""
    target_type, target_id = request.POST.get("target_type", ""), request.POST.get("target_id", "")
    try:
        queued = services.release(target_type=target_type, target_id=target_id, actor=request.user)
    except (ServiceError, LookupError) as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"{target_id} is back in automation ({queued} processor(s) asked).")
    return _back(request)
