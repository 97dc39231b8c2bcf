"""Reconcile the way reconciler users ask for (issue 13): a complete pass marks what it did not
list gone, never deletes; what comes back is revived; a failed pass marks nothing; a pass that
would mark more than the source's share gone is held until a supervisor confirms or discards
it; a dry run tells what a pass would do without writing."""

from __future__ import annotations

import pytest

from channelhub.models import AuditEvent, ListedKey, SyncRunStatus
from channelhub.services import ServiceError
from inventory.models import Resource, ResourceMetadata, SourceStatus
from inventory.services import passes
from tests.inventory.sync.helpers import feed, feed_keys

from .helpers import file_source, knobs, live_keys, resource, run_pass, sandbox_source, write_feed

pytestmark = pytest.mark.django_db


@pytest.fixture
def listing(tmp_path):
    path = tmp_path / "feed.json"
    write_feed(path, [resource(n) for n in range(10)])
    return path


@pytest.fixture
def supervisor(django_user_model):
    from django.contrib.auth.models import Group  # noqa: PLC0415 - the roles exist once migrated

    user = django_user_model.objects.create_user("sup", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="supervisor"))
    return django_user_model.objects.get(pk=user.pk)


def test_gone_is_marked_never_deleted_and_a_return_revives(listing):
    source = file_source(listing)
    assert run_pass(source).created == 10
    write_feed(listing, [resource(n) for n in range(2, 10)])
    run_pass(source)
    gone = Resource.objects.get(source=source, upstream_id="server-0")
    assert gone.is_gone and Resource.objects.filter(source=source).count() == 10
    assert ResourceMetadata.objects.filter(resource=gone).exists()  # its child rows stay with it
    write_feed(listing, [resource(n) for n in range(10)])  # back, unchanged
    run = run_pass(source)
    assert run.status == SyncRunStatus.SUCCEEDED and source.last_counts["revived"] == 2
    assert live_keys(source) == {("server", f"server-{n}") for n in range(10)}
    assert not ListedKey.objects.exists()  # the pass's listing is dropped once reconciled


def test_a_failed_pass_marks_nothing_gone(listing):
    source = file_source(listing)
    run_pass(source)
    listing.write_text('[{"id": "server-1", "type": "server", "base": {"name": "x"}}, "garbage"]')
    run = run_pass(source)
    assert run.status == SyncRunStatus.FAILED
    assert source.status == SourceStatus.FAILED and "item 2" in source.last_error
    assert len(live_keys(source)) == 10
    assert not ListedKey.objects.exists()


def test_a_mass_vanish_is_held_then_confirmed(listing, supervisor):
    source = file_source(listing)
    run_pass(source)
    write_feed(listing, [resource(1)])  # a broken credential answering almost nothing
    run = run_pass(source)
    assert run.status == SyncRunStatus.SUCCEEDED
    assert source.status == SourceStatus.HELD and source.held_run == run.pk
    assert (source.held_count, source.held_live) == (9, 10)
    assert "9 of 10" in source.last_error
    assert len(live_keys(source)) == 10  # nothing marked
    assert ListedKey.objects.filter(run=run.pk).count() == 1  # the held listing is kept
    passes.pass_confirm(actor=supervisor, source=source)
    source.refresh_from_db()
    assert live_keys(source) == {("server", "server-1")}
    assert source.status == SourceStatus.OK and not source.is_held
    assert not ListedKey.objects.exists()
    assert AuditEvent.objects.filter(action="inventory.source.hold_confirm", target_id=source.name).exists()


def test_a_held_pass_discarded_marks_nothing_and_the_next_pass_decides_afresh(listing, supervisor):
    source = file_source(listing)
    run_pass(source)
    write_feed(listing, [])
    run_pass(source)
    assert source.is_held
    passes.pass_discard(actor=supervisor, source=source)
    source.refresh_from_db()
    assert not source.is_held and len(live_keys(source)) == 10 and "discarded" in source.last_error
    with pytest.raises(ServiceError, match="No pass"):
        passes.pass_confirm(actor=supervisor, source=source)
    write_feed(listing, [resource(n) for n in range(9)])  # one gone: under the share
    run_pass(source)
    assert source.status == SourceStatus.OK and len(live_keys(source)) == 9


def test_a_later_pass_supersedes_a_held_one(listing):
    source = file_source(listing)
    run_pass(source)
    write_feed(listing, [])
    held = run_pass(source)
    assert source.held_run == held.pk
    write_feed(listing, [resource(n) for n in range(10)])
    run_pass(source)
    assert not source.is_held and source.status == SourceStatus.OK
    assert not ListedKey.objects.filter(run=held.pk).exists()


def test_the_share_is_the_sources(listing):
    source = file_source(listing, hold_share=1.0)  # never hold
    run_pass(source)
    write_feed(listing, [])
    run_pass(source)
    assert source.status == SourceStatus.OK and live_keys(source) == set()


def test_only_supervisors_confirm(listing, django_user_model):
    from django.contrib.auth.models import Group  # noqa: PLC0415 - the roles exist once migrated

    support = django_user_model.objects.create_user("sup2", password="x", is_staff=True)
    support.groups.add(Group.objects.get(name="support"))
    source = file_source(listing)
    run_pass(source)
    write_feed(listing, [])
    run_pass(source)
    with pytest.raises(ServiceError, match="not allowed"):
        passes.pass_confirm(actor=django_user_model.objects.get(pk=support.pk), source=source)
    source.refresh_from_db()
    assert source.is_held


def test_a_blank_account_on_the_feed_is_held(sandbox, supervisor):
    source = sandbox_source(sandbox)
    run_pass(source)
    knobs(sandbox, blank_accounts=["acc-1"])
    run_pass(source)
    assert source.status == SourceStatus.HELD and source.held_count == source.held_live > 0
    knobs(sandbox, blank_accounts=[])
    run_pass(source)  # the feed is back: the next pass reconciles, superseding the hold
    assert not source.is_held and live_keys(source) == feed_keys(feed(sandbox))


def test_a_dry_run_tells_what_the_pass_then_does(listing, supervisor):
    source = file_source(listing)
    run_pass(source)
    write_feed(listing, [resource(n, name="renamed" if n == 3 else None) for n in range(1, 12)])
    plan = passes.pass_dry_run(actor=supervisor, source=source)
    assert (plan.create, plan.update, plan.unchanged, plan.gone, plan.revive) == (2, 1, 8, 1, 0)
    assert plan.samples["gone"] == [Resource.key(source.pk, "server", "server-0")]
    assert Resource.objects.filter(source=source).count() == 10  # nothing written
    assert len(live_keys(source)) == 10
    run = run_pass(source)
    assert (run.created, source.last_counts["updated"], source.last_counts["gone"]) == (2, 1, 1)
    assert run.updated == 2  # the engine counts the one marked gone as updated too
    source.refresh_from_db()
    assert source.last_dry_run["create"] == 2


def test_a_dry_run_says_it_would_hold(listing, supervisor):
    source = file_source(listing)
    run_pass(source)
    write_feed(listing, [])
    plan = passes.pass_dry_run(actor=supervisor, source=source)
    assert plan.would_hold and plan.gone == 10 and "held" in plan.summary()
