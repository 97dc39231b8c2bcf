"""Connect's admin building blocks: list filters (products, assignees, queues, migrations) and the
Connect flavour of the mirror admin and the staff actions.
"""

from __future__ import annotations

from typing import ClassVar

from django.contrib import admin
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html

from channelhub.admin import HiddenByDefaultFilter
from channelhub.admin.actions import StaffActionsMixin
from channelhub.admin.kit import nothing_matches, synced_words
from channelhub.admin.mirror import MirrorAdmin, SmallTableFilter
from fulfillment.connect import selectors
from fulfillment.connect.display import redact_secrets
from fulfillment.connect.models import Marketplace, Product


class ProductFilter(SmallTableFilter):
    """Filter by product, its choices read from the product table."""

    title = "product"
    parameter_name = "product"
    source_model = Product
    field = "product"


class MarketplaceFilter(SmallTableFilter):
    """Filter by marketplace, its choices read from the marketplace table."""

    title = "marketplace"
    parameter_name = "marketplace"
    source_model = Marketplace
    field = "marketplace"


class AssigneeFilter(admin.SimpleListFilter):
    """Assignees of the model's table, read through the (assignee_name, assignee_id) index
    (`selectors.assignee_list`: a loose index scan on PostgreSQL)."""

    title = "assignee"
    parameter_name = "assignee"
    unassigned = "__none__"
    limit = 100

    def lookups(self, request, model_admin):
        """An "Unassigned" choice, then up to `limit` of the table's assignees."""
        rows = selectors.assignee_list(model=model_admin.model, limit=self.limit)
        return [(self.unassigned, "Unassigned"), *((pk, name or pk) for pk, name in rows)]

    def queryset(self, request, queryset):
        """Only the unassigned rows, or those of the chosen assignee."""
        value = self.value()
        if value == self.unassigned:
            return queryset.filter(assignee_id="")
        if value:
            return queryset.filter(assignee_id=value)
        return queryset


class OpenStateFilter(admin.SimpleListFilter):
    """The staff queues: open vs finished, pending, inquiring, and "assigned to me".

    The queues are the app's selectors (`selectors.request_queue`, ...): statuses from the
    choices class's named groups, "assigned to me" by the staff user's email. The pending /
    inquiring / mine queues list the oldest first (the model admin's `get_ordering` reads
    this filter's value).
    """

    title = "queue"
    parameter_name = "queue"
    OLDEST_FIRST = selectors.OLDEST_FIRST_QUEUES

    @staticmethod
    def select(*, queue, user, queryset):
        """The queue selector of the model."""
        raise NotImplementedError

    def lookups(self, request, model_admin):
        """The queues staff work from."""
        return [
            ("open", "Open"),
            ("pending", "Pending, oldest first"),
            ("inquiring", "Inquiring, oldest first"),
            ("mine", "Open and assigned to me"),
            ("closed", "Finished"),
        ]

    def queryset(self, request, queryset):
        """The rows of the chosen queue, through the model's queue selector; all rows for no queue."""
        value = self.value()
        if value not in selectors.QUEUES:
            return queryset
        return self.select(queue=value, user=request.user, queryset=queryset)

    #: The stream that fills the model's mirror, and the words of each queue's rows.
    stream = ""
    noun = "requests"
    QUEUE_WORDS: ClassVar[dict[str, str]] = {
        "open": "open",
        "pending": "pending",
        "inquiring": "inquiring",
        "closed": "finished",
    }

    def empty_words(self, request, changelist) -> str:
        """Why the list is empty, as one sentence (HTML): the filters to clear when some are
        on, what "assigned to me" matches by, or the queue's words and the mirror's last sync."""
        value = self.value() if self.value() in selectors.QUEUES else None
        if value == "mine" and not (getattr(request.user, "email", "") or "").strip():
            return mine_words(request.user, self.noun)  # no filter would bring a row back
        matches = nothing_matches(changelist, self)
        if matches:
            return matches
        if value == "mine":
            return mine_words(request.user, self.noun)
        words = f"{self.QUEUE_WORDS[value]} {self.noun}" if value else f"{self.noun} in the mirror"
        return format_html("No {} right now; {}.", words, synced_words(self.stream))


class RequestQueueFilter(OpenStateFilter):
    """The fulfillment request queues (`selectors.request_queue`)."""

    select = staticmethod(selectors.request_queue)
    stream = "connect.requests"


class TierConfigRequestQueueFilter(OpenStateFilter):
    """The tier config request queues (`selectors.tier_config_request_queue`)."""

    select = staticmethod(selectors.tier_config_request_queue)
    stream = "connect.tier_config_requests"
    noun = "tier config requests"


def account_link(user) -> str:
    """Where the user's email is set: their user page for who may change users, else their account page."""
    if user.has_perm("auth.change_user"):
        return reverse(f"admin:{user._meta.app_label}_{user._meta.model_name}_change", args=[user.pk])
    return reverse("admin:password_change")


def mine_words(user, noun: str) -> str:
    """Why "assigned to me" is empty: it matches the Connect assignee's email to the user's."""
    email = (getattr(user, "email", "") or "").strip()
    if not email:
        return format_html(
            "Assigned to me lists {} whose Connect assignee has your email, and you have no email "
            'in channelhub: <a href="{}" class="ch-account-link">ask an administrator to set it</a>.',
            noun,
            account_link(user),
        )
    return format_html(
        "Assigned to me lists {} whose Connect assignee has your email ({}): none is open now; if "
        'your Connect user has another email, <a href="{}" class="ch-account-link">ask an '
        "administrator to change yours</a>.",
        noun,
        email,
        account_link(user),
    )


class EmptyQueueMixin:
    """A changelist with nothing to list says why (`empty_queue` in its context: the queue
    filter's `empty_words`), instead of a bare "0 results"."""

    def changelist_view(self, request, extra_context=None):
        """The admin's changelist, with `empty_queue` when the page lists nothing."""
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None) or {}
        changelist = context.get("cl")
        if changelist is not None and not changelist.result_list:
            queue = next((s for s in changelist.filter_specs if isinstance(s, OpenStateFilter)), None)
            if queue is not None:
                context["empty_queue"] = queue.empty_words(request, changelist)
        return response


class MigrationFilter(HiddenByDefaultFilter):
    """Migration requests (asset with `migration_info`) are out of the queues unless asked for."""

    title = "migration"
    parameter_name = "migration"
    default_label = "Not migrations"
    include_label = "Include migrations"
    only_label = "Migrations only"

    def flagged(self) -> Q:
        """Migration requests."""
        return Q(is_migration=True)

    def unflagged(self) -> Q:
        """Requests that are not migrations."""
        return Q(is_migration=False)


class ConnectMirrorAdmin(MirrorAdmin):
    """A Connect mirror's admin: password parameters stay masked in the raw payload too."""

    redact_payload = staticmethod(redact_secrets)


class ConnectActionsMixin(StaffActionsMixin):
    """Connect's rules on top of the staff actions: never on a migration request (Connect's
    migration flow owns those), and no parameter form when nothing is editable."""

    upstream_name = "Connect"

    def can_act_on(self, obj) -> bool:
        """Not on a migration request."""
        return not getattr(obj, "is_migration", False)

    def shows_form(self, action: str, form) -> bool:
        """No parameter form when no parameter is editable here."""
        return not (action == "update_params" and not form.fields)  # structured parameters only
