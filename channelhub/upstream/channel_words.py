"""Cloud Channel's error names and canonical statuses in words staff understand (channel-api.md §5)."""

from __future__ import annotations

PLAIN_WORDS = {
    # Channel-specific names, from the method descriptions
    "NOT_ACTIVE": "The entitlement is not active, so it cannot be suspended.",
    "SUSPENSION_NOT_RESELLER_INITIATED": (
        "The entitlement was not suspended by us (the reseller), so it cannot be activated here."
    ),
    "NOT_SUSPENDED": "The entitlement is not suspended, so there is nothing to activate.",
    "NOT_COMMITMENT_PLAN": "Renewal settings can only be changed on a commitment (annual) plan.",
    "NOT_IN_TRIAL": "The entitlement is not in a trial, so paid service cannot be started.",
    "DELETION_TYPE_NOT_ALLOWED": "This kind of entitlement cannot be cancelled this way.",
    "INVALID_VALUE": "A value in the request is not valid.",
    "CONDITION_NOT_MET": "A condition for this change is not met (e.g. the offer or the customer does not allow it).",
    # canonical statuses (google.rpc.Code)
    "ALREADY_EXISTS": "It already exists (e.g. the customer already has this SKU, or the email is in use).",
    "FAILED_PRECONDITION": "Google refused the change in the object's current state.",
    "INVALID_ARGUMENT": "Google refused a value in the request.",
    "OUT_OF_RANGE": "A value is outside the allowed range.",
    "PERMISSION_DENIED": "Our service account is not allowed to do this on this account.",
    "NOT_FOUND": "It no longer exists at Google.",
    "UNAUTHENTICATED": "Google did not accept our credentials.",
    "RESOURCE_EXHAUSTED": "Google's quota or rate limit was reached; try again later.",
    "ABORTED": "Google aborted the request because of a concurrent change; try again.",
    "CANCELLED": "The request was cancelled.",
    "UNAVAILABLE": "Google Cloud Channel is unavailable right now; try again later.",
    "INTERNAL": "Google Cloud Channel had an internal error; try again later.",
    "UNKNOWN": "Google Cloud Channel failed for an unknown reason; try again later.",
    "DEADLINE_EXCEEDED": "Google Cloud Channel did not finish in time; try again later.",
    "UNIMPLEMENTED": "Google Cloud Channel does not support this call.",
    "DATA_LOSS": "Google Cloud Channel reported data loss.",
}


TOKEN_ENDPOINT_DOWN = (
    "Google's token service is failing right now (an outage on Google's side, not a problem with our "
    "credentials); it is retried, so try again later."
)


def plain_words(name: str) -> str:
    """A Channel error name or canonical status in plain words for staff (unknown names as given)."""
    return PLAIN_WORDS.get(name, name)
