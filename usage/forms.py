"""Forms of the usage and billing staff actions (the admin's detail pages).

Thin on purpose: they collect what a person typed and hand it to `usage.services`, which
decide (permission, transition, records, billing ids) and say why they refuse. A form checks
only shapes (a list of ids, JSON that parses, a date), never rules.
"""

from __future__ import annotations

import json
import re

from django import forms

from channelhub.forms import ActionForm

from .choices import BillingRequestType, PeriodUnit, ReportStatus
from .models import UsageReport

RECORD_SPLIT = re.compile(r"[\s,;]+")


class NoInputForm(ActionForm):
    """An action that takes nothing but the click (submit, delete, close, reprocess, send)."""


class AcceptForm(ActionForm):
    """Accept a pending file, with an acceptance note for the vendor."""

    note = forms.CharField(
        label="Acceptance note", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def service_kwargs(self) -> dict:
        """The note."""
        return {"note": self.cleaned_data["note"]}


class ConfirmForm(ActionForm):
    """An action that cannot be taken back: nothing to fill in but a confirmation (delete)."""

    confirm = forms.BooleanField(label="Yes, do it (it cannot be undone)")


class RejectForm(ActionForm):
    """Reject a pending file; the note (required) tells the vendor what to fix; confirmed, since
    the vendor has to upload again."""

    note = forms.CharField(label="Rejection note", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
    confirm = forms.BooleanField(label="Yes, reject it (the vendor has to fix and upload it again)")

    def service_kwargs(self) -> dict:
        """The note."""
        return {"note": self.cleaned_data["note"]}


class ReuploadForm(ActionForm):
    """Upload one of our valid reports of the file's product and contract to it again."""

    report = forms.ModelChoiceField(label="Report to upload", queryset=UsageReport.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        queryset = UsageReport.objects.filter(
            status__in=(ReportStatus.VALID, ReportStatus.FAILED, ReportStatus.SENT), invalid_rows=0
        )
        if self.obj is not None:
            queryset = queryset.filter(product_id=self.obj.product_id, contract_id=self.obj.contract_id)
        self.fields["report"].queryset = queryset.order_by("-created_at")

    def service_kwargs(self) -> dict:
        """The chosen report."""
        return {"report": self.cleaned_data["report"]}


class BillingIdForm(ActionForm):
    """Close with the id (and a note) of the bill it went on: a record, a chunk."""

    billing_id = forms.CharField(label="External billing id", max_length=200)
    note = forms.CharField(
        label="Billing note", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def service_kwargs(self) -> dict:
        """The billing id and note."""
        return {"billing_id": self.cleaned_data["billing_id"], "note": self.cleaned_data["note"]}


class CloseRecordsForm(BillingIdForm):
    """Close many records of a file at once: listed ids, or every approved one, each with a
    billing id from one pattern (`{record}`: its id, `{n}`: its number)."""

    billing_id = forms.CharField(
        label="External billing id (pattern)",
        max_length=200,
        help_text="The same id for every record, or a pattern: {record} is the record's id, {n} its number.",
    )
    all_approved = forms.BooleanField(label="Every approved record of the file", required=False)
    record_ids = forms.CharField(
        label="…or these records (UR-… ids, one a line or comma-separated)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean(self):
        """One of the two ways of naming the records."""
        data = super().clean()
        ids = [i for i in RECORD_SPLIT.split(data.get("record_ids") or "") if i]
        if data.get("all_approved") and ids:
            raise forms.ValidationError("Either every approved record or a list of records, not both.")
        if not data.get("all_approved") and not ids:
            raise forms.ValidationError("List the records to close, or choose every approved record.")
        data["record_list"] = ids
        return data

    def service_kwargs(self) -> dict:
        """The pattern, note, and the records (or all approved)."""
        return {
            **super().service_kwargs(),
            "all_approved": self.cleaned_data["all_approved"],
            "record_ids": self.cleaned_data["record_list"],
        }


class JSONField(forms.CharField):
    """A JSON text box whose value is the parsed JSON."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 60})

    def to_python(self, value):
        """The parsed JSON (None when empty)."""
        text = super().to_python(value)
        if not text:
            return None
        try:
            return json.loads(text, parse_float=str)  # amounts stay exact text, never float
        except ValueError as exc:
            raise forms.ValidationError(f"Not JSON: {exc}") from None


class BillingRequestCreateForm(ActionForm):
    """Bill a recurring asset (the form's object) for one period."""

    type = forms.ChoiceField(label="Who bills", choices=BillingRequestType.choices)
    period_from = forms.DateTimeField(label="Period from (UTC)")
    period_to = forms.DateTimeField(label="Period to (UTC)")
    period_delta = forms.DecimalField(label="Period length", initial=1, min_value=0, decimal_places=2)
    period_uom = forms.ChoiceField(
        label="Period unit", choices=PeriodUnit.choices, initial=PeriodUnit.MONTHLY
    )
    items = JSONField(label="Items (JSON list; empty: the asset's items)", required=False)
    attributes = JSONField(label='Attributes (JSON: {"vendor": {...}, "provider": {...}})', required=False)

    def service_kwargs(self) -> dict:
        """The period, items and attributes; the asset is the form's object."""
        data = self.cleaned_data
        return {
            "asset": self.obj,
            "type": data["type"],
            "period_from": data["period_from"],
            "period_to": data["period_to"],
            "period_delta": data["period_delta"],
            "period_uom": data["period_uom"],
            "items": data["items"],
            "attributes": data["attributes"],
        }


class BillingRequestAttributesForm(ActionForm):
    """Set a billing request's vendor and/or provider attributes."""

    vendor = JSONField(label="Vendor attributes (JSON object)", required=False)
    provider = JSONField(label="Provider attributes (JSON object)", required=False)

    def clean(self):
        """At least one side, each an object."""
        data = super().clean()
        for side in ("vendor", "provider"):
            if data.get(side) is not None and not isinstance(data[side], dict):
                self.add_error(side, 'An object: {"name": "value", ...}.')
        if data.get("vendor") is None and data.get("provider") is None:
            raise forms.ValidationError("Set the vendor's attributes, the provider's, or both.")
        return data

    def service_kwargs(self) -> dict:
        """The attributes of the sides given."""
        data = self.cleaned_data
        return {"attributes": {s: data[s] for s in ("vendor", "provider") if data.get(s) is not None}}
