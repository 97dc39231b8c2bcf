"""The Cloud Channel streams against the sandbox over real HTTP, through the sync engine.

What the mirror should hold is read independently of our client, with Google's own discovery
client (google-api-python-client) pointed at the sandbox.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from google.oauth2 import service_account
from googleapiclient.discovery import build

from channelhub.models import StreamState, SyncRunStatus
from channelhub.sync import registry, schedules
from channelhub.sync.engine import run_stream
from fulfillment.channel import mappers
from fulfillment.channel.streams import STREAMS, gone_reason
from fulfillment.models import (
    ChannelPartnerLink,
    ChannelProduct,
    Customer,
    Entitlement,
    EntitlementChange,
    Offer,
    Sku,
)
from tests.channelhub.sync.helpers import control, sandbox_log

pytestmark = pytest.mark.django_db

CHANNEL_STREAMS = [s.name for s in STREAMS]


# --- the sandbox as Google's own client sees it ----------------------------------------------


class Upstream:
    """The sandbox's Channel state read with the discovery client (not ours)."""

    def __init__(self, sandbox):
        credentials = service_account.Credentials.from_service_account_file(
            str(sandbox.channel_credentials_path), scopes=["https://www.googleapis.com/auth/apps.order"]
        ).with_subject(sandbox.channel_admin_email)
        self.api = build(
            "cloudchannel",
            "v1",
            credentials=credentials,
            client_options={"api_endpoint": sandbox.channel_url},
            static_discovery=True,
            cache_discovery=False,
        )
        self.account = f"accounts/{sandbox.channel_account_id}"

    @staticmethod
    def _all(collection, key: str, **kwargs) -> list[dict]:
        out, request = [], collection.list(**kwargs)
        while request is not None:
            response = request.execute()
            out += response.get(key, [])
            request = collection.list_next(request, response)
        return out

    def customers(self) -> list[dict]:
        return self._all(self.api.accounts().customers(), "customers", parent=self.account, pageSize=50)

    def entitlements(self) -> dict[str, dict]:
        collection = self.api.accounts().customers().entitlements()
        return {
            e["name"]: e
            for c in self.customers()
            for e in self._all(collection, "entitlements", parent=c["name"], pageSize=100)
        }

    def changes(self) -> dict[str, dict]:
        entitlements = self.api.accounts().customers().entitlements()
        out = {}
        for customer in self.customers():
            request = entitlements.listEntitlementChanges(
                parent=f"{customer['name']}/entitlements/-", pageSize=50
            )
            while request is not None:
                response = request.execute()
                out.update({mappers.change_key(c): c for c in response.get("entitlementChanges", [])})
                request = entitlements.listEntitlementChanges_next(request, response)
        return out

    def state(self) -> dict:
        """{model: {key: payload}} for every Channel model."""
        links = self._all(
            self.api.accounts().channelPartnerLinks(), "channelPartnerLinks", parent=self.account, view="FULL"
        )
        customers = {c["name"]: c for c in self.customers()}
        for link in links:
            customers.update(
                {
                    c["name"]: c
                    for c in self._all(
                        self.api.accounts().channelPartnerLinks().customers(),
                        "customers",
                        parent=link["name"],
                    )
                }
            )
        return {
            ChannelProduct: {
                p["name"]: p for p in self._all(self.api.products(), "products", account=self.account)
            },
            Sku: {
                s["name"]: s
                for s in self._all(
                    self.api.products().skus(), "skus", parent="products/-", account=self.account
                )
            },
            Offer: {
                o["name"]: o for o in self._all(self.api.accounts().offers(), "offers", parent=self.account)
            },
            ChannelPartnerLink: {link["name"]: link for link in links},
            Customer: customers,
            Entitlement: self.entitlements(),
            EntitlementChange: self.changes(),
        }

    def cancel(self, name: str) -> dict:
        return (
            self.api.accounts()
            .customers()
            .entitlements()
            .cancel(name=name, body={"requestId": str(uuid.uuid4())})
            .execute()
        )

    def suspend(self, name: str) -> dict:
        return (
            self.api.accounts()
            .customers()
            .entitlements()
            .suspend(name=name, body={"requestId": str(uuid.uuid4())})
            .execute()
        )


