"""Logs: one JSON object a line with LOG_FORMAT=json, carrying the request, sync run, action or
automation task it belongs to; credentials masked in every line; the plain format unchanged."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from channelhub.models import SyncRunStatus
from channelhub.observability.logs import (
    ContextFilter,
    JsonFormatter,
    RedactSecrets,
    current_ids,
    log_context,
)
from channelhub.sync.engine import run_stream

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def json_lines():
    """Every line logged during the test, as the JSON handler of LOG_FORMAT=json writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactSecrets())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)

    def lines() -> list[dict]:
        handler.flush()
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    root.removeHandler(handler)


@pytest.mark.django_db
def test_a_requests_lines_carry_its_id_and_the_response_echoes_it(client, json_lines):
    # A failed login: axes logs it from inside the view (the context), Django's 4xx line comes
    # after the middleware returned (the record's request).
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "nobody", "password": "wrong"},
        HTTP_X_REQUEST_ID="edge-7f3a.42",
    )
    assert response["X-Request-ID"] == "edge-7f3a.42"
    mine = [line for line in json_lines() if line.get("request_id") == "edge-7f3a.42"]
    assert any(line["logger"].startswith("axes") for line in mine), mine
    for line in mine:
        assert {"time", "level", "logger", "message"} <= set(line)
        assert "wrong" not in json.dumps(line)  # never the password, nor the body

    missing = client.get("/no/such/page", HTTP_X_REQUEST_ID="edge-404")
    assert missing.status_code == 404
    assert missing["X-Request-ID"] == "edge-404"
    (not_found,) = [line for line in json_lines() if line["logger"] == "django.request"]
    assert not_found["request_id"] == "edge-404"
    assert not_found["status_code"] == 404


@pytest.mark.django_db
@pytest.mark.parametrize("given", ["", "has space", "x" * 65, "<script>", "a\u00e9b", "-leading-dash"])
def test_an_unsafe_request_id_is_replaced_by_a_new_one(client, given):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=given)
    assert response.status_code == 200
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert response["X-Request-ID"] != client.get("/healthz")["X-Request-ID"]


@pytest.mark.django_db
def test_a_sync_runs_lines_carry_its_id_and_not_the_api_key(connect_settings, settings, json_lines):
    settings.CONNECT_API_KEY = "ApiKey SU-000-000-000:the-sandboxes-key"
    settings.UPSTREAM_MAX_RETRIES = 1
    # Two 503s on the hubs: the client logs its retry, then the engine the failed run.
    faults = {"next": ["503", "503"], "path": "^/public/v1/hubs"}
    requests.post(f"{connect_settings.url}/_sandbox/faults", json=faults, timeout=10).raise_for_status()
    run = run_stream("connect.hubs")
    assert run.status == SyncRunStatus.FAILED, run.error
    lines = json_lines()
    retried = [line for line in lines if line["logger"] == "channelhub.upstream.http"]
    failed = [line for line in lines if line["logger"] == "channelhub.sync.engine"]
    assert retried, lines
    assert failed, lines
    assert {line.get("sync_run") for line in retried + failed} == {run.pk}
    assert "the-sandboxes-key" not in json.dumps(lines)
    assert "the-sandboxes-key" not in run.error
    assert current_ids() == {}  # the run's context ended with it


def test_contexts_nest_and_end(json_lines):
    log = logging.getLogger("channelhub.test")
    with log_context(action=7):
        with log_context(automation_task=3):
            log.warning("inner")
        log.warning("outer")
    log.warning("after")
    inner, outer, after = json_lines()
    assert (inner.get("action"), inner.get("automation_task")) == (7, 3)
    assert (outer.get("action"), outer.get("automation_task")) == (7, None)
    assert "action" not in after
    with pytest.raises(TypeError):
        with log_context(password="x"):
            pass


def test_credentials_are_redacted(json_lines):
    log = logging.getLogger("channelhub.test")
    log.warning("calling with ApiKey SU-000:secret")
    log.warning("header %s", "Authorization: Bearer eyJhbGciOi.abc.def, then more")
    try:
        raise RuntimeError("upstream said: bad key 'ApiKey SU-000:secret'")
    except RuntimeError:
        log.exception("it broke")
    apikey, bearer, broke = json_lines()
    assert apikey["message"] == "calling with ApiKey ********"
    assert bearer["message"] == "header Authorization: Bearer ********, then more"
    assert "SU-000:secret" not in broke["exception"]
    assert "ApiKey ********" in broke["exception"]
    assert "RuntimeError" in broke["exception"]


def log_one_line(**env) -> str:
    """stderr of a process that configures logging from settings and logs one line."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("LOG_FORMAT", "DJANGO_ENV")}
    full_env.update(env)
    code = "import logging; logging.getLogger('channelhub.probe').warning('probe %s', 'ApiKey SU-000:secret')"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_log_format_json_writes_one_json_object_a_line():
    (line,) = [line for line in log_one_line(LOG_FORMAT="json").splitlines() if "probe" in line]
    record = json.loads(line)
    assert record["logger"] == "channelhub.probe"
    assert record["level"] == "WARNING"
    assert record["message"] == "probe ApiKey ********"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", record["time"])


def test_the_plain_format_is_unchanged_when_log_format_is_unset():
    (line,) = [line for line in log_one_line().splitlines() if "probe" in line]
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING channelhub\.probe probe ApiKey \*{8}", line
    ), line


def test_an_unknown_log_format_stops_the_start():
    full_env = {k: v for k, v in os.environ.items() if k != "DJANGO_ENV"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**full_env, "LOG_FORMAT": "xml"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "LOG_FORMAT must be plain or json" in result.stderr
