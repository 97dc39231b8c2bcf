"""The transfer page of the customer admin (supervisors): look up what a customer holds at
another reseller (with the auth token it gave us), see each SKU's eligibility in words, choose
offers and seats, confirm, then watch the transfer's operation.

Three steps on one URL (`customer/transfer/`): GET shows the lookup form (prefilled from
`?customer=<name>` for one of ours); POST `step=lookup` asks Google and shows the choices;
POST `step=confirm` queues `services.customer_transfer_in` and redirects to the action's page
(`customer/transfer/<action id>/`), which refreshes itself until the action is over. The token
is only ever in the lookup POST: never rendered back, stored, logged or audited.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from channelhub.admin import status_badge
from channelhub.models import UpstreamAction
from channelhub.services import ServiceError
from fulfillment.channel import selectors, services
from fulfillment.channel.display import admin_url
from fulfillment.channel.forms import TransferChooseForm, TransferLookupForm
from fulfillment.channel.models import Customer, Entitlement

TRANSFER_TEMPLATE = "admin/fulfillment/channel/customer_transfer.html"
STATUS_TEMPLATE = "admin/fulfillment/channel/customer_transfer_status.html"


class TransferViewsMixin:
    """The transfer page and its progress page, for `CustomerAdmin`."""

    def transfer_urls(self) -> list:
        """The two URLs, before the admin's catch-all object URLs."""
        return [
            path(
                "transfer/",
                self.admin_site.admin_view(self.transfer_view),
                name="fulfillment_customer_transfer",
            ),
            path(
                "transfer/<int:action_id>/",
                self.admin_site.admin_view(self.transfer_status_view),
                name="fulfillment_customer_transfer_status",
            ),
        ]

    def _require_transfer(self, request) -> None:
        if not request.user.has_perm(services.TRANSFER_PERM):
            raise PermissionDenied("Transfers are for supervisors.")

    def _page(self, request, template: str, context: dict):
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "Transfer a customer in",
                **context,
            },
        )

    # An error report (a crash with ADMINS set) never shows the token.
    @method_decorator(sensitive_post_parameters("auth_token"))
    @method_decorator(sensitive_variables("data", "lookup_form"))
    def transfer_view(self, request):
        """Lookup, choose and confirm (see the module docstring)."""
        self._require_transfer(request)
        step = request.POST.get("step") if request.method == "POST" else ""
        if step == "confirm":
            return self._confirm(request)
        if step == "lookup":
            lookup_form = TransferLookupForm(request.POST)
            if lookup_form.is_valid():
                data = lookup_form.cleaned_data
                try:
                    lookup = selectors.transfer_lookup(
                        cloud_identity_id=data["cloud_identity_id"],
                        domain=data["domain"],
                        auth_token=data["auth_token"],
                    )
                except ServiceError as error:
                    messages.error(request, error.message)
                else:
                    return self._choices_page(request, lookup, TransferChooseForm(
                        initial={"cloud_identity_id": lookup.cloud_identity_id}, choices=lookup.eligible
                    ))  # fmt: skip
            # the token is never rendered back: the form comes back without it
            lookup_form = TransferLookupForm(
                initial={k: request.POST.get(k, "") for k in ("cloud_identity_id", "domain")}
            )
            return self._page(request, TRANSFER_TEMPLATE, {"lookup_form": lookup_form})
        initial = {}
        customer = Customer.objects.filter(pk=request.GET.get("customer") or "").first()
        if customer is not None:
            initial = {"cloud_identity_id": customer.cloud_identity_id, "domain": customer.domain}
        return self._page(request, TRANSFER_TEMPLATE, {"lookup_form": TransferLookupForm(initial=initial)})

    def _choices_page(self, request, lookup, choose_form):
        return self._page(
            request,
            TRANSFER_TEMPLATE,
            {
                "lookup": lookup,
                "ineligible": lookup.ineligible,
                "choose_form": choose_form,
                "customer_url": admin_url(Customer, lookup.customer.pk) if lookup.customer else "",
            },
        )

    def _confirm(self, request):
        """Queue the transfer of what was ticked (the lookup runs again, without the token)."""
        cloud_identity_id = request.POST.get("cloud_identity_id", "")
        try:
            lookup = selectors.transfer_lookup(cloud_identity_id=cloud_identity_id)
        except ServiceError as error:
            messages.error(request, f"{error.message} (look the customer up again with its auth token)")
            return HttpResponseRedirect(reverse("admin:fulfillment_customer_transfer"))
        form = TransferChooseForm(request.POST, choices=lookup.eligible)
        if form.is_valid():
            try:
                action = services.customer_transfer_in(actor=request.user, **form.service_kwargs())
            except ServiceError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, f"Transfer queued (action #{action.pk}); this page follows it.")
                return HttpResponseRedirect(
                    reverse("admin:fulfillment_customer_transfer_status", args=[action.pk])
                )
        else:
            messages.error(request, "Please correct the errors below.")
        return self._choices_page(request, lookup, form)

    def transfer_status_view(self, request, action_id: int):
        """One transfer in: its status, operation, upstream answer and what came over."""
        self._require_transfer(request)
        action = (
            UpstreamAction.objects.select_related("actor")
            .filter(pk=action_id, kind="channel.customer.transfer_in")
            .first()
        )
        if action is None:
            raise Http404(f"No transfer #{action_id}.")
        response = action.response or {}
        customer_name = (
            response.get("customer_name")
            or response.get("customer")
            or (action.payload or {}).get("customer")
        )
        if isinstance(customer_name, dict):
            customer_name = customer_name.get("name")
        moved = [e.get("name") for e in response.get("entitlements") or [] if isinstance(e, dict)]
        return self._page(
            request,
            STATUS_TEMPLATE,
            {
                "title": f"Transfer #{action.pk}",
                "action": action,
                "badge": status_badge(action.status, action.get_status_display()),
                "operation": response.get("operation") or "",
                "customer_url": admin_url(Customer, customer_name)
                if customer_name and Customer.objects.filter(pk=customer_name).exists()
                else "",
                "moved": [
                    {"name": name, "url": admin_url(Entitlement, name)}
                    for name in moved
                    if name and Entitlement.objects.filter(pk=name).exists()
                ],
                "refresh": action.is_open,
            },
        )
