"""schemathesis against our own OpenAPI schema, over real HTTP: no request gives a 500.

schemathesis runs from its own venv (`.venv-schemathesis`, see
tests/channelhub/api/schemathesis/requirements.txt; `make test` builds it) against a live server on the
test database, with a readonly token, through every operation of /api/v1/schema/ (Connect,
Channel and channelhub endpoints, list and detail): the coverage phase (each parameter's edge
and invalid values, ~1,600 requests) and a short fuzzing phase. The seed is fixed so CI is
repeatable. A wider run by hand: `SCHEMATHESIS_SEED=random SCHEMATHESIS_MAX_EXAMPLES=100
SCHEMATHESIS_PHASES=examples,coverage,fuzzing,stateful .venv/bin/python -m pytest
tests/channelhub/api/test_schemathesis.py` (about 2,600 requests passed that way when it was written).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from channelhub.api.throttling import TokenRateThrottle
from tests.fulfillment.connect import factories as f

ROOT = Path(__file__).resolve().parents[3]
SCHEMATHESIS = ROOT / ".venv-schemathesis" / "bin" / "schemathesis"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world():
    """A little of everything, so detail operations find rows instead of only 404s."""
    f.FulfillmentRequestFactory(status="pending")
    f.FulfillmentRequestFactory(status="failed", assignee=None)
    f.AssetFactory()


def test_no_request_gives_a_server_error(live_server, make_token, world, monkeypatch, tmp_path):
    if not SCHEMATHESIS.exists():
        pytest.fail(f"{SCHEMATHESIS} is missing: run `make test` (or `make schemathesis`) to build it")
    # Thousands of requests in a minute: lift the per-token budget so they reach the views.
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "1000000/min"})
    _, token = make_token()
    seed = os.environ.get("SCHEMATHESIS_SEED", "20261122")
    command = [
        str(SCHEMATHESIS),
        "run",
        f"{live_server.url}/api/v1/schema/",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "not_a_server_error",
        "--max-examples",
        os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "5"),
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--no-color",
        "--phases",
        os.environ.get("SCHEMATHESIS_PHASES", "coverage,fuzzing"),
    ]
    if seed != "random":
        command += ["--seed", seed]
    result = subprocess.run(  # noqa: S603 - our own venv's binary, our own arguments
        command, capture_output=True, text=True, timeout=900, cwd=tmp_path
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-8000:]
    assert "passed" in output and "Tested:" in output, output[-4000:]
