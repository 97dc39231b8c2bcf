"""The CMP feed's metrics: a sample every 5 minutes (on multiples of 300 s since the Unix epoch)
in [since, until) for each server (cpu-usage percent, memory-used bytes, network-in bytes as a
counter) and volume (disk-used bytes) the account holds now. A value is a pure function of (seed,
account, resource id, metric, time), so a window read twice, or split in two, gives the same
samples.
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime, timedelta

STEP_SECONDS = 300
MAX_WINDOW = timedelta(hours=24)
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
ACCEPTED_FORMATS = ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ")
GIB = 1024**3


def parse_time(text: str | None, name: str) -> datetime:
    """`since`/`until` in `%Y-%m-%dT%H:%M:%S.%fZ` or `%Y-%m-%dT%H:%M:%SZ` (UTC); ValueError saying which."""
    if not text:
        raise ValueError(f"{name} is required (e.g. 2024-01-01T00:00:00.000000Z).")
    for fmt in ACCEPTED_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise ValueError(f"{name} {text!r} is not a time in %Y-%m-%dT%H:%M:%S.%fZ or %Y-%m-%dT%H:%M:%SZ.")


def format_time(dt: datetime) -> str:
    """The metrics' time format (`%Y-%m-%dT%H:%M:%S.%fZ`, UTC)."""
    return dt.astimezone(UTC).strftime(TIME_FORMAT)


def _unit(seed: int, account: str, rid: str, metric: str, t: int | str) -> float:
    """A number in [0, 1) from the arguments alone (the same in every process)."""
    digest = hashlib.blake2b(f"{seed}|{account}|{rid}|{metric}|{t}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def sample_times(since: datetime, until: datetime) -> list[int]:
    """The sample instants (Unix seconds, multiples of 300) in [since, until)."""
    first = math.ceil(since.timestamp() / STEP_SECONDS) * STEP_SECONDS  # the first at or after `since`
    return list(range(first, math.ceil(until.timestamp()), STEP_SECONDS))


def _server_values(seed: int, account: str, doc: dict, t: int) -> list[tuple[str, float, str, bool]]:
    rid = doc["id"]
    ram = doc["details"]["server"].get("ram_b") or 8 * GIB
    cpu = round(5 + 90 * _unit(seed, account, rid, "cpu-usage", t), 1)
    memory = int(ram * (0.3 + 0.6 * _unit(seed, account, rid, "memory-used", t)))
    rate = 1000 + int(200_000 * _unit(seed, account, rid, "network-in", "rate"))  # bytes per second
    network = rate * t + int(rate * STEP_SECONDS * _unit(seed, account, rid, "network-in", t) * 0.5)
    return [
        ("cpu-usage", cpu, "percent", False),
        ("memory-used", memory, "bytes", False),
        ("network-in", network, "bytes", True),
    ]


def _volume_values(seed: int, account: str, doc: dict, t: int) -> list[tuple[str, float, str, bool]]:
    size = doc["details"]["volume"].get("size_b") or 20 * GIB
    fill = 0.2 + 0.7 * _unit(seed, account, doc["id"], "disk-used", "level")
    wobble = 0.02 * _unit(seed, account, doc["id"], "disk-used", t)
    return [("disk-used", int(size * min(fill + wobble, 1.0)), "bytes", False)]


def samples(seed: int, account: str, docs: list[dict], since: datetime, until: datetime) -> list[dict]:
    """Every sample of the account's servers and volumes in [since, until), by resource then time."""
    times = sample_times(since, until)
    out = []
    for doc in docs:
        values = {"server": _server_values, "volume": _volume_values}.get(doc["type"])
        if values is None:
            continue
        for t in times:
            stamp = format_time(datetime.fromtimestamp(t, UTC))
            for metric, value, unit, counter in values(seed, account, doc, t):
                out.append(
                    {
                        "metric": metric,
                        "value": value,
                        "time": stamp,
                        "unit": unit,
                        "counter": counter,
                        "resource_id": doc["id"],
                        "resource_type": doc["type"],
                    }
                )
    return out
