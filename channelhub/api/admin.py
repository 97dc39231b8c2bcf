"""Admin of API tokens: issue (the secret is shown once, on save), see last use, revoke.

Issuing, changing and revoking go through the audited services of `channelhub.api.tokens`.
"""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html

from channelhub.models.tokens import DEFAULT_LIFETIME_DAYS, ApiToken
from channelhub.services import ServiceError

from .tokens import token_change, token_issue, token_revoke


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """API tokens: issued, changed and revoked only through the audited services; never deleted."""

    list_display = ("name", "user", "key_prefix", "created_at", "expires_at", "last_used_at", "state")
    list_filter = ("revoked_at",)
    search_fields = ("name", "user__username", "key_prefix")
    list_select_related = ("user",)
    readonly_fields = ("key_prefix", "created_at", "last_used_at", "revoked_at")
    fields = ("user", "name", "expires_at", "key_prefix", "created_at", "last_used_at", "revoked_at")
    autocomplete_fields = ()
    actions = ("revoke_selected",)

    @admin.display(description="State")
    def state(self, obj):
        """Revoked, expired or active, for the changelist."""
        if obj.revoked_at:
            return "revoked"
        return "expired" if obj.is_expired else "active"

    def get_changeform_initial_data(self, request):
        """A new token expires DEFAULT_LIFETIME_DAYS from now unless the field is emptied (never)."""
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("expires_at", timezone.now() + timedelta(days=DEFAULT_LIFETIME_DAYS))
        return initial

    def get_readonly_fields(self, request, obj=None):
        """The owner is fixed once issued: reassigning a token would hand its secret to someone else."""
        return self.readonly_fields + (("user",) if obj else ())

    def get_form(self, request, obj=None, **kwargs):
        """The admin's form, refusing an inactive user (whose tokens would not authenticate)."""
        form = super().get_form(request, obj, **kwargs)

        class TokenForm(form):
            def clean_user(self):
                user = self.cleaned_data["user"]
                if not user.is_active:
                    raise forms.ValidationError("This user is inactive: its tokens would not authenticate.")
                return user

        return TokenForm

    def save_model(self, request, obj, form, change):
        """Issue (showing the secret once) or change through the audited services, never a raw save."""
        if change:
            token_change(actor=request.user, token=obj, name=obj.name, expires_at=obj.expires_at)
            return
        token, plain = token_issue(  # the form's expiry as it was left: empty is "never"
            actor=request.user, user=obj.user, name=obj.name, expires_in_days=None, expires_at=obj.expires_at
        )
        obj.pk = token.pk  # the admin's "added" message and redirect name the token issued
        self.message_user(
            request,
            format_html("Token issued. Copy it now, it is not shown again: <code>{}</code>", plain),
            messages.WARNING,
        )

    def has_delete_permission(self, request, obj=None):
        """Never: tokens are revoked, not deleted, so the audit trail keeps naming them."""
        return False

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke_selected(self, request, queryset):
        """Revoke each selected live token through `token_revoke` (audited), reporting each refusal."""
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            try:
                count += token_revoke(actor=request.user, token=token, reason="revoked in the admin")
            except ServiceError as error:
                self.message_user(request, error.message, messages.ERROR)
        self.message_user(request, f"{count} token(s) revoked.")
