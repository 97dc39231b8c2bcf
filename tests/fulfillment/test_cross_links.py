"""A Channel customer and the Connect tier account of the same company link to each other
(matched by external id, contact email or domain, through indexes); console references are
links that open a new tab; a partner's customer, listed by Channel twice, is shown once with
both its names. Both worlds come from the sandbox, synced through the real streams."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.urls import reverse

from channelhub.sync.engine import run_stream
from fulfillment.channel.display import admin_url as channel_url
from fulfillment.channel.models import Customer
from fulfillment.connect import selectors
from fulfillment.connect.models import TierAccount
from fulfillment.connect.models.catalog import ContactEmail, ContactEmailDomain
from tests.fulfillment.channel.helpers import Upstream, sync_channel

pytestmark = pytest.mark.django_db

LINK_CUSTOMER = "/channelPartnerLinks/"


def tier_url(account) -> str:
    return reverse("admin:fulfillment_tieraccount_change", args=[account.pk])


def sync_tiers() -> None:
    run = run_stream("connect.tier_accounts")
    assert run.status == "succeeded", run.error


@pytest.fixture
def worlds(channel_settings, connect_settings, settings):
    """Both sandboxes mirrored; three Channel customers changed upstream to be three tier
    accounts' companies (by domain, by contact email, by CRM id), then synced again."""
    sync_tiers()
    sync_channel()
    accounts = [a for a in TierAccount.objects.order_by("pk") if "customer" in a.scopes][:4]
    assert len(accounts) == 4 and all(a.contact_info.get("email") for a in accounts)
    own = list(
        Customer.objects.filter(partner_link__isnull=True, pk__contains="/customers/").order_by("pk")[:4]
    )
    by_domain, by_email, by_id, unmatched = own
    api = Upstream(channel_settings).api.accounts().customers()
    domain = accounts[0].contact_info["email"].rpartition("@")[2]
    for customer, email in (
        (by_domain, f"pat.other@{domain}"),
        (by_email, accounts[1].contact_info["email"]),
    ):
        # Channel wants the contact's email at the customer's domain: change both.
        api.patch(
            name=customer.pk,
            updateMask="domain,primary_contact_info",
            body={
                "domain": email.rpartition("@")[2],
                "primaryContactInfo": {"firstName": "Pat", "lastName": "Same", "email": email},
            },
        ).execute()
    api.patch(
        name=by_id.pk, updateMask="correlation_id", body={"correlationId": accounts[2].external_id}
    ).execute()
    sync_channel("channel.customers")
    pairs = {
        "domain": (Customer.objects.get(pk=by_domain.pk), accounts[0], domain),
        "contact email": (
            Customer.objects.get(pk=by_email.pk),
            accounts[1],
            accounts[1].contact_info["email"].lower(),
        ),
        "external id": (Customer.objects.get(pk=by_id.pk), accounts[2], accounts[2].external_id),
    }
    return {"pairs": pairs, "unmatched_customer": unmatched, "unmatched_account": accounts[3]}


@pytest.mark.parametrize("rule", ["domain", "contact email", "external id"])
def test_customer_and_tier_account_link_to_each_other(client, superuser, worlds, rule):
    customer, account, value = worlds["pairs"][rule]
    client.force_login(superuser)

    page = client.get(channel_url(Customer, customer.pk)).content.decode()
    same = re.search(r'<p id="ch-same-company">(.*?)</p>', page, re.S).group(1)
    assert same.startswith("Same company in Connect:")
    assert f'<a class="ch-same-company" href="{tier_url(account)}">' in same
    assert f"(matched by {rule} {value})" in same
    assert "no match found" not in same

    page = client.get(tier_url(account)).content.decode()
    assert "Same company in Cloud Channel:" in page
    assert f'<a class="ch-same-company" href="{channel_url(Customer, customer.pk)}">' in page
    assert f"(matched by {rule} {value})" in page


def test_no_match_no_link(client, superuser, worlds):
    client.force_login(superuser)
    page = client.get(channel_url(Customer, worlds["unmatched_customer"].pk)).content.decode()
    assert "Same company in Connect:" in page and "no match found" in page
    assert 'class="ch-same-company"' not in page
    page = client.get(tier_url(worlds["unmatched_account"])).content.decode()
    assert "Same company in Cloud Channel:" in page and "no match found" in page
    assert 'class="ch-same-company"' not in page


def test_console_references_are_links_to_a_new_tab(client, superuser, worlds):
    client.force_login(superuser)
    customer = (
        Customer.objects.filter(cloud_identity_id__gt="", partner_link__isnull=True).order_by("pk").first()
    )
    page = client.get(channel_url(Customer, customer.pk)).content.decode()
    short = customer.pk.rpartition("/")[2]
    assert (
        f'<a id="ch-console-link" href="https://partnersalesconsole.cloud.google.com/customers/{short}" '
        'rel="noopener noreferrer" target="_blank">Partner Sales Console</a>'
    ) in page
    admin_console = customer.payload["cloudIdentityInfo"]["adminConsoleUri"]
    assert admin_console.startswith("https://")
    assert (
        f'<a id="ch-admin-console-link" href="{admin_console}" rel="noopener noreferrer" target="_blank">'
        in page.replace("&amp;", "&")
    )

    account = worlds["unmatched_account"]
    page = client.get(tier_url(account)).content.decode()
    assert (
        f'<a class="ch-portal-link" href="https://portal.cloudblue.com/customers/{account.pk}" '
        'rel="noopener noreferrer" target="_blank">'
    ) in page


