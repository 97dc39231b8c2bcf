"""Forms of the Channel staff actions (entitlement, customer and partner link pages, and the
customer changelist's create form).

Thin, like fulfillment.connect.forms: they collect what a person typed and hand it to the services
in `fulfillment.channel.services`, which decide (role, state, seat ranges, offers) and say
why they refuse. Offer choices are the ones the services accept, so a refusal is rare.
"""

from __future__ import annotations

from typing import ClassVar

from django import forms

from channelhub.forms import ActionForm

from .choices import CustomerType, LinkState, PaymentPlan, PeriodType
from .display import mirrored_offer_summary, offer_summary
from .services.common import PURCHASE_ORDER_MAX
from .services.partner_links import LINK_STATE_TRANSITIONS


def _purchase_order_field():
    return forms.CharField(
        label="Purchase order id (optional)", required=False, max_length=PURCHASE_ORDER_MAX
    )


class SuspendForm(ActionForm):
    """Suspend: the service stops for the customer, so a confirmation and a reason (for the
    audit trail)."""

    reason = forms.CharField(label="Why (for the audit trail)", max_length=500)
    confirm = forms.BooleanField(label="Yes, suspend it (the customer's service stops until it is activated)")

    def service_kwargs(self) -> dict:
        """The reason, for the audit trail."""
        return {"reason": self.cleaned_data["reason"]}


class ActivateForm(ActionForm):
    """Nothing to fill in: lifts our own suspension."""


class StartPaidServiceForm(ActionForm):
    """Nothing to fill in: ends the trial and starts the paid plan."""


class CancelEntitlementForm(ActionForm):
    """Cancel an entitlement for good: a confirmation box and a reason for the audit trail."""

    confirm = forms.BooleanField(label="Yes, cancel it for good (it cannot be undone)", required=True)
    reason = forms.CharField(label="Why (for the audit trail)", required=False, max_length=500)

    def service_kwargs(self) -> dict:
        """The reason, for the audit trail."""
        return {"reason": self.cleaned_data["reason"]}


class ChangeSeatsForm(ActionForm):
    """A new seat count (starting from the current one) and an optional purchase order id."""

    seats = forms.IntegerField(
        label="Seats", min_value=0, widget=forms.NumberInput(attrs={"style": "width:8em"})
    )
    purchase_order_id = _purchase_order_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.obj is not None and self.obj.seats is not None:
            self.fields["seats"].initial = self.obj.seats

    def service_kwargs(self) -> dict:
        """The seats and the purchase order id."""
        return {
            "seats": self.cleaned_data["seats"],
            "purchase_order_id": self.cleaned_data["purchase_order_id"],
        }


