"""Reconcile by run stamping: each page stamps the run on the rows it listed, in the page's
transaction, and completing a scope is one UPDATE (channelhub.sync.reconcile)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from channelhub.models import SyncRun, SyncRunStatus
from channelhub.sync.engine import run_stream
from channelhub.sync.streams import RunContext
from channelhub.sync.upsert import upsert_rows
from fulfillment.channel.streams import EntitlementStream
from fulfillment.models import ChannelProduct, Entitlement, Offer, Sku

from .streams import Killed, ListedProducts

pytestmark = pytest.mark.django_db

LETTERS = "abcdefgh"


def products(*letters: str) -> dict[str, str]:
    return {f"products/{x}": f"Product {x.upper()}" for x in letters}


def live() -> set[str]:
    return set(ChannelProduct.objects.filter(gone_at__isnull=True).values_list("pk", flat=True))


def gone() -> dict[str, str]:
    return dict(ChannelProduct.objects.filter(gone_at__isnull=False).values_list("pk", "gone_reason"))


def stamps(model) -> dict[str, int | None]:
    return dict(model.objects.values_list("pk", "seen_run"))


# --- through the Channel streams, against the sandbox ----------------------------------------


def test_a_run_stamps_every_listed_row_unchanged_ones_too(channel_settings):
    for name in ("channel.products", "channel.offers", "channel.entitlements"):
        assert run_stream(name).status == SyncRunStatus.SUCCEEDED
    again = {n: run_stream(n) for n in ("channel.products", "channel.offers", "channel.entitlements")}
    for run in again.values():
        assert run.status == SyncRunStatus.SUCCEEDED, run.error
        assert (run.created, run.updated) == (0, 0) and run.unchanged > 0, run.stream
    for model, stream in (
        (ChannelProduct, "channel.products"),
        (Sku, "channel.products"),
        (Offer, "channel.offers"),
        (Entitlement, "channel.entitlements"),
    ):
        assert stamps(model), model.__name__
        assert set(stamps(model).values()) == {again[stream].pk}, model.__name__


def test_a_write_that_is_not_a_listing_keeps_the_stamp(channel_settings):
    run = run_stream("channel.offers")
    offer = Offer.objects.order_by("pk").first()
    # what the outbox does when it writes back an operation's result
    upsert_rows(Offer, [(offer.pk, {"display_name": "Renamed"}, {**offer.payload, "x": 1})])
    offer.refresh_from_db()
    assert (offer.display_name, offer.seen_run) == ("Renamed", run.pk)


# --- a test-only stream through the engine ---------------------------------------------------


def test_a_failed_run_marks_nothing_gone_and_its_stamps_mean_nothing_later(register):
    stream = register(ListedProducts(page=3))
    stream.listing = products(*LETTERS)
    assert run_stream(stream.name).status == SyncRunStatus.SUCCEEDED
    assert live() == set(stream.listing)

    stream.listing = products("a", "b", "c", "d", "e")
    stream.fail_at = 1  # the first page (a, b, c) is written and stamped, then the upstream fails
    failed = run_stream(stream.name)
    assert failed.status == SyncRunStatus.FAILED and failed.pages == 1
    assert not gone()
    assert {pk for pk, run in stamps(ChannelProduct).items() if run == failed.pk} == set(
        products("a", "b", "c")
    )

    stream.fail_at = None
    stream.listing = products("d", "e")  # a, b, c stamped by the failed run: gone all the same
    done = run_stream(stream.name)
    assert done.status == SyncRunStatus.SUCCEEDED
    assert gone() == dict.fromkeys(products("a", "b", "c", "f", "g", "h"), "deleted")
    assert done.updated == 6


def test_a_killed_run_marks_nothing_gone(register):
    stream = register(ListedProducts(page=2))
    stream.listing = products(*LETTERS)
    assert run_stream(stream.name).status == SyncRunStatus.SUCCEEDED
    stream.listing = products("a", "b", "c", "d")
    stream.fail_at, stream.fail_with = 1, Killed()  # after the first page (a, b) is in
    with pytest.raises(Killed):
        run_stream(stream.name)
    assert not gone()
    assert live() == set(products(*LETTERS))


def test_revive_a_row_listed_again_unchanged_or_changed(register):
    stream = register(ListedProducts())
    stream.listing = products(*LETTERS)
    run_stream(stream.name)
    stream.listing = products("a", "b", "c")
    assert run_stream(stream.name).status == SyncRunStatus.SUCCEEDED
    assert set(gone()) == set(products("d", "e", "f", "g", "h"))
    gone_at = ChannelProduct.objects.get(pk="products/h").gone_at

    stream.listing = {**products("a", "b", "c", "d"), "products/e": "Product E, renamed"}
    back = run_stream(stream.name)
    assert back.status == SyncRunStatus.SUCCEEDED
    assert live() == set(products("a", "b", "c", "d", "e"))
    revived = ChannelProduct.objects.get(pk="products/d")
    assert (revived.gone_at, revived.gone_reason, revived.seen_run) == (None, "", back.pk)
    assert ChannelProduct.objects.get(pk="products/e").display_name == "Product E, renamed"
    # d came back unchanged (the upsert skips it, reconcile revives it), e changed (the upsert does)
    assert (back.updated, back.unchanged) == (2, 4)
    # what stays gone is not marked again
    assert ChannelProduct.objects.get(pk="products/h").gone_at == gone_at


def test_rows_written_after_the_run_began_are_not_judged(register):
    stream = register(ListedProducts())
    stream.listing = products("a", "b")
    late = []

    def write_meanwhile(progress):
        if not late:  # someone else (the outbox) writes a row the listing never had
            late.append(upsert_rows(ChannelProduct, [("products/z", {}, {"name": "products/z"})]))

    run = run_stream(stream.name, on_progress=write_meanwhile)
    assert run.status == SyncRunStatus.SUCCEEDED and late
    assert live() == set(products("a", "b")) | {"products/z"}


# --- completing a scope costs the same whatever the row count --------------------------------


def seed(model, pks: list[str], *, run: int, listed: set[str], gone_already: set[str]) -> None:
    """Rows written an hour ago; `listed` stamped by `run`; `gone_already` marked gone."""
    an_hour_ago = timezone.now() - timedelta(hours=1)
    rows = [(pk, {}, {"name": pk}) for pk in pks]
    upsert_rows(model, rows, now=an_hour_ago)
    upsert_rows(model, [r for r in rows if r[0] in listed], now=an_hour_ago, seen_run=run)
    model.objects.filter(pk__in=gone_already).update(gone_at=an_hour_ago, gone_reason="deleted")


def context(run: SyncRun, **extra) -> RunContext:
    return RunContext(
        client=SimpleNamespace(account="accounts/A"),
        cursor={},
        page_size=100,
        overlap=timedelta(0),
        run_id=run.pk,
        started_at=timezone.now(),
        extra=extra,
    )


@pytest.mark.parametrize("rows", [12, 3000])
def test_a_scope_completes_in_one_update_whatever_the_row_count(rows, django_assert_max_num_queries):
    run = SyncRun.objects.create(stream=ListedProducts.name)
    pks = [f"products/p{i:05}" for i in range(rows)]
    listed = set(pks[: rows // 2])
    seed(ChannelProduct, pks, run=run.pk, listed=listed, gone_already={pks[0], pks[-1]})
    with django_assert_max_num_queries(1):
        changed = ListedProducts().complete(context(run))
    # the unlisted half goes (but the one already gone), the listed gone one comes back
    assert changed == (rows - rows // 2 - 1) + 1
    assert live() == listed
    assert gone()[pks[-1]] == "deleted"


@pytest.mark.parametrize("rows", [12, 3000])
def test_entitlements_complete_in_a_few_updates_with_their_reasons(rows, django_assert_max_num_queries):
    run = SyncRun.objects.create(stream=EntitlementStream.name)
    pks = [f"accounts/A/customers/c{i % 7}/entitlements/e{i:05}" for i in range(rows)]
    listed = set(pks[3:])
    seed(Entitlement, pks, run=run.pk, listed=listed, gone_already=set())
    verdicts = {pks[0]: "cancelled", pks[1]: "transferred", pks[2]: "unknown"}
    with django_assert_max_num_queries(3):  # one per known reason, one for the rest
        changed = EntitlementStream().complete(context(run, gone_reasons=verdicts))
    assert changed == 3
    assert (
        dict(Entitlement.objects.filter(gone_at__isnull=False).values_list("pk", "gone_reason")) == verdicts
    )
