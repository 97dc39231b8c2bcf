"""The soak, short (issue 17): `bench/soak.py --minutes 1` in a subprocess, as CI's second pass
runs it (PostgreSQL and Redis). Two gunicorn web processes and three qcluster workers under a
SIGKILL every few seconds, the live sandbox failing 10% of the upstream requests, staff acting
through the admin's forms on Connect requests, Channel entitlements and usage files, and an API
reader; then drained and checked (bench/soak.py's docstring: every mirrored collection equals
the sandbox, each action applied upstream exactly once, none lost, no stream locked, no run left
running, no 5xx outside the killed processes' requests).

The soak needs PostgreSQL and Redis by definition: on SQLite (CI's first pass) it is skipped.
It uses a database of its own (created and dropped) and its own queue on Redis db 13.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[3]
SOAK_DB = 13  # a Redis database of the soak's own


def _pg_server() -> str | None:
    db = settings.DATABASES["default"]
    if "postgresql" not in db["ENGINE"]:
        return None
    auth = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"


def _redis() -> str | None:
    if not settings.REDIS_URL:
        return None
    url = urlsplit(settings.REDIS_URL)
    return urlunsplit((url.scheme, url.netloc, f"/{SOAK_DB}", "", ""))


def test_the_short_soak_holds():
    pg, redis = _pg_server(), _redis()
    if pg is None or redis is None:
        pytest.skip("the soak needs PostgreSQL and Redis (DATABASE_URL postgres://..., REDIS_URL)")
    database = f"channelhub_soak_{os.getpid()}"
    result = subprocess.run(
        [
            sys.executable,
            "bench/soak.py",
            "--minutes",
            "1",
            "--pg",
            pg,
            "--redis",
            redis,
            "--database",
            database,
        ]
        + ["--drop"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=420,  # a safety net: the run itself is about 110 s, longer beside the rest of the suite
        env={k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "Q_NAME")},
    )
    output = result.stdout + result.stderr[-4000:]
    assert result.returncode == 0, output
    assert "all assertions hold" in result.stdout, output
    assert "[FAIL]" not in result.stdout, output
