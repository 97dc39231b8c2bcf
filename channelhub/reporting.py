"""What an error report may show: Django's debug page, the error e-mails and their text form.

Django's own filter hides settings and request META entries whose *name* looks secret (KEY,
TOKEN, PASS, ...). Ours are often in a URL instead: `DATABASE_URL=postgres://app:pw@db/...`,
`REDIS_URL=redis://:pw@cache:6379/0`, `Q_CLUSTER["redis"]`, a proxy or a broker URL. So this
filter also hides, in every string it is shown (settings, META, which holds the process
environment under runserver, and each frame's local variables):

- the password of any URL (`scheme://user:password@host` -> `scheme://user:********@host`);
- query parameters whose name looks secret (`?api_key=...`, `?password=...`);
- the literal value of every secret this process knows (`SECRET_KEY`, `CONNECT_API_KEY`, the
  database's password, the broker's), wherever it appears, e.g. inside an exception message;
- settings and variables named like URLs of services or credentials (`*_DSN`, `*CREDENTIAL*`).

It is the `DEFAULT_EXCEPTION_REPORTER_FILTER` in every mode (development, production, tests),
and `DEFAULT_EXCEPTION_REPORTER` masks the exception's message and the request URL the same way
(a driver's error may quote the URL it could not reach).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

MASK = "********"
# Django's names, and ours: credentials files, DSNs, cookies of every kind.
HIDDEN_NAMES = re.compile(
    r"API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|COOKIE|CREDENTIAL|DSN|SESSION|PRIVATE", re.I
)
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/\s:@]*:)(?P<password>[^/\s@]+)(?=@)", re.I)
_SECRET_QUERY = re.compile(
    r"(?P<head>(?:^|[?&;])(?:[^=&\s]*(?:key|token|secret|pass|password|signature|auth)[^=&\s]*)=)(?P<value>[^&\s#]+)",
    re.I,
)
_MIN_SECRET_LENGTH = 6  # shorter "secrets" (a test's "pw") would mask half of every page


def _known_secrets() -> list[str]:
    """This process's secret values, longest first. Read each time: an error report is rare,
    and the settings may have changed (tests, a reloaded key)."""
    connect_key = getattr(settings, "CONNECT_API_KEY", "")
    values = {
        getattr(settings, "SECRET_KEY", ""),
        connect_key,
        connect_key.removeprefix("ApiKey "),
        *(db.get("PASSWORD", "") for db in settings.DATABASES.values()),
    }
    for url in (getattr(settings, "REDIS_URL", ""), settings.Q_CLUSTER.get("redis", "")):
        if isinstance(url, str) and url:
            values.add(urlsplit(url).password or "")
    return sorted((v for v in values if len(v) >= _MIN_SECRET_LENGTH), key=len, reverse=True)


def mask_secrets(text: str) -> str:
    """`text` with URL passwords, secret query values and known secret values masked."""
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK, text)
    text = _SECRET_QUERY.sub(lambda m: m.group("head") + MASK, text)
    for secret in _known_secrets():
        text = text.replace(secret, MASK)
    return text


class SecretMaskingReporterFilter(SafeExceptionReporterFilter):
    """Django's reporter filter, hiding our secret names (`HIDDEN_NAMES`) and secrets inside any string."""

    cleansed_substitute = MASK
    hidden_settings = HIDDEN_NAMES

    def cleanse_setting(self, key, value):
        """Django's cleansing, then URL passwords, secret query values and known secrets masked in strings."""
        cleansed = super().cleanse_setting(key, value)
        if isinstance(cleansed, str):  # lazy strings too: a setting may be one
            plain = str(cleansed)
            masked = mask_secrets(plain)
            return cleansed if masked == plain else masked
        return cleansed


class SecretMaskingExceptionReporter(ExceptionReporter):
    """Masks what the filter does not see: the exception's message and its causes, the URL and
    query, and each frame's local variables as the report prints them (so a secret inside an
    object's repr, an exception in a tuple, is caught too)."""

    def get_traceback_data(self):
        """Django's report data with messages, the URL, frame variables and GET items masked."""
        data = super().get_traceback_data()
        hidden = self.filter.hidden_settings
        for name in ("exception_value", "exception_notes", "request_insecure_uri"):
            if isinstance(data.get(name), str):
                data[name] = mask_secrets(data[name])
        for frame in data.get("frames", ()):
            if "vars" in frame:
                frame["vars"] = [(k, MASK if hidden.search(k) else mask_secrets(v)) for k, v in frame["vars"]]
            if frame.get("exc_cause") is not None:
                frame["exc_cause"] = mask_secrets(str(frame["exc_cause"]))
        if "request_GET_items" in data:
            data["request_GET_items"] = [
                (k, MASK if hidden.search(k) else mask_secrets(v)) for k, v in data["request_GET_items"]
            ]
        return data
