"""channelhub's own objects: heavy columns only when selected, actor through select_related, filters pinned."""

from __future__ import annotations

import pytest
from dj_rql.utils import assert_filter_cls
from py_rql.constants import FilterLookups as L

from channelhub.api import filters
from channelhub.models import AuditEvent, SyncRun, UpstreamAction

pytestmark = pytest.mark.django_db


def test_filter_classes_are_pinned():
    string = {"lookups": L.string() - {L.NULL}}
    assert_filter_cls(
        filters.UpstreamActionFilters,
        {
            "kind": {"orm_route": "kind", **string},
            "status": {"orm_route": "status", "lookups": L.string() - {L.NULL}},
            "actor.id": {"orm_route": "actor__id", "lookups": L.numeric()},
            "created_at": {"orm_route": "created_at", "lookups": L.numeric() - {L.NULL}},
        },
        {"id", "created_at"},
        {"kind", "target_id"},
    )
    assert_filter_cls(
        filters.AuditEventFilters,
        {
            "upstream_action.id": {"orm_route": "upstream_action__id", "lookups": L.numeric()},
            "action": {"orm_route": "action", **string},
        },
        {"id", "created_at"},
        {"target_id"},
    )
    assert_filter_cls(
        filters.SyncRunFilters,
        {
            "stream": {"orm_route": "stream", **string},
            "status": {"orm_route": "status", **string},
            "trigger": {"orm_route": "trigger", **string},
        },
        {"id", "started_at"},
        set(),
    )


def test_actions_hide_payloads_unless_selected_and_filter_by_actor(
    api, admin_user, django_assert_num_queries
):
    UpstreamAction.objects.create(
        kind="connect.request.approve",
        target_type="t",
        target_id="PR-1",
        actor=admin_user,
        payload={"template_id": "TL-1"},
    )
    UpstreamAction.objects.create(kind="connect.request.fail", target_type="t", target_id="PR-2")
    (obj,) = api.get(f"/api/v1/channelhub/actions?eq(actor.id,{admin_user.pk})").json()
    assert obj["actor"] == {"id": admin_user.pk, "username": admin_user.username}
    assert "payload" not in obj and "response" not in obj
    (obj,) = api.get("/api/v1/channelhub/actions?select(payload)&eq(target_id,PR-1)").json()
    assert obj["payload"] == {"template_id": "TL-1"}
    assert [o["target_id"] for o in api.get("/api/v1/channelhub/actions?ordering(created_at)").json()] == [
        "PR-1",
        "PR-2",
    ]
    assert api.get("/api/v1/channelhub/actions?select(-actor)").json()[0].keys().isdisjoint({"actor"})


def test_audit_events_and_sync_runs(api):
    AuditEvent.objects.create(action="x", target_type="t", target_id="PR-1", before={"a": 1}, after={"a": 2})
    (obj,) = api.get("/api/v1/channelhub/audit-events").json()
    assert "before" not in obj
    (obj,) = api.get("/api/v1/channelhub/audit-events?select(before,after)").json()
    assert obj["before"] == {"a": 1} and obj["after"] == {"a": 2}
    SyncRun.objects.create(stream="connect.requests", error_detail={"status": 500})
    SyncRun.objects.create(stream="connect.assets")
    r = api.get("/api/v1/channelhub/sync-runs?eq(stream,connect.requests)")
    assert [o["stream"] for o in r.json()] == ["connect.requests"] and "error_detail" not in r.json()[0]
    assert r["Content-Range"] == "items 0-0/1"
    SyncRun.objects.filter(stream="connect.requests").update(status="failed")
    assert [o["stream"] for o in api.get("/api/v1/channelhub/sync-runs?eq(status,failed)").json()] == [
        "connect.requests"
    ]
    assert api.get("/api/v1/channelhub/sync-runs?eq(nope,failed)").json()["error_code"] == "RQL_002"
    AuditEvent.objects.create(action="y", target_type="t", target_id="PR-2")
    assert [o["target_id"] for o in api.get("/api/v1/channelhub/audit-events?eq(action,y)").json()] == [
        "PR-2"
    ]
