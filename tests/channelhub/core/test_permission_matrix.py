"""Who may open what: every URL of the URL conf, for every role, by GET and by POST.

The URLs come from the URL conf itself, so a new page or endpoint cannot escape: one this
file does not classify fails `test_every_url_is_classified` until someone decides who may
open it. Each URL is asked for by an anonymous visitor, a logged-in user who is not staff,
and the three staff roles (channelhub.roles); the answer is *denied* (401, 403, or the
admin's login page) or *let in* (anything else below 500, including a 404 for an object
that does not exist, a 405 for a method the view does not take, or a refusal the view's
service words as a message). A role may be let in exactly when it is at least the lowest
role the table names; no URL answers 500 to anyone.

Objects exist for every model a factory can make, so pages and actions on an object are
asked about a real one (Django's admin checks the permission before it looks the object
up; our action views look it up first). What a let-in role can then *do* is each service's
own business, tested with it: here "let in" on a form view means the page answers, not
that its action is allowed.
"""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django_q.models import Failure, OrmQ, Schedule, Success

from channelhub.actions.specs import specs_of
from channelhub.models import ApiToken
from tests.fulfillment.channel import factories as channel
from tests.fulfillment.connect import factories as connect
from tests.inventory import factories as inventory
from tests.usage import factories as usage

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "outsider", "readonly", "support", "supervisor")
RANK = {role: n for n, role in enumerate(ROLES)}
PUBLIC, STAFF, SUPPORT, SUPERVISOR = "anonymous", "readonly", "support", "supervisor"
NOBODY = "nobody"  # not even a supervisor (a superuser may, or no one: rows written by syncs only)
RANK[NOBODY] = len(ROLES)

# --- the standard admin pages of each model: who may view, add, change, delete ------------
DEFAULT_MODEL_RULES = {"view": STAFF, "add": NOBODY, "change": NOBODY, "delete": NOBODY}
EDITED_BY_SUPERVISORS = {"view": STAFF, "add": SUPERVISOR, "change": SUPERVISOR, "delete": SUPERVISOR}
SUPERUSERS_ONLY = {"view": NOBODY, "add": NOBODY, "change": NOBODY, "delete": NOBODY}
MODEL_RULES = {
    # login security and accounts: superusers (Administration)
    "auth.user": SUPERUSERS_ONLY,
    "auth.group": SUPERUSERS_ONLY,
    "axes.accessattempt": SUPERUSERS_ONLY,
    "axes.accesslog": SUPERUSERS_ONLY,
    "axes.accessfailurelog": SUPERUSERS_ONLY,
    "channelhub.apitoken": SUPERUSERS_ONLY,  # issued from the shell (issue_api_token)
    # the job queue: supervisors read it; schedules are code (setup_schedules)
    "django_q.ormq": SUPERUSERS_ONLY,
    "django_q.schedule": {**SUPERUSERS_ONLY, "view": SUPERVISOR},
    "django_q.success": {**SUPERUSERS_ONLY, "view": SUPERVISOR},
    "django_q.failure": {**SUPERUSERS_ONLY, "view": SUPERVISOR},
    # settings supervisors edit in the admin
    "channelhub.queuetarget": EDITED_BY_SUPERVISORS,
    "fulfillment.purchaserules": EDITED_BY_SUPERVISORS,
    "usage.acceptanceband": EDITED_BY_SUPERVISORS,
    "inventory.metricmapping": EDITED_BY_SUPERVISORS,
    "inventory.inventorysource": EDITED_BY_SUPERVISORS,
    # the staff's own usage workbooks: support uploads and fixes rows
    "usage.usageimport": {**DEFAULT_MODEL_RULES, "add": SUPPORT},
    "usage.usagereportrow": {**DEFAULT_MODEL_RULES, "change": SUPPORT},
}
STANDARD = re.compile(
    r"^admin:(?P<app>\w+?)_(?P<model>[a-z0-9]+)_(?P<kind>changelist|add|change|delete|history)$"
)

