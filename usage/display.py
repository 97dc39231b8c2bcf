"""Words and badges of the usage app, and its staff queues on the back office's first page."""

from __future__ import annotations

from django.urls import reverse

from channelhub.admin import status_badge
from channelhub.registry import Queue

_FILES = "admin:usage_usagefile_changelist"
_REPORTS = "admin:usage_usagereport_changelist"
_VIEW_FILE = "usage.view_usagefile"
_VIEW_REPORT = "usage.view_usagereport"

# The staff queues on the back office's first page, in this order (usage.selectors' queues).
QUEUES = (
    Queue("Usage files to submit (ready)", _FILES, "queue=to_submit", _VIEW_FILE),
    Queue("Usage files waiting for acceptance (oldest first)", _FILES, "queue=pending", _VIEW_FILE),
    Queue("Invalid usage files", _FILES, "queue=invalid", _VIEW_FILE),
    Queue("Rejected usage files", _FILES, "queue=rejected", _VIEW_FILE),
    Queue("Usage reports with invalid rows", _REPORTS, "queue=invalid", _VIEW_REPORT),
)

# Usage statuses in the back office's colour language, beyond the kit's own words.
_COLOUR_OF = {
    "ready": "approved",
    "accepted": "approved",
    "valid": "approved",
    "sent": "approved",
    "closed": "succeeded",
    "uploading": "processing",
    "uploaded": "processing",
    "invalid": "failed",
    "rejected": "failed",
    "deleted": "revoked",
}


def usage_badge(choices, status: str):
    """A badge for a usage status, labelled from its choices class (an unknown upstream status
    shows as it is, in grey)."""
    label = choices(status).label if status in choices.values else status
    return status_badge(_COLOUR_OF.get(status, status), label)


def admin_url(model, pk) -> str:
    """The admin change page URL of a usage row."""
    return reverse(f"admin:usage_{model._meta.model_name}_change", args=[pk])


def period_words(period_from, period_to) -> str:
    """A period as staff read it: "2024-03-01 → 2024-04-01", a dash for an unknown end."""
    if not period_from and not period_to:
        return "—"
    start = period_from.strftime("%Y-%m-%d") if period_from else "?"
    end = period_to.strftime("%Y-%m-%d") if period_to else "…"
    return f"{start} → {end}"


STAT_LABELS = (
    ("uploaded", "Uploaded"),
    ("validated", "Validated"),
    ("pending", "Pending"),
    ("accepted", "Accepted"),
    ("closed", "Closed"),
    ("billed", "Billed"),
)


def file_stats(stats: dict) -> list[tuple[str, str]]:
    """A file's `stats` as (label, value) pairs, Connect's known counters first, others after."""
    stats = stats if isinstance(stats, dict) else {}
    known = [(label, str(stats[key])) for key, label in STAT_LABELS if key in stats]
    seen = {key for key, _ in STAT_LABELS}
    return known + [(str(key), str(value)) for key, value in sorted(stats.items()) if key not in seen]


def item_rows(items) -> list[dict]:
    """A recurring asset's or billing request's items as table rows (id, mpn, name, quantity,
    period), whatever keys upstream left out."""
    rows = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        period = item.get("period")
        rows.append(
            {
                "id": str(item.get("id") or ""),
                "mpn": str(item.get("mpn") or ""),
                "name": str(item.get("display_name") or item.get("name") or ""),
                "quantity": str(item.get("quantity") if item.get("quantity") is not None else ""),
                "period": str(period.get("uom") or "") if isinstance(period, dict) else str(period or ""),
            }
        )
    return rows
