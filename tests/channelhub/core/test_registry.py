"""The registry: apps declare streams, API mounts, role grants and queues; the core names none."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from channelhub import registry
from channelhub.registry import RegistryFrozen, Store
from channelhub.sync import registry as streams


def test_a_store_is_fixed_once_read():
    store = Store("example")
    store.add("a")
    with pytest.raises(ValueError, match="twice"):
        store.add("a")
    assert store.items() == ("a",)
    with pytest.raises(RegistryFrozen, match="ready"):
        store.add("b")


def test_registering_after_start_up_is_refused():
    registry.stream_modules()
    with pytest.raises(RegistryFrozen):
        registry.register_streams("usage.streams")


def test_streams_come_from_the_modules_apps_registered_in_order():
    assert registry.stream_modules() == (
        "fulfillment.connect.streams",
        "fulfillment.channel.streams",
        "usage.streams",
    )
    names = list(streams.all_streams())
    assert (
        names.index("connect.products") < names.index("connect.requests") < names.index("channel.customers")
    )


@pytest.mark.django_db
def test_roles_get_what_the_apps_grant():
    def perms(role):
        return {
            f"{p.content_type.app_label}.{p.codename}"
            for p in Group.objects.get(name=role).permissions.select_related("content_type")
        }

    support, supervisor, readonly = perms("support"), perms("supervisor"), perms("readonly")
    assert set(registry.grants("support")) <= support
    assert set(registry.grants("supervisor")) <= supervisor - support
    assert "fulfillment.view_entitlement" in readonly and "fulfillment.act_fulfillmentrequest" not in readonly
    assert {"django_q.add_schedule", "django_q.change_schedule"}.isdisjoint(supervisor)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role,email,expected",
    [
        (
            "support",
            "",
            ["Pending requests (oldest first)", "Requests assigned to me", "Failed upstream actions"],
        ),
        (None, "", []),
    ],
)
def test_the_index_shows_the_registered_queues_a_user_may_see(client, role, email, expected):
    user = get_user_model().objects.create_user(username="u", password="pw-long-enough-123", is_staff=True)
    if role:
        user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    html = client.get(reverse("admin:index")).content.decode()
    for label in expected:
        assert label in html
    if not expected:
        assert 'id="ch-queues"' not in html
    else:
        assert "set your email to match your Connect user" in html
        assert "migration=only&amp;queue=open" in html
        labels = [q.label for q in registry.queues()]
        assert html.index(labels[0]) < html.index(labels[-1]) < html.index("Failed upstream actions")