def test_console_base_urls_follow_the_settings(client, superuser, worlds, settings):
    settings.CONNECT_PORTAL_URL = "https://portal.example.test/"
    settings.CHANNEL_CONSOLE_URL = "https://psc.example.test"
    client.force_login(superuser)
    customer = worlds["unmatched_customer"]
    page = client.get(channel_url(Customer, customer.pk)).content.decode()
    assert f'href="https://psc.example.test/customers/{customer.pk.rpartition("/")[2]}"' in page
    account = worlds["unmatched_account"]
    assert (
        f'href="https://portal.example.test/customers/{account.pk}"'
        in client.get(tier_url(account)).content.decode()
    )


def _partner_customers() -> list[Customer]:
    """Our partners' customers, as listed under our account (each also listed under its link)."""
    rows = list(Customer.objects.filter(partner_link__isnull=False).exclude(pk__contains=LINK_CUSTOMER))
    assert rows and all(Customer.objects.filter(pk=_link_name(c)).exists() for c in rows)
    return rows


def _link_name(customer: Customer) -> str:
    return f"{customer.partner_link_id}/customers/{customer.pk.rpartition('/')[2]}"


def test_a_partners_customer_is_listed_once_with_both_names(client, superuser, channel_settings):
    sync_channel()
    client.force_login(superuser)
    partner_customers = _partner_customers()
    changelist = reverse("admin:fulfillment_customer_changelist")
    page = client.get(changelist).content.decode()
    total = Customer.objects.count()
    assert f"{total - len(partner_customers)} Channel customers" in page
    for customer in partner_customers:
        assert page.count(f'href="{channel_url(Customer, customer.pk)}"') == 2  # its name and domain columns
        assert f'href="{channel_url(Customer, _link_name(customer))}"' not in page
        assert f'title="{_link_name(customer)}">also listed under the link</span>' in page
    # Asking for the link's customers by name still finds them.
    found = client.get(
        changelist, {"q": partner_customers[0].partner_link_id + "/customers/"}
    ).content.decode()
    assert f'href="{channel_url(Customer, _link_name(partner_customers[0]))}?' in found

    # The partner link's page: each customer once, both names beside it.
    link = partner_customers[0].partner_link_id
    page = client.get(reverse("admin:fulfillment_channelpartnerlink_change", args=[link])).content.decode()
    listed = re.search(r'<ul id="ch-link-customers">(.*?)</ul>', page, re.S).group(1)
    mine = [c for c in partner_customers if c.partner_link_id == link]
    assert listed.count("<li>") == len(mine)
    for customer in mine:
        assert f"<code>{customer.pk}</code>, also <code>{_link_name(customer)}</code>" in listed

    # The row under the link points at the customer's row under our account, and back.
    page = client.get(channel_url(Customer, _link_name(mine[0]))).content.decode()
    assert (
        f'<dd id="ch-twin"><a href="{channel_url(Customer, mine[0].pk)}"><code>{mine[0].pk}</code></a>'
        in page
    )
    page = client.get(channel_url(Customer, mine[0].pk)).content.decode()
    assert f'<dd id="ch-twin"><a href="{channel_url(Customer, _link_name(mine[0]))}">' in page


def test_a_partners_customer_matches_a_tier_account_once(worlds, channel_settings):
    customer = _partner_customers()[0]
    account = worlds["unmatched_account"]
    Upstream(channel_settings).api.accounts().customers().patch(
        name=customer.pk, updateMask="correlation_id", body={"correlationId": account.external_id}
    ).execute()
    sync_channel("channel.customers", "channel.partner_links")
    assert (
        Customer.objects.get(pk=_link_name(customer)).correlation_id == account.external_id
    )  # both rows say so
    matches = selectors.customers_of_tier_account(account=account)
    assert [m.obj.pk for m in matches] == [customer.pk]


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            return " ".join(str(row) for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny test table: make the planner show it can
        cursor.execute(f"EXPLAIN {sql}", params)
        return " ".join(row[0] for row in cursor.fetchall())


def test_the_tier_account_lookups_use_their_indexes(worlds):
    by_email = TierAccount.objects.alias(e=ContactEmail("contact_info")).filter(e="a@b.example")
    by_domain = TierAccount.objects.alias(d=ContactEmailDomain("contact_info")).filter(d="b.example")
    assert "tier_contact_email" in _plan(by_email)
    assert "tier_contact_domain" in _plan(by_domain)
    # And they find what the rows hold, in any case.
    customer, account, domain = worlds["pairs"]["domain"]
    assert account in TierAccount.objects.alias(d=ContactEmailDomain("contact_info")).filter(d=domain)
