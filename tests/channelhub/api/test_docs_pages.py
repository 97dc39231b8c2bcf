"""The API's documentation pages load nothing from the internet, and every page has an icon
(issue 15): ReDoc without Google's fonts, its JavaScript from our static files; the favicon."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import RequestFactory
from django.urls import reverse

from channelhub import views

pytestmark = pytest.mark.django_db

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.IGNORECASE)


def _static_paths(html: str) -> list[str]:
    return re.findall(r"""(?:src|href)\s*=\s*["']/static/([^"']+)["']""", html)


@pytest.mark.parametrize("name", ["api-redoc", "api-docs"])
def test_the_docs_pages_load_nothing_from_the_internet(api, name):
    response = api.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    assert "fonts.googleapis.com" not in html and "fonts.gstatic.com" not in html
    files = _static_paths(html)
    assert any(f.endswith(".js") for f in files), html
    for path in files:  # each is one of our static files (drf-spectacular-sidecar, ours)
        assert finders.find(path), path


def test_redoc_still_starts_with_our_schema(api):
    html = api.get(reverse("api-redoc")).content.decode()
    assert "redoc.standalone.js" in html and reverse("api-schema") in html
    assert 'rel="icon"' in html


def test_admin_pages_link_our_icon(admin_client):
    html = admin_client.get(reverse("admin:index")).content.decode()
    icon = re.search(r"""<link rel="icon" href="/static/([^"]+)\"""", html)
    assert icon and finders.find(icon.group(1))


def test_the_favicon_view_serves_the_icon():
    response = views.favicon(RequestFactory().get("/favicon.ico"))
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg") and "max-age" in response["Cache-Control"]


def test_favicon_ico_is_served_without_a_login(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