# --- every other URL: (lowest role for GET, lowest role for POST) --------------------------
OTHER_URLS = {
    # the front door
    "home": (PUBLIC, PUBLIC),  # a redirect to the back office (or its login)
    "healthz": (PUBLIC, PUBLIC),
    "readyz": (PUBLIC, PUBLIC),
    "metrics": (NOBODY, NOBODY),  # the scraper's bearer token only, never a session
    "favicon": (PUBLIC, PUBLIC),
    "admin:login": (PUBLIC, PUBLIC),
    "admin:logout": (PUBLIC, PUBLIC),
    # any staff member: the index, their password, the admin's own plumbing
    "admin:index": (STAFF, STAFF),
    "admin:app_list": (STAFF, STAFF),
    "admin:password_change": (STAFF, STAFF),
    "admin:password_change_done": (STAFF, STAFF),
    "admin:jsi18n": (STAFF, STAFF),
    "admin:view_on_site": (STAFF, STAFF),
    "admin:autocomplete": (NOBODY, STAFF),  # a GET without its field parameters is refused
    "admin:": (STAFF, STAFF),  # the catch-all: a 404 page for staff, the login for others
    "admin:object_redirect": (STAFF, STAFF),  # `<model>/<id>/`: Django's redirect to the change page
    "admin:auth_user_password_change": (NOBODY, NOBODY),
    # the outbox: retry and cancel are checked by their services (supervisors)
    "admin:channelhub_upstreamaction_retry": (STAFF, STAFF),
    "admin:channelhub_upstreamaction_cancel": (STAFF, STAFF),
    # streams: run now needs run_sync
    "admin:channelhub_streamstate_run_now": (STAFF, SUPERVISOR),
    # automation: the page's forms call services that check run_processor; the preview runs
    # handlers in the web process, so the view itself requires run_processor
    "admin:channelhub_processorsetting_mode": (STAFF, STAFF),
    "admin:channelhub_processorsetting_run": (STAFF, STAFF),
    "admin:channelhub_processorsetting_preview": (STAFF, SUPERVISOR),
    "automation-take-over": (STAFF, STAFF),
    "automation-release": (STAFF, STAFF),
    # Cloud Channel: creating a customer is checked by its service; transfers are supervisors'
    "admin:fulfillment_customer_create_upstream": (STAFF, STAFF),
    "admin:fulfillment_customer_transfer": (SUPERVISOR, SUPERVISOR),
    "admin:fulfillment_customer_transfer_status": (SUPERVISOR, SUPERVISOR),
    # usage: downloads, billing a recurring asset, the staff report's steps (support)
    "admin:usage_usagefile_workbook": (STAFF, STAFF),
    "admin:usage_recurringasset_bill": (STAFF, SUPPORT),
    "admin:usage_usagereport_validate": (STAFF, SUPPORT),
    "admin:usage_usagereport_send": (STAFF, SUPPORT),
    # read-only pages of their own: a POST renders the same page and writes nothing
    "admin:usage_usageimport_change": (STAFF, STAFF),
    "admin:usage_usagereport_change": (STAFF, STAFF),
    # inventory sources: supervisors run, dry-run, confirm and discard
    "admin:inventory_inventorysource_run": (STAFF, STAFF),
    "admin:inventory_inventorysource_dry_run": (STAFF, STAFF),
    "admin:inventory_inventorysource_confirm": (STAFF, STAFF),
    "admin:inventory_inventorysource_discard": (STAFF, STAFF),
    # staff MFA: each staff member's own enrolment and verification pages (channelhub.mfa)
    "mfa-setup": (STAFF, STAFF),
    "mfa-verify": (STAFF, STAFF),
}
# Each action view (`<model>/<id>/act/<action>/`) and its progress poll: the page is any staff
# member's; the action's permission is its service's (each app's action tests).
ACTION_VIEW = re.compile(r"^admin:\w+_(act|progress)$")
# The read API: any staff role reads (its view permissions); nothing is written through it
# (a POST is refused: 405 once signed in).
API_READ = (STAFF, NOBODY)


