"""Reads of the Connect mirror that are more than a one-line query: the staff queues, the
assignees, the detail of a request / asset / tier config / tier config request /
conversation, and the templates staff choose from (HackSoft's selectors: services write,
selectors read). The admin pages, the forms, the API and the dashboard to come read through
these; the words and badges around them are in `display`.

Each selector is keyword-only and says what it reads; querysets stay lazy where the caller
narrows them further (a changelist), lists are returned where the page reads all of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connections, router
from django.db.models import Model, Q, QuerySet

from channelhub.api.lookups import prefix
from fulfillment.channel.models import Customer
from fulfillment.channel.selectors import without_link_twins

from .choices import RequestStatus, TierConfigRequestStatus
from .models import (
    Asset,
    Conversation,
    ConversationMessage,
    FulfillmentRequest,
    Template,
    TierAccount,
    TierConfig,
    TierConfigRequest,
)
from .models.catalog import ContactEmail, ContactEmailDomain

# --- queues ----------------------------------------------------------------------------------

#: The staff queues of requests and tier config requests, by the name the admin's `?queue=` uses.
QUEUES = ("open", "pending", "inquiring", "mine", "closed")
#: The work queues, served oldest first: the longest wait is at the top.
OLDEST_FIRST_QUEUES = ("pending", "inquiring", "mine")
OLDEST_FIRST = ("created", "id")


@dataclass(frozen=True)
class _QueueStates:
    open: tuple[str, ...]
    pending: str
    inquiring: str


_REQUEST_STATES = _QueueStates(RequestStatus.OPEN_STATES, RequestStatus.PENDING, RequestStatus.INQUIRING)
_TCR_STATES = _QueueStates(
    TierConfigRequestStatus.OPEN_STATES, TierConfigRequestStatus.PENDING, TierConfigRequestStatus.INQUIRING
)


def _queue(queryset: QuerySet, states: _QueueStates, queue: str, user) -> QuerySet:
    if queue == "open":
        queryset = queryset.filter(status__in=states.open)
    elif queue == "pending":
        queryset = queryset.filter(status=states.pending)
    elif queue == "inquiring":
        queryset = queryset.filter(status=states.inquiring)
    elif queue == "mine":
        # Staff map to Connect assignees by email (indexed: assignee_email, status).
        email = (getattr(user, "email", "") or "").strip()
        if not email:
            return queryset.none()
        queryset = queryset.filter(status__in=states.open, assignee_email__iexact=email)
    elif queue == "closed":
        queryset = queryset.exclude(status__in=states.open)
    else:
        raise ValueError(f"no queue {queue!r}; the queues are {', '.join(QUEUES)}")
    return queryset.order_by(*OLDEST_FIRST) if queue in OLDEST_FIRST_QUEUES else queryset


def request_queue(*, queue: str, user=None, queryset: QuerySet | None = None) -> QuerySet[FulfillmentRequest]:
    """One staff queue of fulfillment requests (`QUEUES`): open, pending or inquiring (oldest
    first), open and assigned to `user` (by email; none without one), or finished.

    `queryset` narrows an already filtered list (the admin's changelist) instead of every
    request; migration requests are in unless that queryset leaves them out.
    """
    base = FulfillmentRequest.objects.all() if queryset is None else queryset
    return _queue(base, _REQUEST_STATES, queue, user)


def tier_config_request_queue(
    *, queue: str, user=None, queryset: QuerySet | None = None
) -> QuerySet[TierConfigRequest]:
    """One staff queue of tier config requests; the same queues as `request_queue`."""
    base = TierConfigRequest.objects.all() if queryset is None else queryset
    return _queue(base, _TCR_STATES, queue, user)


def requests_for_bulk_action(*, queryset: QuerySet, limit: int) -> list[FulfillmentRequest]:
    """A bulk action's selection, oldest first, with the columns its confirmation page shows;
    at most `limit + 1` rows, so the caller can tell that the selection is too big."""
    return list(
        queryset.only(
            "id", "status", "type", "product_id", "product_name", "customer_name", "created"
        ).order_by(*OLDEST_FIRST)[: limit + 1]
    )


# A loose index scan: a recursive CTE that seeks to the next distinct (name, id) of the
# (assignee_name, assignee_id) index, one probe per assignee whatever the table's size.
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


# --- search ------------------------------------------------------------------------------------

#: What the request search box takes, for its help text.
REQUEST_SEARCH_HELP = (
    "Request id or its start (PR-1895-0864, or just 1895-0864), or its end as a caller reads it "
    "(1238-001); asset id (AS-...); tier account id (TA-..., customer or reseller); asset external "
    "id or uid; customer external id; the start of the customer's or the product's name (any case)"
)


def request_search(*, term: str, queryset: QuerySet | None = None) -> QuerySet[FulfillmentRequest]:
    """Requests matching what staff typed, each match an exact or prefix lookup on an index.

    Connect ids are upper-case (staff paste them in any case); a bare number is read as a
    request id without its `PR-`. The id's tail goes through `id_reversed`; names match
    their start in any case (the `_ci` indexes of migration 0010); external ids as typed.
    """
    queryset = FulfillmentRequest.objects.all() if queryset is None else queryset
    term = term.strip()
    if not term:
        return queryset
    upper = term.upper()
    condition = Q(prefix("id", upper)) | Q(prefix("id_reversed", upper[::-1]))
    if upper[:1].isdigit():
        condition |= Q(prefix("id", f"PR-{upper}"))
    if upper.startswith("AS-"):
        condition |= Q(prefix("asset_id", upper))
    if upper.startswith("TA-"):
        condition |= Q(customer_id=upper) | Q(tier1_id=upper) | Q(tier2_id=upper)
    condition |= (
        Q(asset_external_id=term)
        | Q(asset_external_uid=term)
        | Q(customer_external_id=term)
        | Q(customer_name__istartswith=term)
        | Q(product_name__istartswith=term)
    )
    return queryset.filter(condition)


def assignee_list(*, model: type[Model], limit: int = 100) -> list[tuple[str, str]]:
    """(Connect user id, name) of the people assigned to rows of `model` (requests or tier
    config requests), by name, read through its (assignee_name, assignee_id) index.

    On PostgreSQL a loose index scan costs one index probe per assignee whatever the table
    size; elsewhere (the small SQLite deployments) a plain bounded DISTINCT over that index.
    """
    connection = connections[router.db_for_read(model)]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_LOOSE_SCAN.format(table=connection.ops.quote_name(model._meta.db_table)), [limit])
            return [(pk, name) for pk, name in cursor.fetchall() if pk]
    return list(
        model.objects.exclude(assignee_id="")
        .order_by("assignee_name", "assignee_id")
        .values_list("assignee_id", "assignee_name")
        .distinct()[:limit]
    )


# --- details -------------------------------------------------------------------------------


def conversation_thread(*, instance_id: str) -> list[ConversationMessage]:
    """The messages about one request or TCR (its conversation's `instance_id`), oldest first,
    each with its conversation; payloads and the markdown source deferred."""
    return list(
        ConversationMessage.objects.filter(conversation__instance_id=instance_id)
        .select_related("conversation")
        .defer("payload", "conversation__payload", "text")
        .order_by("created", "id")
    )


def conversation_messages(*, conversation: Conversation) -> list[ConversationMessage]:
    """A conversation's messages, oldest first (payloads and markdown source deferred)."""
    return list(conversation.messages.defer("payload", "text").order_by("created", "id"))


def conversations_of_instance(
    *, instance_id: str, queryset: QuerySet | None = None
) -> QuerySet[Conversation]:
    """The conversations about one object (`PR-…`, `TCR-…`), newest first: Connect answers
    `/conversations/<instance id>` with the newest. `queryset` narrows the caller's own."""
    base = Conversation.objects.all() if queryset is None else queryset
    return base.filter(instance_id=instance_id).order_by("-created", "-id")


@dataclass(frozen=True)
class RequestDetail:
    """What a request's detail shows beside the request itself."""

    asset: Asset | None  # the mirrored asset (id, status, updated), if it is mirrored
    asset_status: str  # the fresher of the mirrored asset's status and the copy inside the request
    thread: list[ConversationMessage]


def request_detail(*, request: FulfillmentRequest) -> RequestDetail:
    """A request's asset and its conversation: two queries.

    The asset's status is the fresher of two copies: the mirrored asset's (as of its last sync)
    and the one inside the request, which an action's answer (approve: the asset is active now)
    writes at once; the request's copy wins when the request changed after the asset did."""
    asset = (
        Asset.objects.filter(pk=request.asset_id).only("id", "status", "updated").first()
        if request.asset_id
        else None
    )
    status = asset.status if asset is not None else request.asset_status
    if asset is not None and request.asset_status and request.updated and asset.updated:
        if request.updated > asset.updated:
            status = request.asset_status
    return RequestDetail(asset=asset, asset_status=status, thread=conversation_thread(instance_id=request.pk))


def asset_requests(*, asset: Asset, limit: int = 100) -> QuerySet[FulfillmentRequest]:
    """An asset's requests, newest first, with the columns its detail lists."""
    return (
        FulfillmentRequest.objects.filter(asset_id=asset.pk)
        .only("id", "type", "status", "created", "updated", "assignee_name")
        .order_by("-created")[:limit]
    )


@dataclass(frozen=True)
class TierConfigDetail:
    """What a tier config's detail shows beside the config itself."""

    requests: QuerySet[TierConfigRequest]
    account: TierAccount | None


def tier_config_detail(*, tier_config: TierConfig, limit: int = 100) -> TierConfigDetail:
    """A tier config's requests (newest first) and its tier account (payload deferred)."""
    requests = (
        TierConfigRequest.objects.filter(configuration_id=tier_config.pk)
        .only("id", "type", "status", "created", "updated")
        .order_by("-created")[:limit]
    )
    account = (
        TierAccount.objects.filter(pk=tier_config.account_id).defer("payload").first()
        if tier_config.account_id
        else None
    )
    return TierConfigDetail(requests=requests, account=account)


# --- templates -----------------------------------------------------------------------------


def product_templates(*, product_id: str) -> QuerySet[Template]:
    """A product's templates, for its detail page (payload and markdown source deferred)."""
    return Template.objects.filter(product_id=product_id).defer("payload", "body")


def template_choices(*, product_id: str | None, type: str, scope: str) -> QuerySet[Template]:
    """A product's templates of one type and scope, with their sanitised previews, in the
    order Connect shows them: what staff choose from when they approve or inquire."""
    if not product_id:
        return Template.objects.none()
    return (
        Template.objects.filter(product_id=product_id, type=type, scope=scope)
        .only("id", "title", "name", "body_html", "position", "product_id")
        .order_by("position", "title", "id")
    )


def template_get(*, template_id: str) -> Template | None:
    """One template with what a service checks it by (product, type, scope), or None."""
    return Template.objects.filter(pk=template_id).only("id", "product_id", "type", "scope", "name").first()


def _of_account(account) -> Q:
    return Q(customer_id=account.pk) | Q(tier1_id=account.pk) | Q(tier2_id=account.pk)


def tier_account_assets(*, account, limit: int = 20) -> list[Asset]:
    """The assets a tier account is the customer or a reseller of, newest first (each side
    through its foreign key's index)."""
    return list(
        Asset.objects.filter(_of_account(account))
        .only("id", "product_name", "status", "created")
        .order_by("-created")[:limit]
    )


def tier_account_requests(*, account, limit: int = 20) -> list[FulfillmentRequest]:
    """The requests of a tier account's assets (as customer or reseller), newest first."""
    return list(
        FulfillmentRequest.objects.filter(_of_account(account))
        .only("id", "type", "status", "created")
        .order_by("-created")[:limit]
    )


# --- the same company in Cloud Channel ---------------------------------------------------------
#
# A Connect tier account and a Cloud Channel customer are taken for the same company when
# (strongest first; the first rule that matches a pair names it):
#   1. "external id": the tier account's external_id or external_uid is the customer's Cloud
#      Identity id or its CRM id (correlationId);
#   2. "contact email": the tier account's contact email is the customer's primary contact email
#      (any case);
#   3. "domain": the customer's domain is the domain of the tier account's contact email, or the
#      tier account's external_id when that looks like a domain (`example.com`).
# Every rule is an indexed lookup on either side: the customer's columns are indexed, and the
# tier account's contact email and its domain have expression indexes (tier_contact_email,
# tier_contact_domain, migration 0013). A partner's customer listed twice is shown once.

SAME_COMPANY_LIMIT = 5


@dataclass(frozen=True)
class SameCompany:
    """A row of the other upstream that is the same company, and the rule that matched."""

    obj: Model
    rule: str  # "external id", "contact email" or "domain"
    value: str  # what both sides share

    @property
    def reason(self) -> str:
        """The words the pages show: `matched by domain example.com`."""
        return f"matched by {self.rule} {self.value}"


def _domain_like(value: str) -> str:
    """`value` in lower case when it looks like a domain (a dot, letters, no `@`, `/` or space), else ""."""
    value = (value or "").strip().lower()
    if "." not in value or any(ch in value for ch in "@/ ") or value.replace(".", "").isdigit():
        return ""
    return value if not value.startswith(".") and not value.endswith(".") else ""


def _email_domain(email: str) -> str:
    """The part after `@` of an email, lower case ("" when it is not an email)."""
    _, at, domain = (email or "").strip().lower().rpartition("@")
    return domain if at and "." in domain else ""


def _collect(found: dict, rows, rule: str, value_of) -> None:
    """Keep each row's first (strongest) rule."""
    for row in rows:
        if row.pk not in found:
            found[row.pk] = SameCompany(obj=row, rule=rule, value=value_of(row))


def tier_accounts_of_customer(*, customer, limit: int = SAME_COMPANY_LIMIT) -> list[SameCompany]:
    """The Connect tier accounts that are the same company as a Channel `customer` (the rules
    above), strongest match first."""
    found: dict[str, SameCompany] = {}
    accounts = TierAccount.objects.defer("payload")
    ids = {v for v in (customer.cloud_identity_id, customer.correlation_id) if v}
    if ids:
        rows = accounts.filter(Q(external_id__in=ids) | Q(external_uid__in=ids)).order_by("pk")[:limit]
        _collect(
            found, rows, "external id", lambda t: t.external_id if t.external_id in ids else t.external_uid
        )
    email = (customer.primary_contact_email or "").strip().lower()
    if email:
        rows = accounts.alias(email=ContactEmail("contact_info")).filter(email=email).order_by("pk")[:limit]
        _collect(found, rows, "contact email", lambda t: email)
    domain = _domain_like(customer.domain)
    if domain:
        by_email = accounts.alias(domain=ContactEmailDomain("contact_info")).filter(domain=domain)
        _collect(found, by_email.order_by("pk")[:limit], "domain", lambda t: domain)
        _collect(
            found, accounts.filter(external_id=domain).order_by("pk")[:limit], "domain", lambda t: domain
        )
    return list(found.values())[:limit]


def customers_of_tier_account(*, account, limit: int = SAME_COMPANY_LIMIT) -> list[SameCompany]:
    """The Cloud Channel customers that are the same company as a Connect tier `account` (the
    rules above), strongest match first; a partner's customer listed twice comes once."""
    found: dict[str, SameCompany] = {}
    customers = without_link_twins(Customer.objects.defer("payload", "postal_address"))
    ids = {v for v in (account.external_id, account.external_uid) if v}
    if ids:
        rows = customers.filter(Q(cloud_identity_id__in=ids) | Q(correlation_id__in=ids)).order_by("pk")[
            :limit
        ]
        _collect(
            found,
            rows,
            "external id",
            lambda c: c.cloud_identity_id if c.cloud_identity_id in ids else c.correlation_id,
        )
    email = str((account.contact_info or {}).get("email") or "").strip()
    if email:
        rows = customers.filter(primary_contact_email__in={email, email.lower()}).order_by("pk")[:limit]
        _collect(found, rows, "contact email", lambda c: email.lower())
    domains = [d for d in (_email_domain(email), _domain_like(account.external_id)) if d]
    for domain in dict.fromkeys(domains):
        _collect(
            found, customers.filter(domain=domain).order_by("pk")[:limit], "domain", lambda c, d=domain: d
        )
    return list(found.values())[:limit]
