"""`python manage.py inventory_source add|list|remove|run|confirm|discard` (issue 13)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from channelhub.models import AuditEvent
from inventory.models import InventorySource, Resource

from .helpers import TOKEN, resource, write_feed

pytestmark = pytest.mark.django_db


def _call(*args) -> str:
    from io import StringIO  # noqa: PLC0415 - only here

    out = StringIO()
    call_command("inventory_source", *args, stdout=out)
    return out.getvalue()


def test_add_list_run_and_remove_a_sandbox_source(sandbox):
    out = _call("add", "demo", "--kind", "sandbox", "--url", sandbox.cmp_url, "--credential", f"token={TOKEN}",
                "--param", "account=acc-1", "--poll-minutes", "5")  # fmt: skip
    assert "added demo" in out and TOKEN not in out and "********" in out
    source = InventorySource.objects.get(name="demo")
    assert source.parameters["credentials"]["token"] == TOKEN and source.poll_minutes == 5
    assert "demo" in _call("list") and "Never read" in _call("list")
    out = _call("run", "demo")
    assert "succeeded" in out and "created" in out
    live = Resource.objects.filter(source=source).count()
    assert live > 0 and f"{live} live" in _call("list")
    assert "create 0" in _call("run", "demo", "--dry-run")
    with pytest.raises(CommandError, match="--yes"):
        _call("remove", "demo")
    assert f"its {live} resources" in _call("remove", "demo", "--yes")
    assert not InventorySource.objects.exists() and not Resource.objects.exists()
    for event in AuditEvent.objects.filter(target_type="inventory.inventorysource"):
        assert TOKEN not in str(event.before) + str(event.after) + event.message


def test_bad_input_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="needs 'module'"):
        _call("add", "x", "--kind", "connector")
    with pytest.raises(CommandError, match="KEY=VALUE"):
        _call("add", "x", "--kind", "connector", "--module", "m", "--param", "novalue")
    with pytest.raises(CommandError, match="no source 'nope'"):
        _call("run", "nope")
    with pytest.raises(CommandError, match="not valid: name"):
        _call("add", "Bad Name", "--kind", "connector", "--module", "m")
    assert not InventorySource.objects.exists()


def test_a_held_pass_from_the_shell(tmp_path):
    path = tmp_path / "feed.json"
    write_feed(path, [resource(n) for n in range(6)])
    _call(
        "add",
        "f",
        "--kind",
        "connector",
        "--module",
        "tests.inventory.sync.file_connector",
        "--param",
        f"path={path}",
    )
    _call("run", "f")
    write_feed(path, [])
    assert "held: 6 of 6 would vanish" in _call("run", "f")
    assert "discarded" in _call("discard", "f")
    _call("run", "f")
    assert "applied" in _call("confirm", "f")
    assert Resource.objects.filter(gone_at__isnull=False).count() == 6
    with pytest.raises(CommandError, match="No pass"):
        _call("confirm", "f")
