"""Which action is allowed from which status, and where it leads: the one place that says so.

From connect-api.md (§2.1 requests, §2.3 tier config requests), the official workflow
diagrams. Services check these against the mirrored status before queuing an action; the
outbox's "already applied" check uses the target states.
"""

from __future__ import annotations

from .choices import RequestStatus as RS
from .choices import TierConfigRequestStatus as TS

# action -> (statuses it is allowed from, status it leads to or None when unchanged)
REQUEST_TRANSITIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "approve": ((RS.PENDING,), RS.APPROVED),
    "inquire": ((RS.PENDING,), RS.INQUIRING),
    "fail": ((RS.PENDING, RS.TIERS_SETUP), RS.FAILED),
    "pend": ((RS.INQUIRING,), RS.PENDING),
    "update_params": ((RS.DRAFT, RS.TIERS_SETUP, RS.PENDING, RS.INQUIRING), None),
    "assign": (RS.OPEN_STATES + (RS.DRAFT,), None),
    "unassign": (RS.OPEN_STATES + (RS.DRAFT,), None),
    "add_note": (tuple(RS.values), None),
}

TIER_CONFIG_REQUEST_TRANSITIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "approve": ((TS.PENDING,), TS.APPROVED),
    "inquire": ((TS.PENDING, TS.TIERS_SETUP, TS.DRAFT), TS.INQUIRING),
    "fail": ((TS.PENDING, TS.INQUIRING, TS.TIERS_SETUP), TS.FAILED),
    "pend": ((TS.INQUIRING, TS.TIERS_SETUP, TS.DRAFT), TS.PENDING),
    "update_params": ((TS.DRAFT, TS.TIERS_SETUP, TS.PENDING, TS.INQUIRING), None),
    "assign": (TS.OPEN_STATES + (TS.DRAFT,), None),
    "unassign": (TS.OPEN_STATES + (TS.DRAFT,), None),
}


def allowed_actions(table: dict, status: str) -> list[str]:
    """The actions a status allows, in the table's order (for the UI's buttons)."""
    return [action for action, (sources, _) in table.items() if status in sources]
