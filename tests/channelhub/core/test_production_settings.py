"""The production settings: `check --deploy` is clean, and a real gunicorn serves the probes and
the collected static files (compressed, under hashed names) through whitenoise.

Each runs `manage.py` or gunicorn in a subprocess with the production environment
(DJANGO_ENV=production, a 50+ character SECRET_KEY, ALLOWED_HOSTS), a SQLite database and a
STATIC_ROOT of its own in a temporary directory.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[3]
GUNICORN = Path(sys.executable).with_name("gunicorn")
HTTPS = {"X-Forwarded-Proto": "https"}  # what the TLS-terminating proxy sets


@pytest.fixture
def production_env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG")}
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "static"),
    )
    return env


def _manage(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_check_deploy_finds_no_issue(production_env):
    result = _manage(production_env, "check", "--deploy", "--fail-level", "DEBUG")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_development_keeps_the_plain_storage_that_needs_no_collectstatic():
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ENV",)}
    code = "from django.conf import settings; print(settings.STORAGES['staticfiles']['BACKEND'])"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.stdout.strip() == "django.contrib.staticfiles.storage.StaticFilesStorage", result.stderr


@contextlib.contextmanager
def _gunicorn(env, workers: int = 2):
    """gunicorn on a free port with `env`, until the block ends: yields its base URL."""
    port = _free_port()
    proc = subprocess.Popen(
        [str(GUNICORN), "channelhub.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=10)  # a worker's first request loads Django
                break
            except requests.ConnectionError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "gunicorn did not answer within 15 s"
                time.sleep(0.2)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)  # gunicorn's own graceful stop
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture
def gunicorn(production_env):
    """collectstatic, then gunicorn on a free port: yields (base URL, STATIC_ROOT)."""
    collected = _manage(production_env, "collectstatic", "--noinput", "-v", "0")
    assert collected.returncode == 0, collected.stderr
    with _gunicorn(production_env) as base:
        yield base, Path(production_env["STATIC_ROOT"])


def test_gunicorn_serves_the_probes_and_hashed_compressed_static_files(gunicorn):
    base, static_root = gunicorn
    # The probes answer a load balancer over plain HTTP (exempt from the HTTPS redirect).
    health = requests.get(f"{base}/healthz", timeout=5, allow_redirects=False)
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    ready = requests.get(f"{base}/readyz", timeout=5, allow_redirects=False)
    assert ready.status_code == 503  # a fresh database: nothing migrated yet, and it says so
    assert ready.json()["checks"]["migrations"]["ok"] is False
    # Everything else is redirected to HTTPS: the hardening is on.
    assert requests.get(f"{base}/admin/", timeout=5, allow_redirects=False).status_code == 301

    hashed = json.loads((static_root / "staticfiles.json").read_text())["paths"]["admin/css/base.css"]
    assert hashed != "admin/css/base.css" and hashed.startswith("admin/css/base.")
    response = requests.get(
        f"{base}/static/{hashed}",
        headers={**HTTPS, "Accept-Encoding": "gzip"},
        timeout=5,
        stream=True,
        allow_redirects=False,
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/css")
    assert response.headers["Content-Encoding"] == "gzip"
    assert "immutable" in response.headers["Cache-Control"]  # a hashed name never changes
    css = gzip.decompress(response.raw.read())
    assert css == (static_root / hashed).read_bytes()


def _healthz_count(text: str) -> float:
    for line in text.splitlines():
        if line.startswith("channelhub_http_request_duration_seconds_count") and 'endpoint="healthz"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_add_up_every_gunicorn_worker_in_multiprocess_mode(production_env, tmp_path):
    # Each of the two workers observes the requests it serves; a scrape of either one serves
    # the sum of both, read from PROMETHEUS_MULTIPROC_DIR (operations.md, "Several web processes").
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    token = secrets.token_urlsafe(24)
    env = {**production_env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "METRICS_TOKEN": token}
    migrated = _manage(env, "migrate", "-v", "0")  # the scrape reads the streams and the outbox
    assert migrated.returncode == 0, migrated.stderr
    scrape = {**HTTPS, "Authorization": f"Bearer {token}"}
    with _gunicorn(env, workers=2) as base:
        served = 1  # the readiness wait's own request
        deadline = time.monotonic() + 60
        # A new connection each, several at once: the two workers race to accept them, until
        # both have served some (on a busy machine one may take the first hundred).
        while len(list(metrics_dir.glob("histogram_*.db"))) < 2 or served < 40:
            assert time.monotonic() < deadline, f"one worker served all {served} requests"
            with ThreadPoolExecutor(4) as pool:
                codes = list(
                    pool.map(lambda _: requests.get(f"{base}/healthz", timeout=5).status_code, range(8))
                )
            assert codes == [200] * 8
            served += 8
        for _ in range(4):  # whichever worker answers the scrape
            response = requests.get(f"{base}/metrics", headers=scrape, timeout=10, allow_redirects=False)
            assert response.status_code == 200, response.text[:500]
            assert _healthz_count(response.text) == served
            assert "channelhub_outbox_actions" in response.text  # the database's figures too
