"""Error reports never show a secret: the debug page (HTML and text), and the error e-mail.

The process environment reaches the debug page as request META under runserver, settings are
listed on it, and a frame's local variables too; our secrets sit in URLs (DATABASE_URL,
REDIS_URL, the broker) whose names Django's own filter does not catch.
"""

from __future__ import annotations

import logging
import sys

import pytest
from django.test import RequestFactory
from django.utils.log import AdminEmailHandler
from django.views.debug import technical_500_response

from channelhub.reporting import mask_secrets

DB_PASSWORD = "db-pass-Zq81x"  # noqa: S105 - test values
REDIS_PASSWORD = "redis-pass-Kw02y"  # noqa: S105
CONNECT_KEY = "SU-111-222-333:connect-secret-Pm55"
DATABASE_URL = f"postgres://app:{DB_PASSWORD}@db.internal:5432/channelhub"
REDIS_URL = f"redis://:{REDIS_PASSWORD}@cache.internal:6379/0"
QUERY_SECRET = "query-secret-Rr77"  # noqa: S105
CREDENTIALS_PATH = "/etc/channelhub/sa.json"
SECRETS = (DB_PASSWORD, REDIS_PASSWORD, "connect-secret-Pm55", QUERY_SECRET)
# (the debug page shows the source lines around each frame: no secret literal stands near them)


@pytest.fixture
def secret_settings(settings):
    settings.DEBUG = True
    settings.REDIS_URL = REDIS_URL
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "redis": REDIS_URL}
    settings.CONNECT_API_KEY = f"ApiKey {CONNECT_KEY}"
    settings.SOME_SERVICE_DSN = "https://public@sentry.example/1"
    return settings


def _crash(request):
    broker_url = REDIS_URL  # a frame variable holding a URL with a password  # noqa: F841
    connect_key = CONNECT_KEY  # noqa: F841
    raise RuntimeError(f"could not reach {DATABASE_URL} with {CONNECT_KEY}")


def _reports(accept: str):
    request = RequestFactory().get(
        f"/admin/?api_key={QUERY_SECRET}&page=2",
        HTTP_ACCEPT=accept,
        DATABASE_URL=DATABASE_URL,  # runserver puts the process environment into META
        REDIS_URL=REDIS_URL,
        CHANNEL_CREDENTIALS_FILE=CREDENTIALS_PATH,
    )
    try:
        _crash(request)
    except RuntimeError:
        return request, technical_500_response(request, *sys.exc_info()).content.decode()


@pytest.mark.parametrize("accept", ["text/html", "text/plain"])
def test_the_debug_page_masks_every_secret(secret_settings, accept):
    request, page = _reports(accept)
    assert "RuntimeError" in page and "could not reach postgres://app:" in page  # it is the report
    for secret in SECRETS:
        assert secret not in page, secret
    assert "db.internal:5432" in page and "cache.internal" in page  # hosts stay, for the diagnosis
    assert CREDENTIALS_PATH not in page  # a credentials path is hidden by name
    assert "page=2" in page


def test_the_error_email_masks_every_secret(secret_settings, mailoutbox):
    """What Django's AdminEmailHandler sends for an error of a request (text and HTML parts)."""
    secret_settings.ADMINS = [("ops", "ops@example.com")]
    request = RequestFactory().get("/admin/", DATABASE_URL=DATABASE_URL, REDIS_URL=REDIS_URL)
    try:
        _crash(request)
    except RuntimeError:
        record = logging.LogRecord(
            "django.request", logging.ERROR, __file__, 1, "Internal Server Error", (), sys.exc_info()
        )
    record.request = request
    AdminEmailHandler(include_html=True).emit(record)
    (message,) = mailoutbox
    html = message.alternatives[0][0]
    for text in (message.body, html):
        assert "RuntimeError" in text and "db.internal" in text
        for secret in SECRETS:
            assert secret not in text, secret


@pytest.mark.parametrize(
    "text, masked",
    [
        ("postgres://u:p4ssword@h/db", "postgres://u:********@h/db"),
        ("redis://:p4ssword@h:6379/0", "redis://:********@h:6379/0"),
        ("amqp://guest@h//", "amqp://guest@h//"),  # no password: nothing to hide
        ("https://h/x?token=abc123&y=1", "https://h/x?token=********&y=1"),
        ("plain text, no url", "plain text, no url"),
    ],
)
def test_mask_secrets(text, masked):
    assert mask_secrets(text) == masked
