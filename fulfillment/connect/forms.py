"""Forms of the staff actions on requests and tier config requests (the admin's detail pages
and bulk actions).

Thin on purpose: they collect what a person typed and hand it to the services in
`fulfillment.connect.services`, which decide (permission, transition, template, params) and say why
they refuse. A form validates only what the browser could not be trusted with (shapes, not
rules), so a refusal always comes back with the service's own message.

Parameter fields are named after the parameter id (`error__<id>`, `value__<id>`); ids are
Connect's (`[A-Za-z0-9_-]`), safe in a field name.
"""

from __future__ import annotations

from django import forms

from channelhub.forms import ActionForm

from . import selectors
from .choices import ParamType, TemplateScope, TemplateType

# Parameter types whose value is one string (edited in a text box). Structured ones
# (checkbox, address, phone, object) are edited in Connect itself.
SCALAR_PARAM_TYPES = frozenset(
    {
        ParamType.TEXT,
        ParamType.PASSWORD,
        ParamType.EMAIL,
        ParamType.CHOICE,
        ParamType.DROPDOWN,
        ParamType.DOMAIN,
        ParamType.SUBDOMAIN,
        ParamType.URL,
    }
)

ERROR_PREFIX = "error__"
VALUE_PREFIX = "value__"


def templates_for(product_id: str | None, *, type: str, scope: str):
    """A product's templates of one type and scope (`selectors.template_choices`)."""
    return selectors.template_choices(product_id=product_id, type=type, scope=scope)


def _template_choices(templates) -> list[tuple[str, str]]:
    return [(t.pk, f"{t.title or t.name or t.pk} ({t.pk})") for t in templates]


class ApproveForm(ActionForm):
    """Approve with one of the product's fulfillment templates, or a markdown activation tile."""

    template_id = forms.ChoiceField(
        label="Fulfillment template", required=False, widget=forms.RadioSelect, choices=()
    )
    activation_tile = forms.CharField(
        label="…or an activation tile (markdown)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
    )

    def __init__(self, *args, templates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.templates = list(templates if templates is not None else [])
        self.fields["template_id"].choices = _template_choices(self.templates)

    def service_kwargs(self) -> dict:
        """The chosen template and the activation tile (None where left empty)."""
        return {
            "template_id": self.cleaned_data["template_id"] or None,
            "activation_tile": self.cleaned_data["activation_tile"] or None,
        }


class TierConfigApproveForm(ActionForm):
    """Approve a TCR, optionally with a fulfillment template of its tier's scope."""

    template_id = forms.ChoiceField(
        label="Fulfillment template (optional)", required=False, widget=forms.RadioSelect, choices=()
    )

    def __init__(self, *args, templates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.templates = list(templates if templates is not None else [])
        self.fields["template_id"].choices = [("", "No template"), *_template_choices(self.templates)]

    def service_kwargs(self) -> dict:
        """The chosen template, or None for no template."""
        return {"template_id": self.cleaned_data["template_id"] or None}


class _ParamRowsForm(ActionForm):
    """A form with one field per parameter row of the object (`obj.params`)."""

    prefix_of_field = ""

    def param_rows(self):
        return [p for p in (getattr(self.obj, "params", None) or []) if isinstance(p, dict) and p.get("id")]

    def rows(self):
        """(param row, bound field) pairs for the template, in the object's order."""
        out = []
        for p in self.param_rows():
            name = f"{self.prefix_of_field}{p['id']}"
            if name in self.fields:
                out.append((p, self[name]))
        return out

    def values_by_param(self, names=None) -> dict[str, str]:
        out = {}
        for name, value in self.cleaned_data.items():
            if name.startswith(self.prefix_of_field) and (names is None or name in names):
                out[name[len(self.prefix_of_field) :]] = value
        return out


class InquireForm(_ParamRowsForm):
    """A value_error box beside each parameter, and an optional inquire template."""

    prefix_of_field = ERROR_PREFIX

    def __init__(self, *args, templates=None, with_template=True, **kwargs):
        super().__init__(*args, **kwargs)
        for p in self.param_rows():
            self.fields[f"{ERROR_PREFIX}{p['id']}"] = forms.CharField(
                label=p.get("title") or p["id"],
                required=False,
                max_length=1000,
                widget=forms.TextInput(attrs={"size": 40, "placeholder": "What is wrong (value error)"}),
            )
        self.templates = list(templates if templates is not None else [])
        if with_template:
            self.fields["template_id"] = forms.ChoiceField(
                label="Inquire template (optional)",
                required=False,
                choices=[("", "No template"), *_template_choices(self.templates)],
            )

    def service_kwargs(self) -> dict:
        """The value error of each parameter given one, and the template when the form offers one."""
        kwargs = {"param_errors": {k: v for k, v in self.values_by_param().items() if v.strip()}}
        if "template_id" in self.fields:
            kwargs["template_id"] = self.cleaned_data.get("template_id") or None
        return kwargs


class UpdateParamsForm(_ParamRowsForm):
    """New values for the scalar parameters; only the ones changed are sent.

    Password parameters start empty (their value is never put in the page): empty means
    "unchanged".
    """

    prefix_of_field = VALUE_PREFIX

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for p in self.param_rows():
            if p.get("type") not in SCALAR_PARAM_TYPES:
                continue
            secret = bool(p.get("secret"))
            self.fields[f"{VALUE_PREFIX}{p['id']}"] = forms.CharField(
                label=p.get("title") or p["id"],
                required=False,
                strip=False,
                initial="" if secret else str(p.get("value") or ""),
                widget=(
                    forms.PasswordInput(attrs={"placeholder": "unchanged", "autocomplete": "new-password"})
                    if secret
                    # A one-line textarea: the upstream value is element text, not an attribute.
                    else forms.Textarea(attrs={"rows": 1, "cols": 40, "class": "ch-value"})
                ),
            )

    def changed_values(self) -> dict[str, str]:
        """The parameters whose value was changed, leaving out password boxes left empty."""
        changed = set(self.changed_data)
        values = self.values_by_param(changed)
        # An emptied password box is "unchanged", not "set to nothing".
        secrets = {p["id"] for p in self.param_rows() if p.get("secret")}
        return {k: v for k, v in values.items() if not (k in secrets and v == "")}

    def service_kwargs(self) -> dict:
        """The changed parameter values."""
        return {"values": self.changed_values()}


class FailForm(ActionForm):
    """Fail with a reason shown to the customer, once confirmed (a failed request is final)."""

    reason = forms.CharField(
        label="Reason (shown to the customer)",
        # Required in the browser; the service refuses an empty one with its own message.
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60, "required": True}),
    )
    confirm = forms.BooleanField(label="Yes, fail it (Connect ends the request; it cannot be undone)")

    def service_kwargs(self) -> dict:
        """The reason."""
        return {"reason": self.cleaned_data["reason"]}


class PendForm(ActionForm):
    """Nothing to fill in: back to pending is one click."""

    def service_kwargs(self) -> dict:
        """Nothing: the service takes no input."""
        return {}


class AssignForm(ActionForm):
    """Assign to a Connect user, by id or email."""

    assignee = forms.CharField(
        label="Connect user id (UR-…) or email",
        required=False,
        max_length=254,
        widget=forms.TextInput(attrs={"size": 30, "required": True}),
    )

    def service_kwargs(self) -> dict:
        """The assignee, as typed."""
        return {"assignee": self.cleaned_data["assignee"]}


class UnassignForm(ActionForm):
    """Nothing to fill in: unassign is one click."""

    def service_kwargs(self) -> dict:
        """Nothing: the service takes no input."""
        return {}


class NoteForm(ActionForm):
    """A note posted to the conversation."""

    text = forms.CharField(
        label="Note (posted to the conversation)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60, "required": True}),
    )

    def service_kwargs(self) -> dict:
        """The note's text."""
        return {"text": self.cleaned_data["text"]}


# --- bulk actions on the requests changelist ------------------------------------------------


class BulkApproveForm(forms.Form):
    """The one fulfillment template a bulk approve applies to every selected request."""

    template_id = forms.ChoiceField(label="Fulfillment template", widget=forms.RadioSelect, choices=())

    def __init__(self, *args, templates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.templates = list(templates)
        self.fields["template_id"].choices = _template_choices(self.templates)


class BulkFailForm(forms.Form):
    """The one reason a bulk fail gives every selected request."""

    reason = forms.CharField(
        label="Reason (shown to every customer)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60, "required": True}),
    )


class BulkAssignForm(forms.Form):
    """The one user a bulk assign gives every selected request."""

    assignee = forms.CharField(
        label="Connect user id (UR-…) or email",
        required=False,
        max_length=254,
        widget=forms.TextInput(attrs={"size": 30, "required": True}),
    )


FULFILLMENT_TEMPLATE = {"type": TemplateType.FULFILLMENT, "scope": TemplateScope.ASSET}
INQUIRE_TEMPLATE = {"type": TemplateType.INQUIRE, "scope": TemplateScope.ASSET}
