"""upsert_rows outside any transaction (a service writing an upstream answer back): on
PostgreSQL its COPY staging table empties at each commit, so the write runs in one transaction
of its own; in autocommit it used to write nothing."""

import pytest
from django.db import connection

from channelhub.sync.upsert import upsert_rows
from fulfillment.models import Marketplace

pytestmark = pytest.mark.django_db(transaction=True)  # autocommit: no test transaction around it


def test_rows_are_written_and_updated_in_autocommit():
    assert connection.get_autocommit()
    payload = {"id": "MP-AUTO1", "name": "Autocommit"}
    counts = upsert_rows(Marketplace, [("MP-AUTO1", {"name": "Autocommit"}, payload)])
    assert counts.created == 1
    assert Marketplace.objects.get(pk="MP-AUTO1").name == "Autocommit"
    changed = {**payload, "name": "Changed"}
    assert upsert_rows(Marketplace, [("MP-AUTO1", {"name": "Changed"}, changed)]).updated == 1
    assert Marketplace.objects.get(pk="MP-AUTO1").name == "Changed"