class ChangeRenewalForm(ActionForm):
    """Renewal settings: whether to renew, on which plan, paid how often, and whether to resize seats."""

    enable_renewal = forms.BooleanField(label="Renew at the end of the commitment", required=False)
    payment_plan = forms.ChoiceField(
        label="Renew on",
        choices=[(PaymentPlan.COMMITMENT, "Commitment plan"), (PaymentPlan.FLEXIBLE, "Flexible plan")],
        required=False,
    )
    period_type = forms.ChoiceField(
        label="Paid every",
        choices=[(PeriodType.YEAR, "year"), (PeriodType.MONTH, "month")],
        required=False,
    )
    resize_unit_count = forms.BooleanField(label="Resize seats to those in use at renewal", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = (self.obj.renewal_settings or {}) if self.obj is not None else {}
        self.fields["enable_renewal"].initial = bool(current.get("enableRenewal"))
        self.fields["payment_plan"].initial = current.get("paymentPlan") or PaymentPlan.COMMITMENT
        self.fields["period_type"].initial = (current.get("paymentCycle") or {}).get(
            "periodType"
        ) or PeriodType.YEAR
        self.fields["resize_unit_count"].initial = bool(current.get("resizeUnitCount"))

    def service_kwargs(self) -> dict:
        """The renewal settings; a blank plan or period means a commitment plan paid yearly."""
        data = self.cleaned_data
        return {
            "enable_renewal": data["enable_renewal"],
            "resize_unit_count": data["resize_unit_count"],
            "payment_plan": data["payment_plan"] or PaymentPlan.COMMITMENT,
            "period_type": data["period_type"] or PeriodType.YEAR,
        }


class ChangeOfferForm(ActionForm):
    """The offers come from `offers_for_change` (upstream's purchasable offers, else the mirror)."""

    offer = forms.ChoiceField(label="New offer", choices=())
    seats = forms.IntegerField(
        label="Seats (if the new offer takes them)",
        required=False,
        min_value=0,
        widget=forms.NumberInput(attrs={"style": "width:8em"}),
    )
    purchase_order_id = _purchase_order_field()

    def __init__(self, *args, offers=(), source="", **kwargs):
        super().__init__(*args, **kwargs)
        self.source = source
        self.fields["offer"].choices = [("", "— choose —")] + [(o["name"], offer_summary(o)) for o in offers]
        if self.obj is not None and self.obj.seats is not None:
            self.fields["seats"].initial = self.obj.seats

    def service_kwargs(self) -> dict:
        """The chosen offer's name, the seats and the purchase order id."""
        data = self.cleaned_data
        return {
            "offer": data["offer"],
            "seats": data["seats"],
            "purchase_order_id": data["purchase_order_id"],
        }


# --- customers ---------------------------------------------------------------------------------


class _CustomerFields(forms.Form):
    org_display_name = forms.CharField(label="Organisation name", max_length=255)
    region_code = forms.CharField(
        label="Country (region code)", max_length=2, help_text="Two letters: US, DE, …"
    )
    postal_code = forms.CharField(label="Postal code", max_length=32)
    administrative_area = forms.CharField(label="State / province", max_length=100, required=False)
    locality = forms.CharField(label="City", max_length=100, required=False)
    address_lines = forms.CharField(
        label="Street address (one line each)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 40}),
    )
    contact_first_name = forms.CharField(label="Contact first name", max_length=100, required=False)
    contact_last_name = forms.CharField(label="Contact last name", max_length=100, required=False)
    contact_email = forms.EmailField(label="Contact email (in the domain)", required=False)
    contact_phone = forms.CharField(label="Contact phone", max_length=40, required=False)
    alternate_email = forms.EmailField(label="Alternate email (outside the domain)", required=False)
    language_code = forms.CharField(label="Language", max_length=16, required=False, initial="en-US")

    def values(self) -> dict:
        return dict(self.cleaned_data)


class CustomerCreateForm(_CustomerFields):
    """On the customer changelist: a new customer (its domain is checked first)."""

    action = "create"
    domain = forms.CharField(label="Primary domain", max_length=253)
    field_order: ClassVar[list[str]] = ["org_display_name", "domain"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "create")
        super().__init__(*args, **kwargs)

    def service_kwargs(self) -> dict:
        """The customer's details, as typed."""
        return {"values": self.values()}


class CustomerUpdateForm(ActionForm, _CustomerFields):
    """A customer's details, filled in from its payload to be edited."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        doc = (self.obj.payload or {}) if self.obj is not None else {}
        address = doc.get("orgPostalAddress") or {}
        contact = doc.get("primaryContactInfo") or {}
        initial = {
            "org_display_name": doc.get("orgDisplayName", ""),
            "region_code": address.get("regionCode", ""),
            "postal_code": address.get("postalCode", ""),
            "administrative_area": address.get("administrativeArea", ""),
            "locality": address.get("locality", ""),
            "address_lines": "\n".join(address.get("addressLines") or []),
            "contact_first_name": contact.get("firstName", ""),
            "contact_last_name": contact.get("lastName", ""),
            "contact_email": contact.get("email", ""),
            "contact_phone": contact.get("phone", ""),
            "alternate_email": doc.get("alternateEmail", ""),
            "language_code": doc.get("languageCode", ""),
        }
        for name, value in initial.items():
            self.fields[name].initial = value

    def service_kwargs(self) -> dict:
        """The customer's details, as edited."""
        return {"values": self.values()}


class ProvisionCloudIdentityForm(ActionForm):
    """The first admin, type and language of the customer's new Cloud Identity."""

    admin_email = forms.EmailField(label="First admin's email (in the domain)")
    given_name = forms.CharField(label="Given name", max_length=60)
    family_name = forms.CharField(label="Family name", max_length=60)
    alternate_email = forms.EmailField(label="Alternate email (outside the domain)", required=False)
    customer_type = forms.ChoiceField(
        label="Type",
        choices=[(CustomerType.DOMAIN, "Domain (verified)"), (CustomerType.TEAM, "Team (email-verified)")],
        initial=CustomerType.DOMAIN,
    )
    language_code = forms.CharField(label="Language", max_length=16, initial="en-US")

    def service_kwargs(self) -> dict:
        """Every field, as typed."""
        return dict(self.cleaned_data)


class CreateEntitlementForm(ActionForm):
    """A new entitlement: one of the offers the customer can buy, seats and a purchase order id."""

    offer = forms.ChoiceField(label="Offer", choices=())
    seats = forms.IntegerField(
        label="Seats", required=False, min_value=0, widget=forms.NumberInput(attrs={"style": "width:8em"})
    )
    purchase_order_id = _purchase_order_field()

    def __init__(self, *args, offers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["offer"].choices = [("", "— choose —")] + [
            (o.pk, mirrored_offer_summary(o)) for o in offers
        ]

    def service_kwargs(self) -> dict:
        """The chosen offer's id, the seats and the purchase order id."""
        data = self.cleaned_data
        return {
            "offer": data["offer"],
            "seats": data["seats"],
            "purchase_order_id": data["purchase_order_id"],
        }


class DeleteCustomerForm(ActionForm):
    """Delete a customer upstream, once confirmed."""

    confirm = forms.BooleanField(label="Yes, delete this customer upstream", required=True)


# --- transfers ----------------------------------------------------------------------------------


class TransferToGoogleForm(ActionForm):
    """Hand some of the customer's live entitlements back to Google, once confirmed."""

    entitlements = forms.MultipleChoiceField(
        label="Entitlements to hand back to Google", choices=(), widget=forms.CheckboxSelectMultiple
    )
    confirm = forms.BooleanField(
        label="Yes, transfer them to Google (they end for us; the customer keeps its service with Google)",
        required=True,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        live = (
            self.obj.entitlements.filter(gone_at__isnull=True).order_by("sku_id")
            if self.obj is not None
            else []
        )
        self.fields["entitlements"].choices = [
            (
                e.pk,
                f"{e} — {e.sku_id.rsplit('/', 1)[-1] or e.offer_id} ({e.get_provisioning_state_display()})",
            )
            for e in live
        ]

    def service_kwargs(self) -> dict:
        """The chosen entitlements' names."""
        return {"entitlements": self.cleaned_data["entitlements"]}


class TransferLookupForm(forms.Form):
    """Who to look up: the customer's Cloud Identity id or domain, and the auth token its super
    admin generated (never shown back, kept or logged)."""

    cloud_identity_id = forms.CharField(label="Cloud Identity id", required=False, max_length=64)
    domain = forms.CharField(label="or domain", required=False, max_length=253)
    auth_token = forms.CharField(
        label="Auth token from the customer",
        required=False,
        max_length=2048,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Their super admin generates it in the Admin console (Account > Account settings > "
        "Transfer token). Needed the first time only; it is used for this lookup and not kept.",
    )

    def clean(self):
        """One of the Cloud Identity id and the domain is needed."""
        data = super().clean()
        if not data.get("cloud_identity_id") and not data.get("domain"):
            raise forms.ValidationError("Give the customer's Cloud Identity id or its domain.")
        return data


class TransferChooseForm(forms.Form):
    """For each eligible SKU of a lookup: take it or not, the offer to move it to, seats and a
    purchase order id. Built from the lookup's eligible choices (`choices`), in their order."""

    cloud_identity_id = forms.CharField(widget=forms.HiddenInput, max_length=64)
    confirm = forms.BooleanField(
        label="Yes, transfer the ticked subscriptions to us (Google moves them from their current reseller)",
        required=True,
    )

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.choices = list(choices)
        for index, choice in enumerate(self.choices):
            offers = choice.offers
            self.fields[f"take_{index}"] = forms.BooleanField(label=choice.sku.display_name, required=False)
            self.fields[f"offer_{index}"] = forms.ChoiceField(
                label="Offer", choices=[(o["name"], o["summary"]) for o in offers], required=False
            )
            self.fields[f"seats_{index}"] = forms.IntegerField(
                label="Seats",
                required=False,
                min_value=1,
                initial=max((o["min_seats"] for o in offers), default=1),
                widget=forms.NumberInput(attrs={"style": "width:6em"}),
            )
            self.fields[f"po_{index}"] = _purchase_order_field()

    def rows(self) -> list[dict]:
        """Each choice with its bound fields, for the template."""
        return [
            {
                "choice": choice,
                "take": self[f"take_{i}"],
                "offer": self[f"offer_{i}"],
                "seats": self[f"seats_{i}"],
                "po": self[f"po_{i}"],
            }
            for i, choice in enumerate(self.choices)
        ]

    def clean(self):
        """At least one subscription ticked, each with an offer."""
        data = super().clean()
        taken = [i for i in range(len(self.choices)) if data.get(f"take_{i}")]
        if not taken:
            raise forms.ValidationError("Tick at least one subscription to transfer.")
        for i in taken:
            if not data.get(f"offer_{i}"):
                self.add_error(f"offer_{i}", "Choose the offer to move it to.")
        return data

    def service_kwargs(self) -> dict:
        """The Cloud Identity id and the ticked subscriptions, for services.customer_transfer_in."""
        data = self.cleaned_data
        chosen = [
            {
                "sku": choice.sku.name,
                "offer": data.get(f"offer_{i}"),
                "seats": data.get(f"seats_{i}"),
                "purchase_order_id": data.get(f"po_{i}") or "",
            }
            for i, choice in enumerate(self.choices)
            if data.get(f"take_{i}")
        ]
        return {"cloud_identity_id": data["cloud_identity_id"], "entitlements": chosen}


# --- partner links ------------------------------------------------------------------------------


class LinkStateForm(ActionForm):
    """A partner link's new state, among those its current state can move to."""

    link_state = forms.ChoiceField(label="New state", choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.obj.link_state if self.obj is not None else ""
        self.fields["link_state"].choices = [
            (s, LinkState(s).label) for s in LINK_STATE_TRANSITIONS.get(current, ())
        ] or [(s, LinkState(s).label) for s in (LinkState.ACTIVE, LinkState.SUSPENDED, LinkState.REVOKED)]

    def service_kwargs(self) -> dict:
        """The chosen link state."""
        return {"link_state": self.cleaned_data["link_state"]}
