"""The back office's automation views: taking an object out of automation and giving it back
(the buttons of `{% automation_panel %}` on a request's page). POST only; the services check
the permission and write the audit event; a refusal comes back as a message on the page."""

from __future__ import annotations

from functools import partial

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


def _hold_or_release(request, service, said) -> HttpResponseRedirect:
    """Call `service(target_type=, target_id=, actor=)` on the posted object; its answer, put
    in words by `said(target_id, result)`, or its refusal, as a message on the page it came from."""
    target_type, target_id = request.POST.get("target_type", ""), request.POST.get("target_id", "")
    try:
        result = service(target_type=target_type, target_id=target_id, actor=request.user)
    except (ServiceError, LookupError) as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, said(target_id, result))
    return _back(request)


@staff_member_required
@require_POST
def take_over(request):
    """Hold the object: no processor is asked about it until it is released."""
    return _hold_or_release(
        request,
        partial(services.take_over, note=request.POST.get("note", "")),
        lambda target_id, _: f"{target_id} is yours: automation leaves it alone until you give it back.",
    )


@staff_member_required
@require_POST
def release(request):
    """Give the object back to automation; its processors are asked about it as it is now."""
    return _hold_or_release(
        request,
        services.release,
        lambda target_id, queued: f"{target_id} is back in automation ({queued} processor(s) asked).",
    )
