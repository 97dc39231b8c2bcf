"""Settings read from the environment, and the production mode's hardening."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def run_manage(*args, **env) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_ENV")}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_mode_passes_check_deploy():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="backoffice.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_mode_refuses_to_start_without_a_secret_key():
    result = run_manage("check", DJANGO_ENV="production", ALLOWED_HOSTS="x")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    "redis_url, broker",
    [("", "orm"), ("redis://127.0.0.1:6379/0", "redis")],
)
def test_redis_url_selects_the_job_broker(redis_url, broker):
    code = "from django.conf import settings; print(sorted(k for k in ('orm','redis') if k in settings.Q_CLUSTER))"
    result = run_manage("shell", "-v", "0", "-c", code, REDIS_URL=redis_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"['{broker}']"


@pytest.mark.django_db
def test_healthz_needs_no_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_admin_needs_a_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