@pytest.fixture
def upstream(channel_settings) -> Upstream:
    return Upstream(channel_settings)


def mirror(model, *, live_only: bool = True) -> dict[str, dict]:
    qs = model.objects.all()
    if live_only and hasattr(model, "gone_at"):
        qs = qs.filter(gone_at__isnull=True)
    return dict(qs.values_list("id", "payload"))


def sync(*names: str, expect=SyncRunStatus.SUCCEEDED, **kwargs):
    runs = [run_stream(name, **kwargs) for name in names or CHANNEL_STREAMS]
    wrong = [(r.stream, r.status, r.error) for r in runs if r.status != expect]
    assert not wrong, wrong
    return {r.stream: r for r in runs}


def active_entitlement() -> Entitlement:
    qs = Entitlement.objects.filter(provisioning_state="ACTIVE", gone_at__isnull=True, trial=False)
    entitlement = qs.order_by("id").first()
    assert entitlement is not None
    return entitlement


# --- the whole mirror ---------------------------------------------------------------------


def test_first_run_equals_the_sandbox_and_a_second_writes_nothing(upstream, channel_settings):
    runs = sync()
    expected = upstream.state()
    for model, objects in expected.items():
        assert objects, f"{model.__name__}: the sandbox has none; the test proves nothing"
        assert mirror(model) == objects, model.__name__
    assert runs["channel.customers"].created == sum(
        1 for k in expected[Customer] if "/channelPartnerLinks/" not in k
    )
    assert runs["channel.entitlements"].created == len(expected[Entitlement])
    assert runs["channel.entitlement_changes"].created == len(expected[EntitlementChange])
    # typed columns: a few spot checks against the payloads
    entitlement = Entitlement.objects.exclude(num_units=None).first()
    assert entitlement.customer_name == Customer.objects.get(pk=entitlement.customer_id).org_display_name
    assert entitlement.payment_plan == Offer.objects.get(pk=entitlement.offer_id).payment_plan
    assert Customer.objects.filter(partner_link__isnull=False).exists()
    assert not any(
        model.objects.filter(gone_at__isnull=False).exists()
        for model in (ChannelProduct, Sku, Offer, ChannelPartnerLink, Customer, Entitlement)
    )

    written = {model: dict(model.objects.values_list("id", "synced_at")) for model in expected}
    again = sync()
    for run in again.values():
        assert (run.created, run.updated) == (0, 0), run.stream
    assert again["channel.entitlements"].unchanged == len(expected[Entitlement])
    for model in expected:
        assert dict(model.objects.values_list("id", "synced_at")) == written[model], model.__name__


def test_every_channel_stream_is_registered_and_scheduled(channel_settings):
    names = list(registry.all_streams())
    start = names.index(CHANNEL_STREAMS[0])
    assert names[start : start + len(CHANNEL_STREAMS)] == CHANNEL_STREAMS  # in order, one block
    assert all(not n.startswith("channel.") for n in names[:start])  # after fulfillment's Connect ones
    result = dict(schedules.setup_schedules())
    for stream in STREAMS:
        assert result[f"sync:{stream.name}"] == "created"
        assert stream.upstream == "channel" and stream.schedule_minutes and stream.schedule_words


def test_not_configured_streams_are_skipped(settings):
    settings.CHANNEL_API_URL = ""
    run = run_stream("channel.customers")
    assert run.status == SyncRunStatus.SKIPPED
    assert "CHANNEL_API_URL" in run.error


# --- changes between runs -----------------------------------------------------------------


def test_a_change_upstream_arrives_in_the_next_run(upstream, channel_settings):
    sync()
    target = active_entitlement()
    operation = upstream.suspend(target.id)
    assert operation["done"]
    ticked = control(channel_settings, "POST", "tick")
    assert ticked
    runs = sync()
    target.refresh_from_db()
    assert target.provisioning_state == "SUSPENDED"
    assert target.suspension_reasons == ["RESELLER_INITIATED"]
    assert runs["channel.entitlements"].updated >= 1
    change = EntitlementChange.objects.get(entitlement_id=target.id, change_type="SUSPENDED")
    assert change.operator == channel_settings.channel_admin_email
    assert change.reason == "RESELLER_INITIATED"
    assert mirror(Entitlement) == upstream.entitlements()
    assert mirror(EntitlementChange) == upstream.changes()
    assert mirror(Customer) == upstream.state()[Customer]


