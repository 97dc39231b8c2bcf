"""`manage.py inventory_source run` as a real process, SIGKILLed mid-pass against the sandbox's
CMP feed (issue 13: "a killed worker converges to the feed exactly").

A killed pass is incomplete: it marks nothing gone, leaves no run running for the next one to
wait on, and the next complete pass makes the mirror equal the feed. The processes share the
test database (`transaction=True`); the feed answers each page slowly so a pass is still
paging when it is killed.
"""

from __future__ import annotations

import signal
import time

import pytest
import requests

from channelhub.models import SyncRun, SyncRunStatus
from inventory.models import Resource
from tests.channelhub.sync.helpers import finish, start_process, wait_for_paging_run

from .helpers import feed, feed_keys, http_source, knobs, live_keys, run_pass

pytestmark = pytest.mark.django_db(transaction=True)

KILLS = 3


def test_killed_passes_mark_nothing_and_the_next_pass_converges(sandbox, settings, tmp_path):
    settings.UPSTREAM_BACKOFF = 0.01
    source = http_source(sandbox, per_page=5)
    assert run_pass(source).status == SyncRunStatus.SUCCEEDED
    before = live_keys(source)
    knobs(sandbox, vanish={"account": "acc-1", "count": 3})
    knobs(sandbox, change={"account": "acc-1", "count": 5})
    requests.post(
        f"{sandbox.url}/_sandbox/faults",
        json={"rate": 1.0, "kinds": ["timeout"], "timeout_seconds": 0.3, "path": "^/cmp/"},
        timeout=10,
    ).raise_for_status()
    killed = []
    for kill in range(KILLS):
        proc = start_process(["inventory_source", "run", source.name], tmp_path)
        run = wait_for_paging_run(proc, pages=0)  # running: reading the feed's pages
        time.sleep(0.4 * (kill + 1))  # a page or three in (each answers in 0.3 s)
        assert proc.poll() is None, "the pass ended before it was killed"
        proc.send_signal(signal.SIGKILL)
        finish(proc)
        killed.append(run.pk)
        # An incomplete pass marks nothing gone and deletes nothing.
        assert live_keys(source) == before
        assert Resource.objects.filter(source=source).count() == len(before)
    requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=10).raise_for_status()

    proc = start_process(["inventory_source", "run", source.name], tmp_path)
    code, text = finish(proc)
    assert code == 0, text
    assert live_keys(source) == feed_keys(feed(sandbox))
    assert len(before - live_keys(source)) == 3
    assert SyncRun.objects.filter(status=SyncRunStatus.RUNNING).count() == 0
    for run in SyncRun.objects.filter(pk__in=killed):
        assert (run.status, run.error) == (SyncRunStatus.FAILED, "worker lost")
