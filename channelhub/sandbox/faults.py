"""Fault injection for the sandbox's upstream paths (never for /_sandbox/*).

Configuration (POST /_sandbox/faults replaces it; missing keys take their defaults):
- `next`: a queue of fault kinds applied, in order, to the next requests whose path matches
  `path` (deterministic: tests rely on it);
- `rate` (0..1) with `kinds`: a random fault on that share of matching requests;
- `path`: a regular expression searched in the request path (default: every upstream path);
- `retry_after` (seconds, sent with 429), `timeout_seconds` (for `timeout`);
- `churn`: N -> every matching list GET first changes N random objects of that collection and
  inserts a new one (upstream changing while a client pages).

Kinds: `500`, `502`, `503`, `429` answer an error without touching the state; `timeout` applies
the request normally and then holds the answer `timeout_seconds` (a client with a shorter timeout
gives up, yet the action happened, as in real life); `truncated` applies the request and sends a
Content-Length larger than the body, then closes; `reset` aborts the TCP connection with an RST
before the request is applied.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import asdict, dataclass, field

from .common import ApiError

KINDS = ("500", "502", "503", "429", "timeout", "truncated", "reset")


@dataclass
class FaultConfig:
    """The fault configuration POST /_sandbox/faults sets (see the module docstring for each key)."""

    rate: float = 0.0
    kinds: list[str] = field(default_factory=lambda: list(KINDS))
    next: list[str] = field(default_factory=list)
    path: str | None = None
    retry_after: float = 1
    timeout_seconds: float = 5.0
    churn: int = 0


class Faults:
    """The current fault configuration and the choice of a fault per request, thread-safe."""

    def __init__(self, rate: float = 0.0):
        self._lock = threading.Lock()
        self._rng = random.Random()
        self.config = FaultConfig(rate=rate)
        self._path_re = None

    def configure(self, body: dict) -> dict:
        """Replace the configuration with `body` (missing keys take their defaults); 400 for unknown keys or
        kinds and bad values. Returns the new configuration."""
        if not isinstance(body, dict):
            raise ApiError(400, "VAL_001", "Fault configuration must be a JSON object.")
        unknown = set(body) - set(FaultConfig.__dataclass_fields__)
        if unknown:
            raise ApiError(400, "VAL_001", f"Unknown fault settings: {', '.join(sorted(unknown))}.")
        config = FaultConfig(**{k: v for k, v in body.items() if v is not None})
        config.kinds = [str(k) for k in config.kinds]
        config.next = [str(k) for k in config.next]
        for kind in [*config.kinds, *config.next]:
            if kind not in KINDS:
                raise ApiError(400, "VAL_001", f"Unknown fault kind {kind!r}; use one of {', '.join(KINDS)}.")
        try:
            config.rate = float(config.rate)
            config.retry_after = float(config.retry_after)
            config.timeout_seconds = float(config.timeout_seconds)
            config.churn = int(config.churn)
            path_re = re.compile(config.path) if config.path else None
        except (TypeError, ValueError, re.error) as exc:
            raise ApiError(400, "VAL_001", f"Invalid fault configuration: {exc}") from exc
        if not 0.0 <= config.rate <= 1.0:
            raise ApiError(400, "VAL_001", "rate must be between 0 and 1.")
        with self._lock:
            self.config, self._path_re = config, path_re
        return self.describe()

    def clear(self) -> None:
        """Back to no faults at all."""
        with self._lock:
            self.config, self._path_re = FaultConfig(), None

    def describe(self) -> dict:
        """The configuration as JSON."""
        with self._lock:
            return asdict(self.config)

    def _matches(self, path: str) -> bool:
        return self._path_re is None or bool(self._path_re.search(path))

    def decide(self, path: str) -> str | None:
        """The fault for this request on `path`, if any: the next queued kind first, else a random one at
        `rate`."""
        with self._lock:
            config = self.config
            if not self._matches(path):
                return None
            if config.next:
                return config.next.pop(0)
            if config.rate and config.kinds and self._rng.random() < config.rate:
                return self._rng.choice(config.kinds)
            return None

    def churn_for(self, path: str) -> int:
        """How many objects a list GET on `path` changes before it reads (0: none)."""
        with self._lock:
            if self.config.churn and self._matches(path):
                return self.config.churn
            return 0
