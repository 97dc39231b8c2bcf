"""The usage module's knobs (GET / POST / DELETE /_sandbox/usage), back to defaults on reset."""

from __future__ import annotations

import threading

from channelhub.sandbox.common import ApiError

DEFAULTS = {"processing_seconds": 0.5}


class Knobs:
    """`processing_seconds`: how long an upload takes to become ready or invalid (0 = by the next read)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.values = dict(DEFAULTS)

    @property
    def processing_seconds(self) -> float:
        """The current delay of the system steps, in seconds."""
        with self._lock:
            return float(self.values["processing_seconds"])

    def control(self, method: str, body: dict) -> dict:
        """GET shows, POST/PUT merges the given keys (400 for unknown keys or bad values), DELETE resets."""
        if method in ("POST", "PUT"):
            unknown = set(body) - set(DEFAULTS)
            if unknown:
                raise ApiError(400, "VAL_001", f"Unknown usage knobs: {', '.join(sorted(unknown))}.")
            if "processing_seconds" in body:
                try:
                    value = float(body["processing_seconds"])
                except (TypeError, ValueError) as exc:
                    raise ApiError(400, "VAL_001", "processing_seconds must be a number.") from exc
                if value < 0:
                    raise ApiError(400, "VAL_001", "processing_seconds must be >= 0.")
                with self._lock:
                    self.values["processing_seconds"] = value
        elif method == "DELETE":
            self.reset()
        with self._lock:
            return dict(self.values)

    def reset(self) -> None:
        """Back to the defaults."""
        with self._lock:
            self.values = dict(DEFAULTS)
