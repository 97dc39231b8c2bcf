"""The read-only admin of the Connect mirror, through the Django test client.

Every page renders for a superuser and for a view-only staff user; the request page shows
what support needs; upstream text never reaches the page unescaped; big changelists run a
fixed number of queries and never an unbounded COUNT.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from channelhub.admin import BoundedCountPaginator
from channelhub.models import StreamState, SyncRun, SyncRunStatus
from fulfillment.models import Asset, FulfillmentRequest
from tests.fulfillment.connect.factories import (
    AssetFactory,
    ConversationFactory,
    ConversationMessageFactory,
    FulfillmentRequestFactory,
    HubFactory,
    MarketplaceFactory,
    ProductFactory,
    TemplateFactory,
    TierAccountFactory,
    TierConfigFactory,
    TierConfigRequestFactory,
    load_fixture,
)

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
JS_LINK = "[click me](javascript:alert(1))"
XSS_MARKDOWN = f'Hello {SCRIPT}\n\n{IMG}\n\n{JS_LINK}\n\n<a href="javascript:alert(1)">raw link</a>'


def _xss_params() -> list[dict]:
    params = load_fixture("fulfillment_request.json")["asset"]["params"]
    for param in params:
        if param["id"] == "t0_o_text":
            param["value"] = IMG
        if param["id"] == "t0_o_domain":
            param["value_error"] = f"Bad domain {SCRIPT}"
    return params


@pytest.fixture
def mirror(db):
    """One of everything, linked the way a sync would link them, with hostile text in it."""
    product = ProductFactory(product_id="PRD-276-377-545", name="My Product")
    template = TemplateFactory(product_id=product.pk, title="Welcome tile", body=XSS_MARKDOWN)
    marketplace = MarketplaceFactory(marketplace_id="MP-91673", name="Demo Marketplace")
    hub = HubFactory(hub_id="HB-0309-9389", name="IMC DEMOS")
    account = TierAccountFactory(account_id="TA-1111-2222-3333", name="Abbott and Sons")
    asset = AssetFactory(asset_id="AS-1895-0864-1238", customer_name="Mayer-Kerluke")
    request = FulfillmentRequestFactory(
        request_id="PR-1895-0864-1238-001",
        asset_id=asset.pk,
        external_id="1147660",
        customer_name=SCRIPT,
        customer_id=account.pk,
        params=_xss_params(),
        note="Customer called twice",
        template_message=XSS_MARKDOWN,
    )
    conversation = ConversationFactory(instance_id=request.pk, topic="About PR-1895")
    ConversationMessageFactory(conversation_id=conversation.pk, text="First: please fix the **domain**")
    ConversationMessageFactory(conversation_id=conversation.pk, text=XSS_MARKDOWN)
    config = TierConfigFactory(configuration_id="TC-228-098-338", account_name="Konkelectrics")
    tcr_params = load_fixture("tier_config_request.json")["params"]
    tcr_params[0]["value_error"] = "Reseller id is unknown"
    tcr = TierConfigRequestFactory(
        request_id="TCR-228-098-338-001", configuration_id=config.pk, params=tcr_params
    )
    run = SyncRun.objects.create(
        stream="connect.requests",
        status=SyncRunStatus.FAILED,
        finished_at=timezone.now(),
        pages=3,
        created=10,
        updated=2,
        unchanged=5,
        progress=40,
        error=f"Upstream rejected the page {SCRIPT}",
        error_detail={"status": 400, "error_code": "VAL_001", "errors": ["limit: too big"]},
    )
    state = StreamState.objects.create(
        stream="connect.requests", cursor={"at": "2024-03-01T09:00:00+00:00"}, locked_by="worker-1"
    )
    return {
        "product": product,
        "template": template,
        "marketplace": marketplace,
        "hub": hub,
        "account": account,
        "asset": asset,
        "request": request,
        "conversation": conversation,
        "config": config,
        "tcr": tcr,
        "run": run,
        "state": state,
    }


def _changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def _change(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _assert_no_xss(html: str) -> None:
    """No live script, event handler or javascript: link (escaped text of them is fine)."""
    assert SCRIPT not in html
    assert not re.search(r"<img\b[^>]*\bonerror", html, re.IGNORECASE)
    assert not re.search(r"<[a-z]+\b[^>]*\son(error|load|click|mouseover)\s*=", html, re.IGNORECASE)
    assert not re.search(r"<a\b[^>]*\bhref\s*=\s*[\"']?\s*javascript:", html, re.IGNORECASE)


# --- every page renders --------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "product",
        "template",
        "marketplace",
        "hub",
        "account",
        "asset",
        "request",
        "conversation",
        "config",
        "tcr",
    ],
)
def test_changelist_and_detail_render(admin_user_client, mirror, key):
    obj = mirror[key]
    html = _html(admin_user_client.get(_changelist(type(obj))))
    assert obj.pk in html
    html = _html(admin_user_client.get(_change(obj)))
    assert obj.pk in html
    assert "Raw payload" in html
    _assert_no_xss(html)


def test_message_pages_render(admin_user_client, mirror):
    message = mirror["conversation"].messages.order_by("created").first()
    html = _html(admin_user_client.get(_changelist(type(message))))
    assert message.pk in html and mirror["request"].pk in html
    html = _html(admin_user_client.get(_change(message)))
    assert "please fix the <strong>domain</strong>" in html


def test_sync_state_pages_render(admin_user_client, mirror):
    run, state = mirror["run"], mirror["state"]
    html = _html(admin_user_client.get(_changelist(SyncRun)))
    assert "connect.requests" in html and "40%" in html and "Failed" in html
    _assert_no_xss(html)
    html = _html(admin_user_client.get(_change(run)))
    assert "VAL_001" in html and "limit: too big" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    _assert_no_xss(html)
    html = _html(admin_user_client.get(_changelist(StreamState)))
    assert "worker-1" in html and "2024-03-01T09:00:00+00:00" in html
    _html(admin_user_client.get(_change(state)))


def test_admin_is_read_only(admin_user_client, mirror):
    request = mirror["request"]
    assert admin_user_client.get(reverse("admin:fulfillment_fulfillmentrequest_add")).status_code == 403
    html = _html(admin_user_client.get(_change(request)))
    assert 'name="_save"' not in html
    response = admin_user_client.post(
        reverse("admin:fulfillment_fulfillmentrequest_delete", args=[request.pk])
    )
    assert response.status_code == 403
    assert FulfillmentRequest.objects.filter(pk=request.pk).exists()


def test_anonymous_is_sent_to_login(client, mirror):
    response = client.get(_changelist(FulfillmentRequest))
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- the request page ----------------------------------------------------------------------


def test_request_detail_shows_what_support_needs(admin_user_client, mirror):
    html = _html(admin_user_client.get(_change(mirror["request"])))
    # header
    assert "Purchase" in html and "Pending" in html
    assert "Marc Serrat" in html and "mserrat@odin.com" in html
    assert "Customer called twice" in html
    # asset, linked, with its product / connection / hub / provider / vendor
    assert f'href="{_change(mirror["asset"])}"' in html
    assert (
        "1147660" in html
        and "IMC DEMOS" in html
        and "CB Demo Provider" in html
        and "Adrian Inc Oct 12" in html
    )
    # items, with the quantity delta highlighted
    assert "MPN-R-005" in html and "Reservation Item 005" in html
    assert 'class="ch-delta-up">(+5)' in html
    # params: titles, values, value errors highlighted, passwords masked everywhere
    assert "t0_o_email T UPDATE" in html and "mamam@mia.com" in html
    assert '<span class="ch-error">Bad domain &lt;script&gt;alert(1)&lt;/script&gt;</span>' in html
    assert "u#" not in html  # the password value, not even in the raw payload
    # tiers as address cards (customer address_line2 is null upstream)
    assert "Hauckstad" in html and "70601-0096" in html and "jazlyn25@hagenes.com" in html
    assert "+1 709 8908253 ext. 280" in html and "Connectdemos" in html and "Irvine" in html
    # marketplace and contract
    assert "Demo Marketplace" in html and "CRD-58096-38285-80856" in html
    # conversation, oldest first, rendered
    thread = html[html.index('class="ch-thread"') :]  # the approve form's preview shows a template too
    first = thread.index("please fix the <strong>domain</strong>")
    second = thread.index("Hello &lt;script&gt;")
    assert first < second
    # activation tile
    assert "Template / activation tile" in html


def test_request_detail_escapes_hostile_upstream_text(admin_user_client, mirror):
    html = _html(admin_user_client.get(_change(mirror["request"])))
    _assert_no_xss(html)
    # customer name and param value come out as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    # the markdown's raw HTML link was dropped, the javascript: markdown link left as text
    assert "[click me](javascript:alert(1))" in html


def test_template_and_product_pages_sanitise_the_body(admin_user_client, mirror):
    for obj in (mirror["template"], mirror["product"]):
        html = _html(admin_user_client.get(_change(obj)))
        _assert_no_xss(html)
        assert "Hello &lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_request_without_mirrored_asset_or_conversation(admin_user_client, db):
    request = FulfillmentRequestFactory(assignee="", template_message=None)
    html = _html(admin_user_client.get(_change(request)))
    assert "not mirrored yet" in html
    assert "unassigned" in html
    assert "No messages mirrored" in html


def test_tcr_detail(admin_user_client, mirror):
    html = _html(admin_user_client.get(_change(mirror["tcr"])))
    assert f'href="{_change(mirror["config"])}"' in html
    assert "Reseller id is unknown" in html and "Tier 1 Ordering" in html
    assert mirror["tcr"].account_name in html and "Austin" in html  # tiers.tier1 address card
    assert "Connectdemos" in html and "Irvine" in html  # tiers.tier2
    assert "<h1>Sample Template For Setup of Tier 1</h1>" in html


def test_asset_detail_lists_its_requests(admin_user_client, mirror):
    html = _html(admin_user_client.get(_change(mirror["asset"])))
    assert f'href="{_change(mirror["request"])}"' in html
    assert "MPN-R-009" in html


# --- changelists: filters, search, bounded queries -----------------------------------------


def test_request_changelist_filters_and_search(admin_user_client, mirror):
    other = FulfillmentRequestFactory(status="approved", assignee="", product_id="PRD-999-999-999")
    url = _changelist(FulfillmentRequest)
    html = _html(admin_user_client.get(url, {"status__exact": "approved"}))
    assert other.pk in html and mirror["request"].pk not in html
    html = _html(admin_user_client.get(url, {"assignee": "__none__"}))
    assert other.pk in html and mirror["request"].pk not in html
    html = _html(admin_user_client.get(url, {"assignee": "UR-841-574-187"}))
    assert mirror["request"].pk in html and other.pk not in html
    html = _html(admin_user_client.get(url, {"product": "PRD-276-377-545"}))
    assert mirror["request"].pk in html and other.pk not in html
    html = _html(admin_user_client.get(url, {"queue": "open", "marketplace": "MP-91673"}))
    assert mirror["request"].pk in html and other.pk not in html
    # search: asset external id (exact), and an id prefix typed in lower case
    html = _html(admin_user_client.get(url, {"q": "1147660"}))
    assert mirror["request"].pk in html and other.pk not in html
    html = _html(admin_user_client.get(url, {"q": "pr-1895-0864"}))
    assert mirror["request"].pk in html and other.pk not in html
    # filter choices come from the small tables, and the assignees from their index
    FulfillmentRequestFactory(assignee={"id": "UR-000-000-002", "name": "Alice Able", "email": ""})
    html = _html(admin_user_client.get(url))
    assert "My Product (PRD-276-377-545)" in html and "Demo Marketplace (MP-91673)" in html
    alice, marc = html.index("assignee=UR-000-000-002"), html.index("assignee=UR-841-574-187")
    assert alice < marc  # ordered by name
    assert html.count("assignee=UR-841-574-187") == 1  # distinct


def test_asset_changelist_search_by_external_uid(admin_user_client, mirror):
    asset = mirror["asset"]
    html = _html(admin_user_client.get(_changelist(Asset), {"q": asset.external_uid}))
    assert asset.pk in html


def _changelist_queries(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        _html(client.get(url))
    return [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize(
    ("model", "factory"), [(FulfillmentRequest, FulfillmentRequestFactory), (Asset, AssetFactory)]
)
def test_big_changelists_run_bounded_queries_and_no_unbounded_count(client, superuser, model, factory):
    client.force_login(superuser)
    ProductFactory()
    MarketplaceFactory()
    url = _changelist(model)
    factory.create_batch(3)
    _html(client.get(url))  # warm up: session, permissions, content types
    few = _changelist_queries(client, url)
    factory.create_batch(60)  # more than a page (50)
    many = _changelist_queries(client, url)
    filtered = _changelist_queries(client, url + "?status__exact=pending&q=PR-0000")
    assert len(many) == len(few)
    for sql in many + filtered:
        if "COUNT(" in sql.upper():
            assert "LIMIT" in sql.upper(), f"unbounded count: {sql}"
        assert '"payload"' not in sql, f"payload loaded by the changelist: {sql}"


def test_big_changelist_query_budget(client, superuser, django_assert_max_num_queries):
    client.force_login(superuser)
    FulfillmentRequestFactory.create_batch(60)
    _html(client.get(_changelist(FulfillmentRequest)))
    # session + user, count, page, product / marketplace / assignee filter choices
    with django_assert_max_num_queries(8):
        _html(client.get(_changelist(FulfillmentRequest), {"status__exact": "pending"}))


def test_bounded_count_paginator_caps_the_count(db):
    class SmallCap(BoundedCountPaginator):
        count_cap = 4

    FulfillmentRequestFactory.create_batch(7)
    queryset = FulfillmentRequest.objects.order_by("-created")
    assert SmallCap(queryset, 2).count == 5  # cap + 1: "more than the cap"
    assert SmallCap(queryset.filter(status="pending"), 2).count == 5
    assert SmallCap(queryset.filter(status="failed"), 2).count == 0
    assert BoundedCountPaginator(queryset, 2).count == 7


def test_unfiltered_count_uses_the_planner_estimate_on_postgresql(db, monkeypatch):
    monkeypatch.setattr(BoundedCountPaginator, "_planner_estimate", staticmethod(lambda queryset: 1_000_000))
    FulfillmentRequestFactory.create_batch(2)
    queryset = FulfillmentRequest.objects.order_by("-created")
    expected = 1_000_000 if connection.vendor == "postgresql" else 2
    assert BoundedCountPaginator(queryset, 50).count == expected
    assert BoundedCountPaginator(queryset.filter(status="pending"), 50).count == 2  # filtered: bounded count


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_class statistics are PostgreSQL's")
def test_planner_estimate_reads_pg_class(db):
    FulfillmentRequestFactory.create_batch(3)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE fulfillment_fulfillmentrequest")
    assert BoundedCountPaginator._planner_estimate(FulfillmentRequest.objects.all()) == 3


def test_sync_run_filters(admin_user_client, mirror):
    SyncRun.objects.create(stream="connect.assets", status=SyncRunStatus.SUCCEEDED)
    html = _html(admin_user_client.get(_changelist(SyncRun), {"stream": "connect.requests"}))
    assert "Upstream rejected the page" in html
    html = _html(admin_user_client.get(_changelist(SyncRun), {"status__exact": "succeeded"}))
    assert "Upstream rejected the page" not in html and "connect.assets" in html


def test_a_failed_request_does_not_show_its_open_template_as_current(admin_user_client, db):
    request = FulfillmentRequestFactory(status="failed", reason="Out of stock")
    type(request).objects.filter(pk=request.pk).update(
        activation_html="<p>Your order is being processed</p>", template_name="Pending"
    )
    html = _html(admin_user_client.get(_change(request)))
    assert 'id="ch-ended-template"' in html and 'the customer is told "Out of stock"' in html
    assert "<details" in html.split('id="ch-ended-template"')[1]  # the old template folded away


def test_a_tier_account_lists_its_assets_and_requests(admin_user_client, db):
    from tests.fulfillment.connect.factories import AssetFactory  # noqa: PLC0415 - this test only

    account = TierAccountFactory(account_id="TA-1234-5678-9012")
    request = FulfillmentRequestFactory(customer_id=account.pk)
    asset = AssetFactory(customer_id=account.pk)
    other = FulfillmentRequestFactory()
    html = _html(admin_user_client.get(_change(account)))
    assert f">{request.pk}</a>" in html and f">{asset.pk}</a>" in html
    assert other.pk not in html
