"""What the benchmarks share: a child process's environment on a fresh, empty database."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def fresh_database_env(db: str, *, sqlite_file: str, pg_database: str) -> dict:
    """The environment of a benchmark's child process: `db` ("sqlite" or "postgres") made
    fresh and empty (the SQLite file `var/bench/<sqlite_file>` removed, the PostgreSQL
    database `pg_database` dropped and created again), settings quiet."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="channelhub.settings", LOG_LEVEL="WARNING")
    if db == "sqlite":
        path = VAR / sqlite_file
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{path}"
    else:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {pg_database}")
            conn.execute(f"CREATE DATABASE {pg_database}")
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{pg_database}"
    return env
