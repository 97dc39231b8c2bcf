"""Test and demo knobs of the Channel sandbox, in memory (GET/POST/DELETE /_sandbox/channel).

- `lro_delay_seconds` (0): an accepted operation completes this long after it was accepted...
- `lro_polls` (0): ...and only once it has been polled (operations.get) this many times.
  Both 0 = done at once: the POST reply already says `done: true`.
- `lro_fail_next` ([]): a queue of forced failures; the next accepted operation whose type
  matches (`operation_type` absent = any) takes the first entry and ENDS in that error instead
  of applying, e.g. `{"code": 9, "reason": "CONDITION_NOT_MET", "message": "...",
  "operation_type": "SUSPEND_ENTITLEMENT"}` (code = gRPC number, default 13 INTERNAL).
- `empty_page_every` (4): every Nth page of a list that still has items after it comes back
  empty with a nextPageToken (real clients must follow it); 0 = never; 1 is refused (it would
  never end).
- `token_ttl_seconds` (3600): `expires_in` of tokens issued from now on.
- `tos_pending_products` (["products/Google-Chrome"]): products whose terms of service our
  reseller has not accepted; a SKU of theirs held elsewhere is not transferable
  (PENDING_TOS_ACCEPTANCE, transfers.py).
- `revoke_tokens` (action, POST only): true -> every issued access token stops working (401).

Reset (`/_sandbox/reset`) puts the knobs back to these defaults; issued tokens survive it, so a
long-running client keeps working across resets.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field

from ..common import ApiError

DEFAULT_EMPTY_PAGE_EVERY = 4
DEFAULT_TOS_PENDING_PRODUCTS = ("products/Google-Chrome",)


@dataclass
class Knobs:
    """The Channel knobs' values (see the module docstring)."""

    lro_delay_seconds: float = 0.0
    lro_polls: int = 0
    lro_fail_next: list[dict] = field(default_factory=list)
    empty_page_every: int = DEFAULT_EMPTY_PAGE_EVERY
    token_ttl_seconds: int = 3600
    tos_pending_products: list[str] = field(default_factory=lambda: list(DEFAULT_TOS_PENDING_PRODUCTS))


def _bad(message: str) -> ApiError:
    return ApiError(400, "VAL_001", message)


class KnobBox:
    """The knobs behind a lock: handlers read a consistent copy, tests change them over HTTP."""

    def __init__(self):
        self._lock = threading.Lock()
        self._knobs = Knobs()

    def get(self) -> Knobs:
        """A copy of the knobs, safe to read without the lock."""
        with self._lock:
            return Knobs(**asdict(self._knobs))  # asdict copies the lists too

    def describe(self) -> dict:
        """The knobs as JSON."""
        return asdict(self.get())

    def reset(self) -> None:
        """Every knob back to its default."""
        with self._lock:
            self._knobs = Knobs()

    def update(self, body: dict) -> None:
        """Merge `body` into the knobs (missing keys keep their value), validated first."""
        unknown = set(body) - set(Knobs.__dataclass_fields__) - {"revoke_tokens"}
        if unknown:
            raise _bad(f"Unknown channel knobs: {', '.join(sorted(unknown))}.")
        values = {k: v for k, v in body.items() if k in Knobs.__dataclass_fields__}
        try:
            merged = Knobs(**{**asdict(self.get()), **values})
            merged.lro_delay_seconds = float(merged.lro_delay_seconds)
            merged.lro_polls = int(merged.lro_polls)
            merged.empty_page_every = int(merged.empty_page_every)
            merged.token_ttl_seconds = int(merged.token_ttl_seconds)
            merged.lro_fail_next = [_failure(entry) for entry in merged.lro_fail_next]
            merged.tos_pending_products = _products(merged.tos_pending_products)
        except (TypeError, ValueError) as exc:
            raise _bad(f"Invalid channel knobs: {exc}") from None
        if merged.lro_delay_seconds < 0 or merged.lro_polls < 0 or merged.token_ttl_seconds < 1:
            raise _bad("lro_delay_seconds and lro_polls must be >= 0, token_ttl_seconds >= 1.")
        if merged.empty_page_every < 0 or merged.empty_page_every == 1:
            raise _bad("empty_page_every must be 0 (never) or >= 2.")
        with self._lock:
            self._knobs = merged

    def take_failure(self, operation_type: str) -> dict | None:
        """Pop the first queued failure meant for this operation type (or for any)."""
        with self._lock:
            queue = self._knobs.lro_fail_next
            for index, entry in enumerate(queue):
                if entry.get("operation_type") in (None, operation_type):
                    return queue.pop(index)
        return None


def _products(value) -> list[str]:
    if not isinstance(value, list) or not all(
        isinstance(p, str) and p.startswith("products/") for p in value
    ):
        raise ValueError("tos_pending_products must be a list of product names (products/...)")
    return list(dict.fromkeys(value))


def _failure(entry) -> dict:
    if not isinstance(entry, dict):
        raise ValueError("each lro_fail_next entry must be an object")
    unknown = set(entry) - {"code", "reason", "message", "operation_type"}
    if unknown:
        raise ValueError(f"unknown lro_fail_next keys {sorted(unknown)}")
    out = {"code": int(entry.get("code", 13))}
    for key in ("reason", "message", "operation_type"):
        if entry.get(key) is not None:
            out[key] = str(entry[key])
    return out
