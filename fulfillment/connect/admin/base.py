"""Connect's admin building blocks: list filters (products, assignees, queues, migrations) and the
Connect flavour of the mirror admin and the staff actions.
"""

from __future__ import annotations

from django.contrib import admin
from django.db import connections, router
from django.db.models import Q

from channelhub.admin import HiddenByDefaultFilter
from channelhub.admin.actions import StaffActionsMixin
from channelhub.admin.mirror import MirrorAdmin, SmallTableFilter
from fulfillment.connect.choices import RequestStatus, TierConfigRequestStatus
from fulfillment.connect.display import redact_secrets
from fulfillment.connect.models import Marketplace, Product


class ProductFilter(SmallTableFilter):
    title = "product"
    parameter_name = "product"
    source_model = Product
    field = "product"


class MarketplaceFilter(SmallTableFilter):
    title = "marketplace"
    parameter_name = "marketplace"
    source_model = Marketplace
    field = "marketplace"


class AssigneeFilter(admin.SimpleListFilter):
    """Assignees of the model's table, read through the (assignee_name, assignee_id) index.

    On PostgreSQL a loose index scan (a recursive CTE that seeks to the next distinct
    assignee) costs one index probe per assignee whatever the table size; elsewhere (the
    small SQLite deployments) a plain bounded DISTINCT over the same index.
    """

    title = "assignee"
    parameter_name = "assignee"
    unassigned = "__none__"
    limit = 100

    _LOOSE_SCAN = """
        WITH RECURSIVE a AS (
            (SELECT assignee_name AS name, assignee_id AS id FROM {table}
             WHERE (assignee_name, assignee_id) > ('', '')
             ORDER BY assignee_name, assignee_id LIMIT 1)
            UNION ALL
            SELECT n.name, n.id FROM a, LATERAL (
                SELECT assignee_name AS name, assignee_id AS id FROM {table}
                WHERE (assignee_name, assignee_id) > (a.name, a.id)
                ORDER BY assignee_name, assignee_id LIMIT 1
            ) n
        )
        SELECT id, name FROM a LIMIT %s
    """

    def _assignees(self, model) -> list[tuple[str, str]]:
        connection = connections[router.db_for_read(model)]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    self._LOOSE_SCAN.format(table=connection.ops.quote_name(model._meta.db_table)),
                    [self.limit],
                )
                return [(pk, name) for pk, name in cursor.fetchall() if pk]
        return list(
            model.objects.exclude(assignee_id="")
            .order_by("assignee_name", "assignee_id")
            .values_list("assignee_id", "assignee_name")
            .distinct()[: self.limit]
        )

    def lookups(self, request, model_admin):
        rows = self._assignees(model_admin.model)
        return [(self.unassigned, "Unassigned"), *((pk, name or pk) for pk, name in rows)]

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.unassigned:
            return queryset.filter(assignee_id="")
        if value:
            return queryset.filter(assignee_id=value)
        return queryset


class OpenStateFilter(admin.SimpleListFilter):
    """The staff queues: open vs finished, pending, inquiring, and "assigned to me".

    Statuses come from the choices class's named groups. "Assigned to me" maps the staff
    user to a Connect assignee by email. The pending / inquiring / mine queues list the oldest
    first (the model admin's `get_ordering` reads this filter's value).
    """

    title = "queue"
    parameter_name = "queue"
    open_states: tuple = ()
    pending = ""
    inquiring = ""
    OLDEST_FIRST = ("pending", "inquiring", "mine")

    def lookups(self, request, model_admin):
        return [
            ("open", "Open"),
            ("pending", "Pending, oldest first"),
            ("inquiring", "Inquiring, oldest first"),
            ("mine", "Open and assigned to me"),
            ("closed", "Finished"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "open":
            return queryset.filter(status__in=self.open_states)
        if value == "pending":
            return queryset.filter(status=self.pending)
        if value == "inquiring":
            return queryset.filter(status=self.inquiring)
        if value == "mine":
            email = (getattr(request.user, "email", "") or "").strip()
            if not email:
                return queryset.none()
            return queryset.filter(status__in=self.open_states, assignee_email__iexact=email)
        if value == "closed":
            return queryset.exclude(status__in=self.open_states)
        return queryset


class RequestQueueFilter(OpenStateFilter):
    open_states = RequestStatus.OPEN_STATES
    pending = RequestStatus.PENDING
    inquiring = RequestStatus.INQUIRING


class TierConfigRequestQueueFilter(OpenStateFilter):
    open_states = TierConfigRequestStatus.OPEN_STATES
    pending = TierConfigRequestStatus.PENDING
    inquiring = TierConfigRequestStatus.INQUIRING


class MigrationFilter(HiddenByDefaultFilter):
    """Migration requests (asset with `migration_info`) are out of the queues unless asked for."""

    title = "migration"
    parameter_name = "migration"
    default_label = "Not migrations"
    include_label = "Include migrations"
    only_label = "Migrations only"

    def flagged(self) -> Q:
        return Q(is_migration=True)

    def unflagged(self) -> Q:
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