def test_a_renamed_customer_reaches_its_entitlements(upstream, channel_settings):
    sync("channel.customers", "channel.entitlements")
    entitlement = Entitlement.objects.order_by("id").first()
    upstream.api.accounts().customers().patch(
        name=entitlement.customer_id, updateMask="orgDisplayName", body={"orgDisplayName": "Renamed Ltd"}
    ).execute()
    runs = sync("channel.customers", "channel.entitlements")
    entitlement.refresh_from_db()
    assert entitlement.customer_name == "Renamed Ltd"
    assert runs["channel.entitlements"].updated >= 1


# --- reconcile ----------------------------------------------------------------------------


def test_a_cancelled_entitlement_is_marked_gone_cancelled(upstream, channel_settings):
    sync("channel.offers", "channel.entitlements")
    target = active_entitlement()
    upstream.cancel(target.id)
    runs = sync("channel.entitlements")
    target.refresh_from_db()
    assert target.gone_at is not None
    assert target.gone_reason == "cancelled"
    assert runs["channel.entitlements"].updated == 1
    # the history that proved it was mirrored on the way
    assert EntitlementChange.objects.filter(entitlement_id=target.id, change_type="CANCELLED").exists()
    # nothing else was touched, and the next run leaves it be
    assert Entitlement.objects.filter(gone_at__isnull=False).count() == 1
    assert sync("channel.entitlements")["channel.entitlements"].updated == 0


def test_a_failed_run_marks_nothing_gone(upstream, channel_settings, settings):
    sync("channel.offers", "channel.entitlements")
    target = active_entitlement()
    upstream.cancel(target.id)
    settings.UPSTREAM_MAX_RETRIES = 1
    # the last customer's entitlements cannot be read: every page before it is written, yet
    # the pass is incomplete
    last = max(c["name"] for c in upstream.customers())
    control(channel_settings, "POST", "faults", {"next": ["503"] * 5, "path": f"^/v1/{last}/entitlements$"})
    run = sync("channel.entitlements", expect=SyncRunStatus.FAILED)["channel.entitlements"]
    assert run.error_detail["status"] == 503
    assert not Entitlement.objects.filter(gone_at__isnull=False).exists()
    control(channel_settings, "DELETE", "faults")
    sync("channel.entitlements")
    target.refresh_from_db()
    assert target.gone_reason == "cancelled"


def test_a_deleted_customer_is_marked_gone_and_a_row_listed_again_comes_back(upstream, channel_settings):
    sync("channel.offers", "channel.customers", "channel.entitlements")
    lonely = next(
        c
        for c in Customer.objects.filter(partner_link__isnull=True).order_by("id")
        if not c.entitlements.exists()
    )
    upstream.api.accounts().customers().delete(name=lonely.id).execute()
    # and one the mirror wrongly believes gone is listed again, unchanged
    back = Offer.objects.order_by("id").first()
    Offer.objects.filter(pk=back.pk).update(gone_at=timezone.now(), gone_reason="deleted")
    runs = sync("channel.customers", "channel.offers")
    lonely.refresh_from_db()
    assert (lonely.gone_reason, lonely.is_gone) == ("deleted", True)
    back.refresh_from_db()
    assert (back.gone_at, back.gone_reason) == (None, "")
    assert runs["channel.customers"].updated == 1 and runs["channel.offers"].updated == 1


def test_a_customer_deleted_while_entitlements_are_listed_is_skipped(upstream, channel_settings):
    sync("channel.customers")
    with_entitlements = {mappers.customer_of(n) for n in upstream.entitlements()}
    customers = sorted(c["name"] for c in upstream.customers())
    first_with = next(c for c in customers if c in with_entitlements)
    victim = next(c for c in customers if c > first_with and c not in with_entitlements)
    deleted = []

    def delete_once(progress):
        if not deleted:
            upstream.api.accounts().customers().delete(name=victim).execute()
            deleted.append(victim)

    run = run_stream("channel.entitlements", on_progress=delete_once)
    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    assert deleted
    assert any(
        e["path"] == f"/v1/{victim}/entitlements" and e["status"] == 404
        for e in sandbox_log(channel_settings)
    )
    assert mirror(Entitlement) == upstream.entitlements()


