"""`/admin/mfa/setup/` (enrol an authenticator app, get recovery codes) and `/admin/mfa/verify/`.

Both are the signed-in staff member's own pages, in the admin's look. The key being enrolled
waits in the session until a current code confirms it: a wrong code writes no device.
"""

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from channelhub.mfa import services
from channelhub.mfa.forms import CodeForm

SETUP_KEY = "channelhub_mfa_setup_key"  # the session's key waiting for confirmation
TEMPLATES = "admin/channelhub/mfa/"


def _next(request) -> str:
    """Where to go once verified: the `next` asked for if it is ours, else the index."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("admin:index")


def _render(request, template: str, **context):
    return TemplateResponse(
        request, TEMPLATES + template, {**admin.site.each_context(request), "next": _next(request), **context}
    )


@never_cache
@sensitive_post_parameters("code")
@staff_member_required
def setup(request):
    """Show a new secret and its otpauth:// URI; a current code confirms it and shows the recovery codes once.

    Replacing a device needs a verified session: with one and unverified, verify first.
    """
    if services.has_device(request.user) and not services.is_verified(request):
        return redirect(f"{reverse('mfa-verify')}?{urlencode({'next': reverse('mfa-setup')})}")
    key = request.session.get(SETUP_KEY) if request.method == "POST" else None
    if not key:
        key = request.session[SETUP_KEY] = services.new_key()
    form = CodeForm(request.POST or None)
    if form.is_valid():
        codes = services.enrol(request, key=key, code=form.cleaned_data["code"])
        if codes is not None:
            request.session.pop(SETUP_KEY, None)
            return _render(request, "codes.html", title="Recovery codes", codes=codes)
        form.add_error("code", "That code is not the current one for this secret. Try the next one.")
    return _render(
        request,
        "setup.html",
        title="Set up two-factor authentication",
        form=form,
        enrolment=services.describe(request.user, key),
        replacing=services.has_device(request.user),
    )


@never_cache
@sensitive_post_parameters("code")
@staff_member_required
def verify(request):
    """Ask for a code from the app (or a recovery code) and mark the session verified."""
    if not services.has_device(request.user):
        return redirect(f"{reverse('mfa-setup')}?{urlencode({'next': _next(request)})}")
    form = CodeForm(request.POST or None)
    if form.is_valid():
        if services.verify(request, code=form.cleaned_data["code"]):
            return redirect(_next(request))
        form.add_error("code", "That code was not accepted.")
    return _render(request, "verify.html", title="Two-factor verification", form=form)