def _walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(
                pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace or namespace
            )
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name or ''}" if namespace else (pattern.name or "")
            yield prefix + str(pattern.pattern), name, pattern


def all_urls() -> list[tuple[str, str, object]]:
    """(route, name, pattern) of every URL, the format-suffix duplicates of the API left out."""
    return [
        (route, name, p) for route, name, p in _walk(get_resolver().url_patterns) if "format" not in route
    ]


def _model_of(route: str):
    match = re.match(r"^admin/(\w+)/(\w+)/", route)
    if not match:
        return None
    for model in admin.site._registry:
        if (model._meta.app_label, model._meta.model_name) == match.groups():
            return model
    return None


def expected(route: str, name: str) -> tuple[str, str] | None:
    """The lowest role let in by GET and by POST; None when the URL is not classified."""
    if name in OTHER_URLS:
        return OTHER_URLS[name]
    if name == "admin:" and route.endswith("<path:object_id>/"):
        return OTHER_URLS["admin:object_redirect"]
    if ACTION_VIEW.match(name):
        return (STAFF, STAFF)
    if route.startswith("api/v1/"):
        return API_READ
    match = STANDARD.match(name)
    if match:
        model = _model_of(route)
        rules = MODEL_RULES.get(model._meta.label_lower, DEFAULT_MODEL_RULES) if model else None
        if rules is None:
            return None
        kind = match["kind"]
        if kind in ("changelist", "history"):
            return (rules["view"], rules["view"])
        if kind == "change":
            return (rules["view"], rules["change"])
        return (rules[kind], rules[kind])
    return None


# --- objects to ask about, and the URLs built for them --------------------------------------
FACTORIES = (
    connect.ProductFactory, connect.TemplateFactory, connect.MarketplaceFactory, connect.HubFactory,
    connect.TierAccountFactory, connect.AssetFactory, connect.FulfillmentRequestFactory,
    connect.TierConfigFactory, connect.TierConfigRequestFactory, connect.ConversationFactory,
    connect.ConversationMessageFactory,
    channel.CustomerFactory, channel.EntitlementFactory, channel.OfferFactory, channel.PartnerLinkFactory,
    usage.UsageFileFactory, usage.UsageRecordFactory, usage.UsageChunkFactory, usage.ListingFactory,
    usage.RecurringAssetFactory, usage.BillingRequestFactory, usage.UsageImportFactory,
    usage.UsageReportFactory, usage.UsageReportRowFactory,
    inventory.InventorySourceFactory, inventory.ResourceFactory, inventory.MetricMappingFactory,
    inventory.MetricSampleFactory,
)  # fmt: skip
SAMPLES = {"name": "connect.purchase_rules", "kind": "records", "app_label": "channelhub", "url": "nowhere/"}


def _objects() -> dict:
    made = {}
    for factory in FACTORIES:
        obj = factory()
        made[obj._meta.label_lower] = obj
    now = timezone.now()
    owner = get_user_model().objects.create_user("owner", "owner@example.com")
    task = {
        "name": "t",
        "func": "channelhub.sync.tasks.dispatch_due_streams_task",
        "started": now,
        "stopped": now,
    }
    for obj in (
        owner,
        Group.objects.get(name="readonly"),
        Schedule.objects.create(name="matrix", func="channelhub.sync.tasks.dispatch_due_streams_task"),
        Success.objects.create(id="a" * 32, success=True, **task),
        Failure.objects.create(id="b" * 32, success=False, **task),
        OrmQ.objects.create(key="matrix", payload="x", lock=now),
        ApiToken.objects.create(user=owner, name="matrix", key_hash="c" * 64, key_prefix="abc"),
        AccessAttempt.objects.create(
            username="x", ip_address="127.0.0.1", user_agent="t", failures_since_start=1
        ),
        AccessLog.objects.create(username="x", ip_address="127.0.0.1", user_agent="t"),
        AccessFailureLog.objects.create(username="x", ip_address="127.0.0.1", user_agent="t"),
    ):
        made[obj._meta.label_lower] = obj
    return made


