"""The base of every staff action form, whatever the upstream."""

from __future__ import annotations

from django import forms


class ActionForm(forms.Form):
    """Base of every staff action form: it knows its action (from the `ActionSpec` it is built
    with: its name is the URL segment and the field prefix, its label the button's) and its
    object, and turns its data into the service's keyword arguments.

    Thin on purpose: a form collects what a person typed; the service decides (permission,
    transition, input) and says why it refuses.
    """

    action = ""
    label = ""

    def __init__(self, *args, obj=None, spec=None, **kwargs):
        self.obj = obj
        self.spec = spec
        if spec is not None:
            self.action, self.label = spec.action, spec.label
        kwargs.setdefault("prefix", self.action)
        super().__init__(*args, **kwargs)

    def service_kwargs(self) -> dict:
        """The service's keyword arguments from the cleaned data (none by default)."""
        return {}
