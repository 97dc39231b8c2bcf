"""The MFA pages' one form: a code from the authenticator app (or a recovery code)."""

from django import forms


class CodeForm(forms.Form):
    """A one-time code: six digits from the app, or a recovery code on the verify page."""

    code = forms.CharField(
        label="Code",
        max_length=16,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "size": 12}),
    )
