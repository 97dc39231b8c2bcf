"""Dashboard test fixtures and helpers.

- `staff(role=None, *perms, email=...)`: a staff user in a role group ("readonly", "support",
  "supervisor") and/or with extra permissions;
- `client_of(user)`: a Django test client logged in as `user`;
- `figures(html)` (helper): the backlog figures of a rendered dashboard, by queue key, as
  {"total": (text, url), "band0": ..., "breach": [(text, url, title), ...]};
- `listed(client, url)` (helper): the primary keys an admin changelist URL shows.
"""

from __future__ import annotations

import html as htmllib
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

_ROW = re.compile(r'<tr class="ch-queue[^"]*" data-queue="([^"]+)">(.*?)</tr>', re.S)
_FIGURE = re.compile(
    r'<a class="[^"]*" data-figure="([a-z0-9]+)" href="([^"]+)"(?: title="([^"]*)")?>(.*?)</a>', re.S
)


@pytest.fixture
def staff(db):
    def make(role: str | None = None, *perms: str, username: str | None = None, email: str = ""):
        name = username or f"{role or 'nobody'}-user"
        user = get_user_model().objects.create_user(name, email, is_staff=True)
        if role:
            user.groups.add(Group.objects.get(name=role))
        for perm in perms:
            app_label, codename = perm.split(".", 1)
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        return user

    return make


@pytest.fixture
def client_of():
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


def dashboard_html(client) -> str:
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return response.content.decode()


def _text(fragment: str) -> str:
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def figures(page: str) -> dict[str, dict]:
    out = {}
    for key, row in _ROW.findall(page):
        entry: dict = {"breach": []}
        for name, url, title, inner in _FIGURE.findall(row):
            url = htmllib.unescape(url)
            if name == "breach":
                entry["breach"].append((_text(inner).split()[0], url, htmllib.unescape(title)))
            else:
                entry[name] = (_text(inner).split()[-1], url)
        out[key] = entry
    return out


def listed(client, url: str) -> list:
    response = client.get(url)
    assert response.status_code == 200, url
    return sorted(obj.pk for obj in response.context["cl"].result_list)
