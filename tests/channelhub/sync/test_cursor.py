"""The stream's cursor never moves below the stored one."""

from __future__ import annotations

import pytest

from channelhub.models import StreamState, SyncRunStatus
from channelhub.sync.engine import run_stream
from channelhub.sync.streams import parse_ts
from fulfillment.models import FulfillmentRequest

from .helpers import control

pytestmark = pytest.mark.django_db


def test_a_run_dying_in_the_overlap_window_leaves_the_cursor_where_it_was(connect_settings, settings):
    assert run_stream("connect.requests").status == SyncRunStatus.SUCCEEDED
    cursor = StreamState.objects.get(stream="connect.requests").cursor
    assert FulfillmentRequest.objects.count() > 5  # a page of 5 ends well behind the cursor

    # The next run starts an overlap behind the cursor; make it the whole collection, and let
    # the upstream go down after the first page, long before the run gets back to the cursor.
    settings.SYNC_OVERLAP_SECONDS = 20 * 365 * 86400
    settings.UPSTREAM_MAX_RETRIES = 0
    pages = []

    def upstream_dies_after_the_first_page(progress):
        pages.append(progress.fetched)
        control(connect_settings, "POST", "faults", {"rate": 1.0, "kinds": ["503"], "path": "/requests"})

    run = run_stream("connect.requests", page_size=5, on_progress=upstream_dies_after_the_first_page)
    assert run.status == SyncRunStatus.FAILED and run.pages == 1 and pages == [5]
    assert run.window_since < parse_ts(cursor["at"])  # it did read behind the cursor
    assert StreamState.objects.get(stream="connect.requests").cursor == cursor

    # ... and a run that gets past it moves it on as before.
    control(connect_settings, "DELETE", "faults")
    for _ in range(3):
        control(connect_settings, "POST", "tick")
    assert run_stream("connect.requests", page_size=5).status == SyncRunStatus.SUCCEEDED
    moved = StreamState.objects.get(stream="connect.requests").cursor
    assert (parse_ts(moved["at"]), moved["id"]) > (parse_ts(cursor["at"]), cursor["id"])
