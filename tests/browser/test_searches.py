"""Every search staff make from a changelist, in a real browser: type into the search box, press
Enter, and the rows shown are exactly those the mirror holds for that term (as what staff see or
what a caller says over the phone); a term that matches nothing shows no row.

The worlds are the sandbox's, mirrored through the real streams; each case's term is picked from
the mirror (so it matches more than one row where the term is a prefix) and its expected rows
are read from the database with plain ORM filters, independently of the admin's search code.
"""

from __future__ import annotations

import re
from collections import Counter

from django.contrib.admin.utils import unquote
from django.db.models import Q, QuerySet
from playwright.sync_api import Page, expect

from channelhub.sync.engine import run_stream
from fulfillment.models import Customer, Entitlement, FulfillmentRequest

PER_PAGE = 50  # MirrorAdmin.list_per_page: every expected set must fit on the first page
NOTHING = "zz-nothing-matches-this-9"


def search(page: Page, changelist: str, term: str) -> list[str]:
    """Type `term` into the changelist's search box, press Enter; the pks of the rows shown."""
    page.goto(changelist)
    box = page.locator("#searchbar")
    box.fill(term)
    with page.expect_navigation():
        box.press("Enter")
    assert re.search(r"[?&]q=", page.url), page.url
    expect(page.locator("#searchbar")).to_have_value(term)
    hrefs = page.locator("#result_list tbody tr th a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    assert len(hrefs) == page.locator("#result_list tbody tr").count(), "a row without its link"
    marker = f"{changelist.rstrip('/')}/"
    return [unquote(href.split(marker, 1)[1].rsplit("/change/", 1)[0]) for href in hrefs]


def assert_shows(page: Page, changelist: str, term: str, expected: QuerySet, *, total: int) -> None:
    """The search shows exactly `expected` (each once), which is some but not all of `total` rows."""
    wanted = set(expected.values_list("pk", flat=True))
    assert wanted, f"the world has no row for {term!r}: pick another term"
    assert len(wanted) < total, f"{term!r} matches every row: it tests nothing"
    assert len(wanted) <= PER_PAGE, f"{term!r} matches more rows than a page shows"
    shown = search(page, changelist, term)
    assert len(shown) == len(set(shown)), f"{term!r}: a row shown twice: {shown}"
    assert set(shown) == wanted, f"{term!r}: shown {sorted(shown)}, expected {sorted(wanted)}"


def assert_shows_nothing(page: Page, changelist: str, term: str) -> None:
    assert search(page, changelist, term) == []
    expect(page.locator("#result_list")).to_have_count(0)
    empty = page.locator("#ch-empty-queue")  # a queue says why it is empty (the request queues)
    if empty.count():
        expect(empty).to_contain_text(f"Nothing matches search “{term}”")
        return
    expect(page.locator("#changelist-search")).to_contain_text("0 results")
    expect(page.locator(".paginator")).to_have_text(re.compile(r"^\s*0 \w"))


# --- requests ------------------------------------------------------------------------------------

REQUESTS = "/admin/fulfillment/fulfillmentrequest/"


def listed_requests() -> QuerySet[FulfillmentRequest]:
    """What the request changelist lists before any search: migrations are hidden by default."""
    return FulfillmentRequest.objects.filter(is_migration=False)


def shared_first_word(names: list[str]) -> str:
    """A first word that starts at least two different names (a prefix, not one whole name)."""
    by_word = Counter(name.split()[0] for name in set(names) if name)
    word, count = by_word.most_common(1)[0]
    assert count >= 2, f"no two names share a first word: {sorted(set(names))}"
    return word


def test_request_searches_by_what_staff_see_and_what_a_caller_says(page, login, viewer, connect_settings):
    assert run_stream("connect.requests").status == "succeeded"
    listed = listed_requests()
    total = listed.count()
    login(page, viewer)

    # The customer's name: its first word, in another case, starts several customers' names.
    word = shared_first_word(list(listed.values_list("customer_name", flat=True)))
    assert not listed.filter(product_name__istartswith=word).exists()
    assert_shows(page, REQUESTS, word.lower(), listed.filter(customer_name__istartswith=word), total=total)
    assert_shows(
        page, REQUESTS, f"{word.upper()} ", listed.filter(customer_name__istartswith=word), total=total
    )  # pasted with a trailing space

    # The product's name: its first word, upper-cased.
    product = listed.order_by("product_name").values_list("product_name", flat=True).distinct()
    counts = Counter(listed.values_list("product_name", flat=True))
    name = min(product, key=lambda n: counts[n])  # the smallest product, so it is not every row
    term = name.split()[0].upper()
    assert not listed.filter(customer_name__istartswith=term).exists()
    assert_shows(page, REQUESTS, term, listed.filter(product_name__istartswith=name.split()[0]), total=total)

    # The asset's external id and uid, as the vendor's system shows them: an asset with several
    # requests, so each of these searches shows more than one row.
    per_asset = Counter(listed.exclude(asset_external_id="").values_list("asset_id", flat=True))
    asset_id, count = per_asset.most_common(1)[0]
    assert count >= 2, "no asset has two requests"
    request = listed.filter(asset_id=asset_id).order_by("-pk").first()
    ext = request.asset_external_id
    assert not listed.filter(Q(id__startswith=f"PR-{ext}") | Q(id__endswith=ext)).exists()
    assert_shows(page, REQUESTS, ext, listed.filter(asset_external_id=ext), total=total)
    uid = request.asset_external_uid
    assert_shows(page, REQUESTS, uid, listed.filter(asset_external_uid=uid), total=total)

    # A tier account (TA-…): the customer's, and a reseller's (tier 1), pasted in lower case.
    customer_id = request.customer_id
    of_customer = listed.filter(
        Q(customer_id=customer_id) | Q(tier1_id=customer_id) | Q(tier2_id=customer_id)
    )
    assert_shows(page, REQUESTS, customer_id, of_customer, total=total)
    tier1 = min(
        (t for t in listed.values_list("tier1_id", flat=True).distinct() if t),
        key=lambda t: listed.filter(tier1_id=t).count(),
    )
    of_reseller = listed.filter(Q(customer_id=tier1) | Q(tier1_id=tier1) | Q(tier2_id=tier1))
    assert_shows(page, REQUESTS, tier1.lower(), of_reseller, total=total)

    # The short id a caller reads out: the id's tail ("3229-005"), or the id without "PR-".
    tail = "-".join(request.pk.split("-")[-2:])
    by_tail = listed.filter(Q(id__endswith=tail) | Q(id__startswith=f"PR-{tail}"))
    assert request in by_tail
    assert_shows(page, REQUESTS, tail, by_tail, total=total)
    bare = request.pk.removeprefix("PR-").rsplit("-", 1)[0]  # the asset part: its requests
    by_start = listed.filter(Q(id__startswith=f"PR-{bare}") | Q(id__endswith=bare))
    assert_shows(page, REQUESTS, bare, by_start, total=total)
    assert_shows(page, REQUESTS, request.pk.lower(), listed.filter(pk=request.pk), total=total)

    assert_shows_nothing(page, REQUESTS, NOTHING)
    assert_shows_nothing(page, REQUESTS, "TA-0000-0000-0000")


# --- Channel ---------------------------------------------------------------------------------------

ENTITLEMENTS = "/admin/fulfillment/entitlement/"
CUSTOMERS = "/admin/fulfillment/customer/"


def live_customers() -> QuerySet[Customer]:
    return Customer.objects.filter(gone_at__isnull=True)


def once(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """The customers as the list shows them: a partner's customer once, by its row under our
    account when that is mirrored too (its row under the partner link is its twin)."""
    ours = {
        pk.rpartition("/")[2]
        for pk in Customer.objects.exclude(pk__contains="/channelPartnerLinks/").values_list("pk", flat=True)
    }
    twins = [
        pk
        for pk in customers.filter(pk__contains="/channelPartnerLinks/").values_list("pk", flat=True)
        if pk.rpartition("/")[2] in ours
    ]
    return customers.exclude(pk__in=twins)


def test_entitlement_searches(page, login, viewer, mirrored):
    listed = Entitlement.objects.filter(gone_at__isnull=True)  # gone ones are hidden by default
    total = listed.count()
    login(page, viewer)

    # The short id, exactly as the list shows it in its first column.
    entitlement = listed.order_by("pk").first()
    shown_as = str(entitlement)
    assert shown_as == entitlement.short_id and shown_as != entitlement.pk
    assert_shows(page, ENTITLEMENTS, shown_as, listed.filter(short_id=shown_as), total=total)
    expect(page.locator("#result_list tbody tr th a")).to_have_text(shown_as)

    # The customer's organisation name: a first word several customers start with, any case.
    word = shared_first_word(list(live_customers().values_list("org_display_name", flat=True)))
    owners = Customer.objects.filter(org_display_name__istartswith=word).values("pk")
    assert_shows(page, ENTITLEMENTS, word.lower(), listed.filter(customer_id__in=owners), total=total)
    customer = Customer.objects.get(pk=entitlement.customer_id)
    name = customer.org_display_name
    owners = Customer.objects.filter(org_display_name__istartswith=name).values("pk")
    assert_shows(page, ENTITLEMENTS, name.upper(), listed.filter(customer_id__in=owners), total=total)

    # The customer's domain, as a caller spells it (any case).
    domain = customer.domain
    owners = Customer.objects.filter(domain=domain).values("pk")
    assert_shows(page, ENTITLEMENTS, domain.upper(), listed.filter(customer_id__in=owners), total=total)

    assert_shows_nothing(page, ENTITLEMENTS, NOTHING)
    assert_shows_nothing(page, ENTITLEMENTS, entitlement.short_id[:-1])  # the listed id is exact


def test_channel_customer_searches(page, login, viewer, mirrored):
    listed = live_customers()
    total = listed.count()
    login(page, viewer)

    # The domain, typed in upper case: every customer with it, a partner's once.
    domain = Counter(listed.values_list("domain", flat=True)).most_common(1)[0][0]
    assert_shows(page, CUSTOMERS, domain.upper(), once(listed.filter(domain=domain)), total=total)

    # The organisation name: the start of it (a first word several names share), any case.
    word = shared_first_word(list(listed.values_list("org_display_name", flat=True)))
    assert_shows(
        page, CUSTOMERS, word.lower(), once(listed.filter(org_display_name__istartswith=word)), total=total
    )
    name = listed.filter(org_display_name__istartswith=word).order_by("org_display_name").first()
    whole = name.org_display_name
    assert_shows(
        page,
        CUSTOMERS,
        whole.swapcase(),
        once(listed.filter(org_display_name__istartswith=whole)),
        total=total,
    )

    # The customer's resource name (accounts/…/customers/…), as the Channel console shows it.
    assert_shows(page, CUSTOMERS, name.pk, listed.filter(pk__startswith=name.pk), total=total)

    assert_shows_nothing(page, CUSTOMERS, NOTHING)
    assert_shows_nothing(page, CUSTOMERS, f"www.{domain}")  # a domain matches whole, not its end