def _action_of(model) -> str:
    specs = specs_of(model)
    return specs[0].kind.rsplit(".", 1)[-1] if specs else "approve"


def concrete(route: str, pattern, objects: dict) -> str:
    """A URL of the route: a real object's id where the route names one, samples elsewhere."""
    model = _model_of(route)
    obj = objects.get(model._meta.label_lower) if model else None
    values = {
        **SAMPLES,
        "object_id": quote(str(obj.pk)) if obj else "NOPE-1",
        "pk": str(obj.pk) if obj else "999999",
    }
    values["action"] = _action_of(model) if model else "approve"
    values["action_id"] = "999999"

    def fill(match):
        return values.get(match.group(1), "NOPE-1")

    path = re.sub(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)", fill, route)  # regex groups first
    path = re.sub(r"<(?:\w+:)?(\w+)>", fill, path)
    return "/" + path.replace("^", "").replace("$", "").replace("/?", "/")


@pytest.fixture
def clients(db, settings) -> dict[str, Client]:
    settings.METRICS_TOKEN = "matrix-token"  # /metrics answers (401) instead of hiding (404)
    users = get_user_model().objects
    out = {"anonymous": Client(), "outsider": Client()}
    out["outsider"].force_login(users.create_user("outsider", "outsider@example.com"))
    out["outsider"].user = users.get(username="outsider")
    for role in ("readonly", "support", "supervisor"):
        user = users.create_user(role, f"{role}@example.com", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        out[role] = Client()
        out[role].force_login(user)
        out[role].user = user
    return out


def _denied(response) -> bool:
    if response.status_code in (401, 403):
        return True
    return response.status_code == 302 and "/admin/login/" in response.get("Location", "")


def test_every_url_is_classified():
    unclassified = [
        f"{name or '(unnamed)'} {route}" for route, name, _ in all_urls() if expected(route, name) is None
    ]
    assert not unclassified, "URLs nobody decided who may open:\n" + "\n".join(unclassified)


def _group(route: str) -> str:
    """The URL's part of the site (`admin/fulfillment`, `api/v1`, ...): one test each, so the
    suite's workers share the matrix."""
    parts = route.split("/")
    return "/".join(parts[:2]) if parts[0] in ("admin", "api") and len(parts) > 2 else parts[0] or "home"


GROUPS = sorted({_group(route) for route, _, _ in all_urls()})


@pytest.mark.parametrize("group", GROUPS)
def test_each_role_is_let_in_exactly_where_the_table_says(clients, group):
    objects = _objects()
    wrong = []
    for route, name, pattern in all_urls():
        if _group(route) != group:
            continue
        rule = expected(route, name)
        url = concrete(route, pattern, objects)
        for method, lowest in zip(("get", "post"), rule, strict=True):
            for role in ROLES:
                client = clients[role]
                response = getattr(client, method)(url)
                if name == "admin:logout" and role != "anonymous":
                    client.force_login(client.user)  # logging out was the point; carry on logged in
                let_in = RANK[role] >= RANK[lowest]
                refused = _denied(response) or (route.startswith("api/") and response.status_code == 405)
                broken = response.status_code >= 500 and not (
                    name == "readyz" and response.status_code == 503
                )
                if broken or refused == let_in:  # /readyz answers 503 while it is not ready: its answer
                    wrong.append(
                        f"{method.upper()} {url} ({name}) as {role}: {response.status_code} "
                        f"{response.get('Location', '')} (expected {'let in' if let_in else 'denied'})"
                    )
    assert not wrong, f"{len(wrong)} answers differ from the table:\n" + "\n".join(wrong[:60])
