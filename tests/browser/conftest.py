"""Browser test fixtures: Debian's Chromium driven by Playwright (sync API) against Django's live server.

- `browser` (package-scoped, i.e. shared by all of tests/browser in a test process): one
  headless Chromium (`/usr/bin/chromium`, which `make test` installs with apt; Playwright
  never downloads a browser). Not session-scoped on purpose: see `_playwright`.
- `page` (function): a fresh browser context (no cookies) and page whose relative URLs resolve
  against pytest-django's `live_server`, e.g. `page.goto("/admin/")`. Using it gives the test
  transactional database access (the live server runs in a thread with its own connection, so
  rows must be committed to be seen): create rows with the factories as usual. The test fails
  if a page raised an uncaught JavaScript error.
- `login(page, user, password=None)`: logs `user` in through the real admin login form and
  waits for the admin index. Without a password it first sets a known one on the user.
- `make_staff(*perms, roles=(), username="staff")`: an active staff user with exactly the
  given permissions ("app_label.codename") and role groups ("support", ...); `viewer`: a staff user with every view permission of
  the mirror and the engine state (the read-only role), `superuser`: a superuser.

Static files of the admin are served by the live server (pytest-django wraps it in
StaticFilesHandler because `django.contrib.staticfiles` is installed): no collectstatic.

    def test_request_page(page, login, viewer):
        request = FulfillmentRequestFactory()
        login(page, viewer)
        page.goto(f"/admin/fulfillment/fulfillmentrequest/{request.pk}/change/")
        expect(page.locator("h3", has_text=request.pk)).to_be_visible()
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from playwright.sync_api import Page, expect, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root (CI too); Chromium's sandbox refuses root
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Generous for a 2-core machine running the suite in parallel; a real hang still fails fast.
TIMEOUT_MS = 15_000
PASSWORD = "browser-test-password-1"  # noqa: S105 - test-only credential

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    """Every test under tests/browser carries the `browser` marker (`-m "not browser"` skips them)."""
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package")
def _playwright():
    # While Playwright's sync API lives, its asyncio loop counts as running in this thread:
    # Django then refuses ORM calls (SynchronousOnlyOperation) and `asyncio.run` fails. So
    # it lives for this package's tests only (they run one after another, also under xdist),
    # and only they get DJANGO_ALLOW_ASYNC_UNSAFE: the test code itself is synchronous.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            yield playwright
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def browser(_playwright):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make chromium` (apt-get install chromium)")
    browser = _playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # `login` sets and checks a password per test; PBKDF2 would cost about a second of that.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def page(browser, live_server, transactional_db) -> Page:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"uncaught JavaScript errors: {errors}"


@pytest.fixture
def login():
    """`login(page, user, password=None)`: sign in through the admin login form."""

    def _login(page: Page, user, password: str | None = None) -> None:
        if password is None:
            user.set_password(PASSWORD)
            user.save(update_fields=["password"])
            password = PASSWORD
        page.goto("/admin/login/?next=/admin/")
        page.fill("#id_username", user.get_username())
        page.fill("#id_password", password)
        page.click("input[type=submit]")
        page.wait_for_url("**/admin/")
        expect(page.locator("#logout-form")).to_be_attached()

    return _login


@pytest.fixture
def make_staff(transactional_db):
    """`make_staff(*perms, roles=(), username="staff")` -> an active staff user.

    `perms` are "app_label.codename" strings; `roles` are names of the staff role groups
    (`channelhub.roles`: "readonly", "support", "supervisor"). Unknown ones fail the test.
    """

    def _make(*perms: str, roles: tuple[str, ...] | list[str] = (), username: str = "staff"):
        user = get_user_model().objects.create_user(username, f"{username}@example.com", is_staff=True)
        condition = Q(pk__in=[])
        for perm in perms:
            app_label, codename = perm.split(".", 1)
            condition |= Q(content_type__app_label=app_label, codename=codename)
        granted = list(Permission.objects.filter(condition).select_related("content_type"))
        missing = set(perms) - {f"{p.content_type.app_label}.{p.codename}" for p in granted}
        assert not missing, f"unknown permissions: {sorted(missing)}"
        groups = list(Group.objects.filter(name__in=roles))
        assert len(groups) == len(set(roles)), (
            f"unknown roles: {sorted(set(roles) - {g.name for g in groups})}"
        )
        user.user_permissions.set(granted)
        user.groups.set(groups)
        return user

    return _make


@pytest.fixture
def viewer(transactional_db):
    """A staff user who may only view the mirror and the sync state (the read-only role)."""
    user = get_user_model().objects.create_user("viewer", "viewer@example.com", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=("fulfillment", "channelhub"), codename__startswith="view_"
        )
    )
    return user


@pytest.fixture
def superuser(transactional_db):
    return get_user_model().objects.create_superuser("root", "root@example.com")


@pytest.fixture
def mirrored(channel_settings, settings, transactional_db, monkeypatch):
    """The sandbox's Channel world mirrored; actions sent at commit, inline (django-q's sync
    mode), so the page a form redirects to already shows the outcome."""
    from django_q.conf import Conf  # noqa: PLC0415 - only the Channel pages need it

    from tests.fulfillment.channel.helpers import sync_channel  # noqa: PLC0415 - the same

    settings.ACTION_RETRY_BACKOFF = 0
    settings.CHANNEL_LRO_WAIT_SECONDS = 5
    monkeypatch.setattr(Conf, "SYNC", True)
    sync_channel()
    return channel_settings