def test_gone_reason_from_history():
    cancelled = {
        "changeType": "CANCELLED",
        "createTime": "2025-01-02T00:00:00Z",
        "cancellationReason": "SERVICE_TERMINATED",
    }
    moved = {
        "changeType": "CANCELLED",
        "createTime": "2025-01-03T00:00:00Z",
        "cancellationReason": "RELATIONSHIP_ENDED",
    }
    created = {"changeType": "CREATED", "createTime": "2025-01-01T00:00:00Z"}
    assert gone_reason([created, cancelled], customer_listed=True) == "cancelled"
    assert gone_reason([created, cancelled, moved], customer_listed=True) == "transferred"
    assert (
        gone_reason([{**moved, "cancellationReason": "PARTIAL_TRANSFER"}], customer_listed=True)
        == "transferred"
    )
    assert gone_reason([created], customer_listed=False) == "transferred"
    assert gone_reason([], customer_listed=False) == "transferred"
    assert gone_reason([created], customer_listed=True) == "unknown"


# --- the history cursor -------------------------------------------------------------------


def test_entitlement_changes_resume_after_a_failure_then_go_incremental(upstream, channel_settings, settings):
    settings.UPSTREAM_MAX_RETRIES = 1
    customers = sorted(c["name"] for c in upstream.customers())
    breaking = customers[len(customers) // 2]
    path = f"^/v1/{breaking}/entitlements/-:listEntitlementChanges$"
    control(channel_settings, "POST", "faults", {"next": ["503"] * 5, "path": path})
    failed = sync("channel.entitlement_changes", expect=SyncRunStatus.FAILED)["channel.entitlement_changes"]
    assert failed.created > 0
    cursor = StreamState.objects.get(stream="channel.entitlement_changes").cursor
    assert cursor["at"] is None and cursor["started"]
    assert customers.index(cursor["customer"]) < customers.index(breaking)

    control(channel_settings, "DELETE", "faults")
    before = len(sandbox_log(channel_settings))
    sync("channel.entitlement_changes")
    calls = [
        e["path"].removeprefix("/v1/").split("/entitlements/")[0]
        for e in sandbox_log(channel_settings)[before:]
        if e["path"].endswith(":listEntitlementChanges")
    ]
    assert calls[0] == customers[customers.index(cursor["customer"]) + 1]  # resumed, not restarted
    assert mirror(EntitlementChange) == upstream.changes()
    done = StreamState.objects.get(stream="channel.entitlement_changes").cursor
    assert done["customer"] == "" and done["at"] == cursor["started"]

    # the next pass asks only for what is new (minus the overlap), and gets the new change
    name = next(n for n, e in sorted(upstream.entitlements().items()) if e["provisioningState"] == "ACTIVE")
    upstream.suspend(name)
    before = len(sandbox_log(channel_settings))
    run = sync("channel.entitlement_changes")["channel.entitlement_changes"]
    queries = [
        e["query"]
        for e in sandbox_log(channel_settings)[before:]
        if e["path"].endswith(":listEntitlementChanges")
    ]
    assert queries and all("create_time" in q for q in queries)
    assert run.created == 1
    assert run.window_since is not None
    assert EntitlementChange.objects.filter(entitlement_id=name, change_type="SUSPENDED").exists()


def test_backfill_of_the_history_does_not_move_the_cursor(upstream, channel_settings):
    sync("channel.entitlement_changes")
    cursor = StreamState.objects.get(stream="channel.entitlement_changes").cursor
    EntitlementChange.objects.all().delete()
    run = run_stream(
        "channel.entitlement_changes",
        backfill=True,
        since=timezone.now() - timedelta(days=3650),
        until=timezone.now() + timedelta(days=1),
    )
    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    assert mirror(EntitlementChange) == upstream.changes()
    assert StreamState.objects.get(stream="channel.entitlement_changes").cursor == cursor
