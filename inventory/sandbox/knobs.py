"""The CMP feed's knobs (GET / POST / DELETE /_sandbox/cmp), back to their defaults on every reset.

Settings (kept until changed, a reset or DELETE):
- `token`: the bearer token with inventory rights (default `sandbox-cmp-token`);
- `limited_token`: a valid token without them, answered 403 (default `sandbox-cmp-limited`);
- `blank_accounts`: account ids whose resources and metrics answer an empty list with 200 (an
  upstream whose credential broke quietly).

Actions (done at once by a POST, drawing from an RNG seeded by the action and a counter, so a
replay after the same reset is identical; reported under `done`), in this order: `vanish`
{account, count}, `change` {account, count}, `appear` {account, count, type?}.
"""

from __future__ import annotations

import threading

from channelhub.sandbox.common import ApiError

from .world import ID_PREFIX

DEFAULTS = {"token": "sandbox-cmp-token", "limited_token": "sandbox-cmp-limited", "blank_accounts": []}
ACTIONS = ("vanish", "change", "appear")  # applied in this order (what appears stays)


def _bad(message: str) -> ApiError:
    return ApiError(400, "VAL_001", message)


class Knobs:
    """The feed's settings, thread-safe."""

    def __init__(self):
        self._lock = threading.Lock()
        self.values = _defaults()

    def get(self, key: str):
        """The current value of one setting (a copy for lists)."""
        with self._lock:
            value = self.values[key]
        return list(value) if isinstance(value, list) else value

    def show(self) -> dict:
        """Every setting, as JSON."""
        with self._lock:
            return {key: list(v) if isinstance(v, list) else v for key, v in self.values.items()}

    def check(self, body: dict) -> dict:
        """The settings `body` changes, checked (400 for a bad value); `apply` sets them."""
        changes = {}
        for key in ("token", "limited_token"):
            if key in body:
                value = body[key]
                if not isinstance(value, str) or not value.strip() or value != value.strip():
                    raise _bad(f"{key} must be a non-empty string without surrounding spaces.")
                changes[key] = value
        if "blank_accounts" in body:
            value = body["blank_accounts"]
            if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
                raise _bad("blank_accounts must be a list of account ids.")
            changes["blank_accounts"] = sorted(set(value))
        token = changes.get("token", self.get("token"))
        if token == changes.get("limited_token", self.get("limited_token")):
            raise _bad("token and limited_token must differ.")
        return changes

    def apply(self, changes: dict) -> None:
        """Set checked settings (from `check`)."""
        with self._lock:
            self.values.update(changes)

    def reset(self) -> None:
        """Back to the defaults."""
        with self._lock:
            self.values = _defaults()


def _defaults() -> dict:
    return {key: list(v) if isinstance(v, list) else v for key, v in DEFAULTS.items()}


def check_action(name: str, spec, accounts: list[str]) -> tuple[str, int, str | None]:
    """(account, count, type) of an `appear`/`change`/`vanish` action; 400 for a bad one."""
    if not isinstance(spec, dict):
        raise _bad(f"{name} must be an object {{account, count}}.")
    unknown = (
        set(spec) - {"account", "count", "type"} if name == "appear" else set(spec) - {"account", "count"}
    )
    if unknown:
        raise _bad(f"Unknown {name} keys: {', '.join(sorted(unknown))}.")
    account, count, rtype = spec.get("account"), spec.get("count", 1), spec.get("type")
    if account not in accounts:
        raise _bad(f"{name}: unknown account {account!r}; accounts are {', '.join(accounts)}.")
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 1000:
        raise _bad(f"{name}: count must be an integer from 1 to 1000.")
    if rtype is not None and rtype not in ID_PREFIX:
        raise _bad(f"{name}: type must be one of {', '.join(ID_PREFIX)}.")
    return account, count, rtype
