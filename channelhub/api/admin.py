"""Admin of API tokens: issue (the secret is shown once, on save), see last use, revoke."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html

from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "key_prefix", "created_at", "expires_at", "last_used_at", "state")
    list_filter = ("revoked_at",)
    search_fields = ("name", "user__username", "key_prefix")
    list_select_related = ("user",)
    readonly_fields = ("key_prefix", "created_at", "last_used_at", "revoked_at")
    fields = ("user", "name", "expires_at", "key_prefix", "created_at", "last_used_at", "revoked_at")
    autocomplete_fields = ()
    actions = ["revoke_selected"]

    @admin.display(description="State")
    def state(self, obj):
        if obj.revoked_at:
            return "revoked"
        return "expired" if obj.is_expired else "active"

    def get_readonly_fields(self, request, obj=None):
        # A token's owner is fixed once issued: reassigning would hand a secret to someone else.
        return self.readonly_fields + (("user",) if obj else ())

    def save_model(self, request, obj, form, change):
        if not change:
            plain = ApiToken.new_secret()
            obj.set_secret(plain)
            super().save_model(request, obj, form, change)
            self.message_user(
                request,
                format_html("Token issued. Copy it now, it is not shown again: <code>{}</code>", plain),
                messages.WARNING,
            )
            return
        super().save_model(request, obj, form, change)

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke_selected(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"{count} token(s) revoked.")
