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

import re

from django import forms
from django.core.validators import RegexValidator

from channelhub.forms import ActionForm

from . import selectors
from .choices import ParamType, TemplateScope, TemplateType

# Parameter types whose value is one string (edited in a text box). Phone, address and checkbox
# are edited by parts (below); object parameters are edited in Connect itself.
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

_SEPARATORS = re.compile(r"[\s().-]")


class _PhonePartField(forms.CharField):
    """Digits of a phone number's part; spaces, dashes, dots and brackets are dropped."""

    def __init__(self, *, digits: str, plus: bool = False, **kwargs):
        self.plus = plus
        pattern = rf"^\+[0-9]{{{digits}}}$" if plus else rf"^[0-9]{{{digits}}}$"
        what = "a + and digits, e.g. +1 or +34" if plus else "digits only"
        super().__init__(required=False, validators=[RegexValidator(pattern, f"Should be {what}.")], **kwargs)

    def to_python(self, value):
        """The part without separators (a country code with its +)."""
        text = _SEPARATORS.sub("", super().to_python(value))
        if self.plus and text and not text.startswith("+"):
            text = f"+{text}"
        return text


class _CountryField(forms.CharField):
    """A two-letter country code (ISO 3166), upper-cased."""

    def __init__(self, **kwargs):
        message = "Should be a two-letter country code, e.g. US."
        super().__init__(required=False, validators=[RegexValidator(r"^[A-Z]{2}$", message)], **kwargs)

    def to_python(self, value):
        """The code upper-cased."""
        return super().to_python(value).upper()


_POSTAL_CODE = RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9 -]*$", "Should be letters, digits, spaces or dashes.")


def _text_part(max_length: int = 255, **kwargs):
    return lambda: forms.CharField(required=False, max_length=max_length, **kwargs)


# The parts of a structured value (Connect's structured_value keys, connect-openapi-v37.yml), with
# a label and a field factory each; NEEDED_PARTS: the parts a changed, not emptied value must have.
STRUCTURED_PARTS = {
    ParamType.PHONE: {
        "country_code": ("Country code", lambda: _PhonePartField(digits="1,4", plus=True)),
        "area_code": ("Area code", lambda: _PhonePartField(digits="1,6")),
        "phone_number": ("Number", lambda: _PhonePartField(digits="3,15")),
        "extension": ("Extension", lambda: _PhonePartField(digits="1,10")),
    },
    ParamType.ADDRESS: {
        "address_line1": ("Address line 1", _text_part()),
        "address_line2": ("Address line 2", _text_part()),
        "city": ("City", _text_part()),
        "state": ("State", _text_part()),
        "postal_code": ("Postal code", _text_part(32, validators=[_POSTAL_CODE])),
        "country": ("Country", _CountryField),
    },
}
NEEDED_PARTS = {
    ParamType.PHONE: ("country_code", "phone_number"),
    ParamType.ADDRESS: ("address_line1", "city", "postal_code", "country"),
}


