"""Where the tests find the material beside the project (`../shared`: upstream specs, tools)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    """`../shared` beside the project root (as on every machine and in CI); CHANNELHUB_SHARED overrides."""
    candidates = [os.environ.get("CHANNELHUB_SHARED"), ROOT.parent / "shared", "/work/shared"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "tools" / "connect_conformance.py").exists():
            return Path(candidate)
    raise FileNotFoundError(
        "../shared (with tools/connect_conformance.py) not found beside the project; set CHANNELHUB_SHARED"
    )


def conformance_tool() -> Path:
    return shared_dir() / "tools" / "connect_conformance.py"


FIXTURES = ROOT / "tests" / "fixtures" / "connect"
