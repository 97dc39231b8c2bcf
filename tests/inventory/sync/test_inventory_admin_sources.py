"""The sources' admin (issue 13): status, last passes, errors and held passes on a source's
page, Run now / Dry run / Confirm / Discard for supervisors only, secrets never shown back and
kept when the masked form is saved."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from channelhub.models import AuditEvent
from inventory.models import InventorySource

from .helpers import file_source, resource, run_pass, write_feed

pytestmark = pytest.mark.django_db

SECRET = "s3cr3t-token-value"


@pytest.fixture
def held(tmp_path):
    path = tmp_path / "feed.json"
    write_feed(path, [resource(n) for n in range(4)])
    source = file_source(path)
    source.parameters["credentials"] = {"token": SECRET}
    source.save()
    run_pass(source)
    write_feed(path, [])
    run_pass(source)
    return source


def _page(client, source):
    return client.get(reverse("admin:inventory_inventorysource_change", args=[source.pk]))


def test_a_held_source_page_for_a_supervisor(as_role, held):
    client = as_role("supervisor")
    page = _page(client, held)
    text = page.content.decode()
    assert page.status_code == 200
    assert "Held: 4 of 4 live resources would vanish" in text and "Confirm: mark them gone" in text
    assert SECRET not in text and "********" in text
    response = client.post(reverse("admin:inventory_inventorysource_discard", args=[held.pk]))
    assert response.status_code == 302
    held.refresh_from_db()
    assert not held.is_held
    response = client.post(reverse("admin:inventory_inventorysource_dry_run", args=[held.pk]), follow=True)
    assert "(the pass would be held)" in response.content.decode()


def test_support_sees_no_buttons_and_cannot_post_them(as_role, held):
    client = as_role("support")
    page = _page(client, held)
    assert page.status_code == 200  # every role views sources
    assert "Confirm: mark them gone" not in page.content.decode() and SECRET not in page.content.decode()
    client.post(reverse("admin:inventory_inventorysource_confirm", args=[held.pk]))
    held.refresh_from_db()
    assert held.is_held


def test_saving_the_masked_form_keeps_the_secret_and_audits_it_censored(as_role, held):
    client = as_role("supervisor")
    params = json.loads(json.dumps(held.parameters))
    params["credentials"]["token"] = "********"
    params["parameters"]["extra"] = "1"
    data = {
        "name": held.name, "kind": held.kind, "description": "changed", "parameters": json.dumps(params),
        "enabled": "on", "poll_minutes": 15, "time_limit": 300, "memory_mb": 1024, "hold_share": 0.5,
    }  # fmt: skip
    response = client.post(reverse("admin:inventory_inventorysource_change", args=[held.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    held.refresh_from_db()
    assert held.parameters["credentials"]["token"] == SECRET and held.parameters["parameters"]["extra"] == "1"
    assert held.description == "changed"
    event = AuditEvent.objects.get(action="inventory.source.change")
    assert SECRET not in json.dumps([event.before, event.after, event.message])


def test_a_bad_parameter_is_refused_with_words_and_nothing_lost(as_role, held):
    client = as_role("supervisor")
    data = {"name": held.name, "kind": "http", "parameters": "{}", "poll_minutes": 15, "time_limit": 300,
            "memory_mb": 1024, "hold_share": 0.5, "enabled": "on"}  # fmt: skip
    response = client.post(
        reverse("admin:inventory_inventorysource_change", args=[held.pk]), data, follow=True
    )
    assert "needs &#x27;url&#x27;" in response.content.decode() or "needs 'url'" in response.content.decode()
    held.refresh_from_db()
    assert held.kind == "connector" and held.parameters["credentials"]["token"] == SECRET
    assert InventorySource.objects.count() == 1