def _scalar_field(p: dict) -> forms.CharField:
    secret = bool(p.get("secret"))
    return forms.CharField(
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


def _checkbox_options(obj) -> dict[str, list[tuple[str, str]]]:
    """The options of each checkbox parameter, as its product lists them (`value_choices`, else the
    constraints' choices) in the raw upstream parameter: the mirrored rows do not keep them."""
    payload = getattr(obj, "payload", None) or {}
    raw = (payload.get("asset") or {}).get("params") if "asset" in payload else payload.get("params")
    out = {}
    for param in raw if isinstance(raw, list) else []:
        if not isinstance(param, dict) or param.get("type") != ParamType.CHECKBOX:
            continue
        constraints = param.get("constraints") if isinstance(param.get("constraints"), dict) else {}
        meta = constraints.get("meta") if isinstance(constraints.get("meta"), dict) else {}
        listed = param.get("value_choices") or meta.get("choices") or []
        choices = [
            (str(c["value"]), str(c.get("label") or c["value"]))
            for c in listed
            if isinstance(c, dict) and c.get("value") not in (None, "")
        ]
        if choices:
            out[str(param.get("id"))] = choices
    return out


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
    """New values for the parameters Connect lets us change; only the ones changed are sent.

    Text-like parameters get one box. A phone or an address gets a box per part of its
    `structured_value` (`value__<id>__<part>`), a checkbox one tick per option its product lists
    (none listed: not offered); those are sent as `structured_value` (the service adds the
    one-line `value`). A structured parameter counts only when its hidden `value__<id>__shown`
    marker was posted: a page that did not show its boxes does not clear it. Object parameters
    are still edited in Connect itself.

    Password parameters start empty (their value is never put in the page): empty means
    "unchanged".
    """

    prefix_of_field = VALUE_PREFIX

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.structured: dict[str, str] = {}  # parameter id -> its type, for the structured ones
        options = _checkbox_options(self.obj)
        for p in self.param_rows():
            kind = p.get("type")
            if kind in SCALAR_PARAM_TYPES:
                self.fields[f"{VALUE_PREFIX}{p['id']}"] = _scalar_field(p)
            elif kind in STRUCTURED_PARTS:
                self._add_parts(p, STRUCTURED_PARTS[kind])
            elif kind == ParamType.CHECKBOX and options.get(p["id"]):
                self._add_options(p, options[p["id"]])

    def _add_parts(self, p: dict, parts) -> None:
        current = p.get("structured_value") if isinstance(p.get("structured_value"), dict) else {}
        title = p.get("title") or p["id"]
        for part, (label, make) in parts.items():
            field = make()
            field.label, field.initial = f"{title}, {label.lower()}", str(current.get(part) or "")
            self.fields[f"{VALUE_PREFIX}{p['id']}__{part}"] = field
        self._add_marker(p)

    def _add_options(self, p: dict, choices: list[tuple[str, str]]) -> None:
        current = p.get("structured_value") if isinstance(p.get("structured_value"), dict) else {}
        self.fields[f"{VALUE_PREFIX}{p['id']}"] = forms.MultipleChoiceField(
            label=p.get("title") or p["id"],
            required=False,
            choices=choices,
            initial=[value for value, _ in choices if current.get(value)],
            widget=forms.CheckboxSelectMultiple,
        )
        self._add_marker(p)

    def _add_marker(self, p: dict) -> None:
        self.structured[p["id"]] = p["type"]
        self.fields[f"{VALUE_PREFIX}{p['id']}__shown"] = forms.CharField(
            required=False, initial="1", widget=forms.HiddenInput
        )

    def part_names(self, pid: str) -> list[str]:
        """The field names holding parameter `pid`'s input (its parts, or its options)."""
        kind = self.structured.get(pid)
        if kind in STRUCTURED_PARTS:
            return [f"{VALUE_PREFIX}{pid}__{part}" for part in STRUCTURED_PARTS[kind]]
        return [f"{VALUE_PREFIX}{pid}"]

    def rows(self):
        """(param row, [(part label, bound field)...]) pairs for the template, in the object's order;
        a one-box parameter has one pair with an empty label."""
        out = []
        for p in self.param_rows():
            pid, kind = p["id"], self.structured.get(p["id"])
            if kind in STRUCTURED_PARTS:
                parts = STRUCTURED_PARTS[kind].values()
                names = self.part_names(pid)
                out.append((p, [(label, self[name]) for (label, _), name in zip(parts, names, strict=True)]))
            elif f"{VALUE_PREFIX}{pid}" in self.fields:
                out.append((p, [("", self[f"{VALUE_PREFIX}{pid}"])]))
        return out

    def _shown(self, pid: str) -> bool:
        return self.add_prefix(f"{VALUE_PREFIX}{pid}__shown") in self.data

    def _changed_structured(self) -> list[str]:
        changed = set(self.changed_data)
        return [
            pid
            for pid in self.structured
            if self._shown(pid) and any(name in changed for name in self.part_names(pid))
        ]

    def clean(self):
        """A changed phone needs its country code and number; a changed address its first line, city,
        postal code and country (shapes only: whether a parameter may be emptied is Connect's rule)."""
        cleaned = super().clean()
        for pid in self._changed_structured():
            if not any(cleaned.get(name) for name in self.part_names(pid)):
                continue  # emptied entirely: sent as such
            for part in NEEDED_PARTS.get(self.structured[pid], ()):
                name = f"{VALUE_PREFIX}{pid}__{part}"
                if name not in self.errors and not cleaned.get(name):
                    self.add_error(name, "Needed too (the other parts are filled in).")
        return cleaned

    def _structured_value(self, pid: str) -> dict:
        kind = self.structured[pid]
        if kind in STRUCTURED_PARTS:
            return {
                part: self.cleaned_data[f"{VALUE_PREFIX}{pid}__{part}"] for part in STRUCTURED_PARTS[kind]
            }
        field = self.fields[f"{VALUE_PREFIX}{pid}"]
        ticked = set(self.cleaned_data[f"{VALUE_PREFIX}{pid}"])
        return {value: value in ticked for value, _ in field.choices}

    def changed_values(self) -> dict[str, str | dict]:
        """The parameters whose value was changed: text for the one-box ones (leaving out password
        boxes left empty), the whole structured value for a phone, address or checkbox."""
        changed = set(self.changed_data)
        secrets = {p["id"] for p in self.param_rows() if p.get("secret")}
        out: dict[str, str | dict] = {}
        for p in self.param_rows():
            pid, name = p["id"], f"{VALUE_PREFIX}{p['id']}"
            if pid in self.structured or name not in changed:
                continue
            value = self.cleaned_data[name]
            if not (pid in secrets and value == ""):  # an emptied password box is "unchanged"
                out[pid] = value
        for pid in self._changed_structured():
            out[pid] = self._structured_value(pid)
        return out

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
