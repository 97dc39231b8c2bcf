"""The house's architecture contracts (pyproject.toml, [tool.importlinter]) hold.

The sandbox imports neither Django nor the rest of channelhub; product code never imports the
sandbox; domain apps never import each other; the core never imports a domain app; only
channelhub.upstream imports an HTTP client.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout
