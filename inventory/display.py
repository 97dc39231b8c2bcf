"""Words and pictures of the inventory: resource types and states, a type's details with labels
and units (bytes in GiB, Hz in GHz), locations level by level, safe portal links, the layout of
a resource's neighbourhood and of its metric charts, and the staff queues.

Nothing here marks text safe: the templates escape every upstream string they are given.
"""

from __future__ import annotations

import json
import math
from urllib.parse import urlsplit

from channelhub.admin import status_badge
from channelhub.registry import Queue

_SOURCES = "admin:inventory_inventorysource_changelist"
_FAILING = ("failed", "invalid_credentials", "insufficient_permission", "no_billing_report", "held")

# The staff queues on the back office's first page (registered by the app's registration).
QUEUES = (
    Queue(
        "Inventory sources failing or held",
        _SOURCES,
        "status__in=" + ",".join(_FAILING),
        "inventory.view_inventorysource",
    ),
)

TYPE_WORDS = {
    "account": "Account",
    "appliance": "Appliance",
    "network": "Network",
    "server": "Server",
    "volume": "Volume",
    "service_offering": "Service offering",
    "compute_pool": "Compute pool",
    "saas_user": "SaaS user",
    "colo_space": "Colocation space",
    "circuit": "Circuit",
}

STATE_WORDS = {
    "unknown": "Unknown",
    "pending": "Pending",
    "running": "Running",
    "shutting": "Shutting down",
    "stopping": "Stopping",
    "stopped": "Stopped",
    "terminated": "Terminated",
    "active": "Active",
    "inactive": "Inactive",
}

# A state in the back office's colour language (channelhub.admin.kit.STATUS_COLOURS).
_STATE_COLOUR = {
    "running": "active",
    "active": "active",
    "pending": "pending",
    "shutting": "scheduled",
    "stopping": "scheduled",
    "stopped": "suspended",
    "inactive": "suspended",
    "terminated": "terminated",
}

# How each key of `details.<type>` reads, and its unit: "bytes", "hz", "watts", "yesno" or "".
DETAIL_LABELS = {
    "type_id": ("Kind", ""),
    "cpu_cores": ("CPU cores", ""),
    "cpu_hz": ("CPU speed", "hz"),
    "ram_b": ("Memory", "bytes"),
    "volumes_b": ("Attached storage", "bytes"),
    "instance_type": ("Instance type", ""),
    "state": ("State", "state"),
    "provider_state": ("Provider's state", ""),
    "image_detail": ("Image", "image"),
    "is_virtual": ("Virtual", "yesno"),
    "encrypted": ("Encrypted", "yesno"),
    "iops": ("IOPS", "count"),
    "size_b": ("Size", "bytes"),
    "zone_name": ("Zone", ""),
    "memory_b": ("Memory", "bytes"),
    "storage_b": ("Storage", "bytes"),
    "billing_tag": ("Billing tag", ""),
    "avatar_url": ("Avatar URL", ""),
    "phone": ("Phone", ""),
    "address": ("Address", ""),
    "is_active": ("Active", "yesno"),
    "disk_quota_b": ("Disk quota", "bytes"),
    "disk_used_b": ("Disk used", "bytes"),
    "email": ("E-mail", ""),
    "country": ("Country", ""),
    "language": ("Language", ""),
    "power_allocation_w": ("Power allocation", "watts"),
    "colo_space_location": ("Where in the site", ""),
    "customer_name": ("Customer", ""),
    "customer_label": ("Customer's label", ""),
    "customer_description": ("Customer's description", ""),
    "combination": ("Combination", ""),
    "carrier": ("Carrier", ""),
    "reference": ("Reference", ""),
    "endpoint_a": ("End A", ""),
    "endpoint_b": ("End B", ""),
}
# Shown in their own sections of the page, not in the details table.
_OWN_SECTION = {"ip_addresses"}

LOCATION_LEVELS = (
    ("location", "Site"),
    ("city", "City"),
    ("state", "State"),
    ("country", "Country"),
    ("region", "Region"),
)


def type_words(type_: str) -> str:
    """A resource type in words; an unknown one as given."""
    return TYPE_WORDS.get(type_, type_.replace("_", " ").capitalize() if type_ else "—")


def state_words(state: str) -> str:
    """A resource state in words; an unknown one as given."""
    return STATE_WORDS.get(state, state or "—")


def state_badge(state: str):
    """The state as a coloured badge (unknown states grey)."""
    return status_badge(_STATE_COLOUR.get(state, state or "unknown"), state_words(state))


def bytes_words(value) -> str:
    """A size in binary units: 8589934592 -> "8 GiB", 53687091200 -> "50 GiB"."""
    number = _number(value)
    if number is None:
        return str(value)
    for unit, power in (("TiB", 4), ("GiB", 3), ("MiB", 2), ("KiB", 1)):
        if abs(number) >= 1024**power:
            return f"{_short(number / 1024**power)} {unit}"
    return f"{_short(number)} B"


def hz_words(value) -> str:
    """A frequency: 2500000000 -> "2.5 GHz"."""
    number = _number(value)
    if number is None:
        return str(value)
    for unit, power in (("GHz", 9), ("MHz", 6), ("kHz", 3)):
        if abs(number) >= 10**power:
            return f"{_short(number / 10**power)} {unit}"
    return f"{_short(number)} Hz"


def watts_words(value) -> str:
    """A power: 4000 -> "4 kW"."""
    number = _number(value)
    if number is None:
        return str(value)
    if abs(number) >= 1000:
        return f"{_short(number / 1000)} kW"
    return f"{_short(number)} W"


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            value = float(str(value))
        except ValueError:
            return None
    return None if math.isnan(value) or math.isinf(value) else float(value)


def _short(number: float) -> str:
    """At most two decimals, none when whole: 8.0 -> "8", 931.32 -> "931.32"."""
    text = f"{number:,.2f}".rstrip("0").rstrip(".")
    return text or "0"


def value_words(value, unit: str = "") -> str:
    """One detail value in words, by its unit."""
    if value is None or value == "":
        return "—"
    if unit == "yesno" or isinstance(value, bool):
        return "Yes" if value is True else "No" if value is False else str(value)
    if unit == "bytes":
        return bytes_words(value)
    if unit == "hz":
        return hz_words(value)
    if unit == "watts":
        return watts_words(value)
    if unit == "state":
        return state_words(str(value))
    if unit == "image" and isinstance(value, dict):
        return image_words(value)
    if unit == "count" and _number(value) is not None:
        return _short(_number(value))
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


def image_words(image: dict) -> str:
    """A server's image: "Ubuntu 16.04 LTS (Ubuntu 16.04, x86_64, Linux; ami-123)"."""
    name = str(image.get("name") or image.get("id") or "—")
    extra = " ".join(str(image[k]) for k in ("distribution", "version") if image.get(k))
    more = [
        part for part in (extra, str(image.get("architecture") or ""), str(image.get("type") or "")) if part
    ]
    ident = str(image.get("id") or "")
    tail = ", ".join(more) + (f"; {ident}" if ident and ident != name else "")
    return f"{name} ({tail})" if tail else name


def detail_rows(details) -> list[tuple[str, str]]:
    """`details.<type>` as (label, value in words) rows: the known keys first, in the library's
    order, then any other key as given."""
    if not isinstance(details, dict):
        return []
    rows = []
    for key, value in details.items():
        if key in _OWN_SECTION:
            continue
        label, unit = DETAIL_LABELS.get(key, (str(key).replace("_", " ").capitalize(), ""))
        rows.append((label, value_words(value, unit)))
    return rows


def _level_words(level) -> str:
    if isinstance(level, dict):
        name, ident = str(level.get("name") or ""), str(level.get("id") or "")
        if name and ident and ident != name:
            return f"{name} ({ident})"
        return name or ident or "—"
    return str(level)


def location_rows(locations) -> list[list[tuple[str, str]]]:
    """Each location as (level, words) pairs, site to region ("City", "Paris"); a legacy region
    reference (`base.regions`: `{"id": ...}`) reads as one "Region" level."""
    out = []
    for entry in locations if isinstance(locations, list) else []:
        if not isinstance(entry, dict):
            continue
        if set(entry) <= {"id", "name"}:  # base.regions: a region by reference
            out.append([("Region", _level_words(entry))])
            continue
        levels = [(label, _level_words(entry[key])) for key, label in LOCATION_LEVELS if entry.get(key)]
        owner = entry.get("type") or entry.get("owner")
        if owner:
            levels.append(("Owned by", str(owner)))
        if levels:
            out.append(levels)
    return out


def safe_link(url) -> str:
    """`url` if it is an absolute http(s) link, else "" (never a javascript: or data: link)."""
    if not isinstance(url, str) or url != url.strip() or any(ord(c) < 32 for c in url):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme in ("http", "https") and parts.netloc else ""


def short_label(text: str, width: int = 18) -> str:
    """A label cut to fit a picture: "a very long server name" -> "a very long serv…"."""
    text = str(text or "")
    return text if len(text) <= width else text[: width - 1] + "…"


NEIGHBOURHOOD_SIZE = 360


def neighbourhood_layout(neighbours: list[dict], size: int = NEIGHBOURHOOD_SIZE) -> dict:
    """Positions for a star picture: the resource in the centre, its neighbours on a ring around
    it (two rings when there are many). Each neighbour dict gets `x`, `y` and `label`."""
    centre = size / 2
    placed = []
    inner = neighbours[:12]
    outer = neighbours[12:]
    for ring, radius in ((inner, size * 0.30), (outer, size * 0.44)):
        for i, node in enumerate(ring):
            angle = 2 * math.pi * i / max(len(ring), 1) - math.pi / 2 + (0.26 if ring is outer else 0)
            placed.append(
                {
                    **node,
                    "x": round(centre + radius * math.cos(angle), 1),
                    "y": round(centre + radius * math.sin(angle), 1),
                    "label_y": round(centre + radius * math.sin(angle) + 18, 1),
                    "label": short_label(node.get("name") or node.get("upstream_id") or ""),
                }
            )
    return {"size": size, "centre": centre, "centre_label_y": centre + 24, "nodes": placed}


CHART_WIDTH, CHART_HEIGHT = 240, 48


def chart(samples: list[tuple], width: int = CHART_WIDTH, height: int = CHART_HEIGHT) -> dict:
    """A polyline for (time, value) samples in time order: its `points` ("x,y x,y"), the
    range of values and the latest. Samples without a value are left out of the line."""
    valued = [(t, float(v)) for t, v in samples if v is not None and _number(v) is not None]
    if not valued:
        return {"points": "", "low": None, "high": None, "latest": None, "count": 0}
    start, end = valued[0][0], valued[-1][0]
    span = (end - start).total_seconds() or 1.0
    low, high = min(v for _, v in valued), max(v for _, v in valued)
    rise = (high - low) or 1.0
    pad = 3
    points = []
    for when, value in valued:
        x = pad + (width - 2 * pad) * ((when - start).total_seconds() / span if len(valued) > 1 else 0.5)
        y = height - pad - (height - 2 * pad) * ((value - low) / rise if high != low else 0.5)
        points.append(f"{x:.1f},{y:.1f}")
    return {
        "points": " ".join(points),
        "low": _short(low),
        "high": _short(high),
        "latest": _short(valued[-1][1]),
        "count": len(valued),
        "first_time": start,
        "last_time": end,
    }
